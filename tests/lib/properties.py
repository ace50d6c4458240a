# What every `spritesim run` must satisfy, checked from its files alone (issue 11, point 4): every job of the input
# finished exactly once with its CPU, the counts of results.json agree with the CSVs, a failed run leaves no
# results.json, no foreign process stays on a host whose owner is back beyond the eviction, the same seed gives the
# same bytes, and every file has the columns and value types docs/outputs.md gives. Each check returns a list of
# violations (strings); an empty list is a pass. Used by tests/lib/scenarios.py and tests/sim/test_properties.py.
import csv
import io
import json
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from outputs_schema import check_csv_schema, check_results_schema, doc, read_csv  # noqa: E402,F401
from owner_checks import (_ambiguous, check_evictions, check_owner_returns, check_owners,  # noqa: E402
                          residencies)  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PROFILES_DIR = os.path.join(ROOT, "models", "profiles")
EPS = 2e-6            # CSV times carry 6 decimals
CPU_REL = 1e-6        # CPU seconds: relative tolerance (work summed over pieces of a moved process)
OUTPUT_FILES = ["results.json", "jobs.csv", "migrations.csv", "hosts.csv", "evictions.csv", "decisions.csv",
                "config.resolved.json"]
# Policies that send foreign processes home (or restart them) at once when the owner comes back (docs/policies.md);
# condor suspends first and vacates max_suspend_s later; mosix and sprite only with evict_on_owner.
EVICT_AT_ONCE = {"sprite", "random", "least-loaded", "remote-exec", "lifetime", "mosix"}


# --- inputs -----------------------------------------------------------------------------------------------------


def csv_rows_text(text):
    return list(csv.DictReader(io.StringIO(text)))


def load_trace(path):
    """A trace file (JSON or JSON Lines) as a dict with "jobs"."""
    with open(path) as f:
        text = f.read()
    if path.endswith(".jsonl"):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        doc = json.loads(lines[0])
        doc["jobs"] = [json.loads(ln) for ln in lines[1:]]
        return doc
    return json.loads(text)


def profile_mips(name):
    with open(os.path.join(PROFILES_DIR, f"{name}.json")) as f:
        return float(json.load(f)["params"]["cpu_mips"]["value"])


def owner_periods(csv_text, hosts):
    """Console periods per host name from an owner trace (keys are names or indices)."""
    periods = defaultdict(list)
    if csv_text is None:
        return periods
    lines = [ln for ln in csv_text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for r in csv.DictReader(lines):
        key = r["host"].strip()
        name = f"ws{int(key):02d}" if key.isdigit() else key
        if name in hosts:
            periods[name].append((float(r["start_s"]), float(r["end_s"])))
    for v in periods.values():
        v.sort()
    return periods


class Expected:
    """What a scenario's input says its run must show."""

    def __init__(self):
        self.kind = "pmake"
        self.hosts = []            # workstation names
        self.jobs = None           # pmake: {job id: expected cpu_s}; processes: same, for the generated/scripted ones
        self.homes = {}            # job id -> home host name, where known
        self.mixed_min_jobs = 0    # mixed: jobs that are independent processes (builds add more)
        self.policy = "sprite"
        self.params = {}
        self.migrate = True
        self.migratable = True
        self.demand_paging = True
        self.owners = defaultdict(list)
        self.owner_model = "none"
        self.input_threshold_s = 30.0

    @classmethod
    def from_inputs(cls, config, trace_doc, processes, owners_csv):
        e = cls()
        w = config.get("workload", {})
        e.kind = w.get("kind", "pmake")
        n = config.get("platform", {}).get("workstations", 12)
        e.hosts = [f"ws{h:02d}" for h in range(n)]
        e.policy = config.get("policy", {}).get("name", "sprite")
        e.params = config.get("policy", {}).get("params", {})
        e.migrate = w.get("migrate", True)
        e.migratable = config.get("migration", {}).get("processes_migratable", True)
        e.demand_paging = config.get("migration", {}).get("demand_paging", True)
        e.owner_model = config.get("owners", {}).get("model", "none")
        e.input_threshold_s = float(config.get("owners", {}).get("idle_rule", {}).get("input_threshold_s", 30))
        e.owners = owner_periods(owners_csv, set(e.hosts))
        ws_mips = profile_mips(config.get("platform", {}).get("profile", "ss1"))
        if trace_doc is not None:
            scale = profile_mips(trace_doc.get("reference_profile", "ss1")) / ws_mips
            e.jobs = {j["id"]: float(j["cpu_s"]) * scale for j in trace_doc["jobs"]}
            e.homes = {j["id"]: "ws00" for j in trace_doc["jobs"]}
        if processes is not None:
            jobs = {f"p{i:06d}": p["cpu_s"] for i, p in enumerate(processes)}  # no scaling: reference = host
            e.homes = {f"p{i:06d}": f"ws{p['home']:02d}" for i, p in enumerate(processes)}
            if e.kind == "processes":
                e.jobs = jobs
            else:
                e.jobs, e.mixed_min_jobs = jobs, len(jobs)
        return e

    def evicts_on_owner(self):
        if self.policy in ("mosix", "sprite"):
            return self.params.get("evict_on_owner", True)
        return self.policy in EVICT_AT_ONCE or self.policy == "condor"


class RunOutput:
    def __init__(self, out, rc, stderr, seconds, timeline=False):
        self.out, self.rc, self.stderr, self.seconds, self.timeline = out, rc, stderr, seconds, timeline

    def path(self, name):
        return os.path.join(self.out, name)


# --- the run's invariants ---------------------------------------------------------------------------------------


def _f(x):
    return float(x)


def _load(run):
    with open(run.path("results.json")) as f:
        results = json.load(f)
    out = {"results": results}
    for name in ("jobs", "migrations", "hosts", "evictions", "decisions", "owners", "owner_returns"):
        with open(run.path(f"{name}.csv"), newline="") as f:
            out[name] = list(csv.DictReader(f))
    return out


def check_owner_periods(o, e):
    """owners.csv lists the console periods the run used: an owner trace's own (those begun before the run ended);
    the stochastic model's become the periods the owner checks use."""
    v = []
    written = defaultdict(list)
    for r in o["owners"]:
        written[r["host"]].append((float(r["start_s"]), float(r["end_s"])))
    if e.owner_model == "none" and o["owners"]:
        v.append(f"owners.csv: {len(o['owners'])} periods without owners")
    elif e.owner_model == "trace":
        end = float(o["results"]["makespan_s"])
        for host, periods in e.owners.items():
            want = [(a, b) for a, b in periods if a < end - 1e-6]
            got = [(a, b) for a, b in written.get(host, []) if a < end - 1e-6]
            if [(round(a, 3), round(b, 3)) for a, b in want] != [(round(a, 3), round(b, 3)) for a, b in got]:
                v.append(f"owners.csv: {host}'s periods differ from the owner trace's")
    elif e.owner_model == "stochastic":
        e.owners = written
    return v


def check_exit(run):
    """A run exits 0 with results.json and without a deadlock, or exits non-zero without results.json."""
    v = []
    has_results = os.path.exists(run.path("results.json"))
    if run.rc is None:
        v.append(f"hang: no exit within the time limit{' (results.json written)' if has_results else ''}")
        return v
    if run.rc == 0:
        if not has_results:
            v.append("exit 0 without results.json")
        if re.search(r"deadlock", run.stderr, re.I):
            v.append("exit 0 with a deadlock on stderr: " + _first_line(run.stderr, "eadlock"))
    elif run.rc == 4 and "generates no job" in run.stderr:  # 4: bad input (docs/outputs.md)
        pass  # a documented refusal (docs/configs.md): a drawn workload that generates no job measures nothing
    else:
        what = f"signal {-run.rc}" if run.rc < 0 else f"exit {run.rc}"
        v.append(f"{what} on a valid config: {_tail(run.stderr)}")
        if has_results:
            v.append(f"{what} but results.json was written")
    return v


def _first_line(text, needle):
    return next((ln.strip() for ln in text.splitlines() if needle in ln), "")[:300]


def _tail(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-3:])[:600]


def check_jobs(o, e):
    """Every job of the input finished exactly once, with its CPU, and results.json agrees with jobs.csv."""
    v = []
    r, jobs = o["results"], o["jobs"]
    ids = [j["job_id"] for j in jobs]
    if "" in ids:
        v.append(f"jobs.csv: {ids.count('')} row(s) with an empty job_id")
    unfinished = [j["job_id"] or "?" for j in jobs if _f(j["end_s"]) <= 0]
    if unfinished:
        v.append(f"jobs.csv: {len(unfinished)} job(s) never finished: {' '.join(unfinished[:12])}")
    if r.get("jobs_total") != len(jobs):
        v.append(f"results.json jobs_total {r.get('jobs_total')} but jobs.csv has {len(jobs)} rows")
    if r.get("jobs_completed") != r.get("jobs_total"):
        v.append(f"jobs_completed {r.get('jobs_completed')} != jobs_total {r.get('jobs_total')}")
    if e.kind == "mixed":
        # Build sessions all name their jobs cc0001, ...: only the processes' ids are unique.
        procs = [i for i in ids if re.fullmatch(r"p\d{6}", i)]
        if len(procs) != len(set(procs)):
            v.append("jobs.csv: a process listed twice")
        want = e.mixed_min_jobs + _session_jobs(r)
        if want is not None and len(jobs) != want:
            v.append(f"jobs.csv has {len(jobs)} rows; the input has {want} jobs "
                     f"({e.mixed_min_jobs} processes, {r.get('build_sessions')} builds)")
        if e.jobs is not None and set(procs) != set(e.jobs):
            v.append(f"jobs.csv processes differ from the input: missing {sorted(set(e.jobs) - set(procs))[:8]}, "
                     f"extra {sorted(set(procs) - set(e.jobs))[:8]}")
    else:
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            v.append(f"jobs.csv: job(s) listed more than once: {' '.join(dup[:12])}")
        if e.jobs is not None:
            missing, extra = sorted(set(e.jobs) - set(ids)), sorted(set(ids) - set(e.jobs) - {""})
            if missing or extra:
                v.append(f"jobs.csv differs from the input's {len(e.jobs)} jobs: missing {missing[:8]} "
                         f"({len(missing)}), extra {extra[:8]} ({len(extra)})")
            if e.kind == "processes" and r.get("processes") != len(e.jobs):
                v.append(f"results.json processes {r.get('processes')} but the input has {len(e.jobs)}")
    for j in jobs:
        jid = j["job_id"]
        if _f(j["end_s"]) <= 0:
            continue
        ready, start, end = _f(j["ready_s"]), _f(j["start_s"]), _f(j["end_s"])
        if start < ready - EPS or end < start - EPS:
            v.append(f"job {jid}: times out of order: ready {ready} start {start} end {end}")
        elif end - start < _f(j["cpu_s"]) - EPS - CPU_REL * _f(j["cpu_s"]):
            v.append(f"job {jid}: used {j['cpu_s']} CPU seconds in {end - start:.6f} s from start to end")
        if e.jobs is not None and jid in e.jobs and not (e.kind == "mixed" and not jid.startswith("p")):
            want = e.jobs[jid]
            got = _f(j["cpu_s"])
            if abs(got - want) > EPS + CPU_REL * want:
                v.append(f"job {jid}: cpu_s {got} but the input gives {want:.6f} (CPU not conserved)")
        if jid in e.homes and j["home_host"] != e.homes[jid]:
            v.append(f"job {jid}: home {j['home_host']} but the input gives {e.homes[jid]}")
    return v


def _session_jobs(r):
    """Jobs of a mixed run's builds: one per host a build asked for (workloads/build_sessions.hpp), recovered from
    usage.builds_hosts_wanted_mean x build_sessions (4 decimals: exact for a few hundred builds)."""
    n = r.get("build_sessions")
    if not isinstance(n, int):
        return None
    if n == 0:
        return 0
    mean = r.get("usage", {}).get("builds_hosts_wanted_mean")
    if mean is None:
        return None
    return round(mean * n)


def check_counts(o, e):
    """results.json's counters are the counts of the CSV rows they summarise."""
    v = []
    r, jobs, migs = o["results"], o["jobs"], o["migrations"]
    kinds = defaultdict(int)
    for m in migs:
        kinds[m["kind"]] += 1
    want = {"remote_execs": kinds["exec"], "evictions": kinds["evict"], "restarts": kinds["restart"],
            "migrations": kinds["evict"] + kinds["to-home"] + kinds["from-home"] + kinds["remote"],
            "remote_jobs": sum(j["remote"] == "1" for j in jobs), "host_evictions": len(o["evictions"])}
    for key, n in want.items():
        if r.get(key) != n:
            v.append(f"results.json {key} {r.get(key)} but the CSVs count {n}")
    if (r.get("host_evictions", 0) > 0) != ("host_eviction_mean_s" in r):
        v.append("results.json host_eviction_mean_s present without host evictions, or missing with them")
    if e.kind == "pmake" and not e.migrate and kinds["exec"]:
        v.append(f"workload.migrate false but {kinds['exec']} exec-time migration(s)")
    if not e.migratable:
        moved = kinds["evict"] + kinds["to-home"] + kinds["from-home"] + kinds["remote"]
        if moved:
            v.append(f"processes_migratable false but {moved} running process(es) migrated")
    for name in ("migrations", "decisions", "evictions"):
        times = [_f(x["time_s"]) for x in o[name]]
        if any(b < a for a, b in zip(times, times[1:])):
            v.append(f"{name}.csv: rows not in time order")
    # hosts.csv: jobs per host as jobs.csv, utilization = busy / makespan, CPU busy at least the jobs' CPU.
    ran = defaultdict(int)
    cpu = 0.0
    for j in jobs:
        ran[j["exec_host"]] += 1
        cpu += _f(j["cpu_s"])
    busy = 0.0
    makespan = r.get("makespan_s", 0)
    for h in o["hosts"]:
        if h["role"] in ("pmake", "workstation"):
            if int(h["jobs"]) != ran.get(h["host"], 0):
                v.append(f"hosts.csv: {h['host']} ran {h['jobs']} jobs, jobs.csv says {ran.get(h['host'], 0)}")
            busy += _f(h["busy_s"])
        if makespan > 0 and abs(_f(h["utilization"]) - _f(h["busy_s"]) / makespan) > 1e-4 + 1e-6 * _f(h["busy_s"]):
            v.append(f"hosts.csv: {h['host']} utilization {h['utilization']} is not busy_s / makespan_s")
    if busy < cpu - 1e-3 - 1e-6 * cpu:
        v.append(f"workstations were busy {busy:.6f} s but the jobs used {cpu:.6f} CPU seconds (CPU not conserved)")
    names = [h["host"] for h in o["hosts"] if h["role"] in ("pmake", "workstation")]
    if sorted(names) != sorted(e.hosts):
        v.append(f"hosts.csv lists {len(names)} workstations, the config has {len(e.hosts)}")
    ends = [_f(j["end_s"]) for j in jobs if _f(j["end_s"]) > 0]
    if ends and e.kind != "pmake" and makespan < max(ends) - EPS:
        v.append(f"makespan_s {makespan} before the last exit {max(ends)}")
    if ends and e.kind == "pmake" and makespan < max(ends) - EPS - 0 and makespan + 0 < max(ends) - 1e-3:
        v.append(f"makespan_s {makespan} before the last job's end {max(ends)}")
    return v


def check_moves(o, e):
    """Each job's exec and moves form one path from its home to where jobs.csv says it finished."""
    v = []
    jobs = o["jobs"]
    ambiguous = _ambiguous(jobs)
    by_id = {j["job_id"]: j for j in jobs if j["job_id"] not in ambiguous}
    seen = defaultdict(list)
    for m in o["migrations"]:
        seen[m["job_id"]].append(m)
    for jid, moves in seen.items():
        if jid in ambiguous:
            continue
        j = by_id.get(jid)
        if j is None:
            v.append(f"migrations.csv: {jid!r} is not a job of jobs.csv")
            continue
        home, where = j["home_host"], j["home_host"]
        start, end = _f(j["start_s"]), _f(j["end_s"])
        for i, m in enumerate(moves):  # rows are sorted by time, ties in the order they happened
            k, a, b, t = m["kind"], m["from_host"], m["to_host"], _f(m["time_s"])
            prev, nxt = moves[i - 1] if i else None, moves[i + 1] if i + 1 < len(moves) else None
            if end > 0 and not (start - EPS <= t <= end + EPS):
                v.append(f"{jid}: {k} at {t} outside its run [{start}, {end}]")
            if a != where:
                v.append(f"{jid}: {k} from {a}, but it was on {where}")
            if k == "restart":
                if b != home or _f(m["duration_s"]) != 0:
                    v.append(f"{jid}: restart to {b} (home {home}) taking {m['duration_s']} s")
            elif a == b:
                v.append(f"{jid}: {k} from {a} to itself")
            ok = {"exec": a == home, "evict": b == home, "to-home": b == home and a != home,
                  "from-home": a == home,
                  # between remote hosts, or one leg of such a move through home (two rows; the first alone when
                  # the target's owner came back during it: docs/outputs.md)
                  "remote": (a != home and b != home) or (b == home and a != home) or
                            (a == home and b != home and prev is not None and prev["kind"] == "remote" and
                             prev["to_host"] == home),
                  "restart": True}.get(k, False)
            if not ok:
                v.append(f"{jid}: a {k} from {a} to {b} with home {home}")
            if k == "exec" and where != home:
                v.append(f"{jid}: exec while not at home")
            where = b
        if j["exec_host"] != where and _f(j["end_s"]) > 0:
            v.append(f"{jid}: finished on {j['exec_host']} but its last move took it to {where}")
        if (j["remote"] == "1") != any(m["kind"] == "exec" for m in moves):
            v.append(f"{jid}: remote {j['remote']} but exec-time migrations: "
                     f"{sum(m['kind'] == 'exec' for m in moves)}")
    for j in jobs:
        if j["job_id"] not in seen and j["job_id"] not in ambiguous and j["exec_host"] != j["home_host"]:
            v.append(f"{j['job_id']}: finished on {j['exec_host']}, away from home {j['home_host']}, without a move")
    return v


def check_timeline(run, o):
    """--timeline: a trace-event document with one complete event per finished job."""
    v = []
    path = run.path("timeline.json")
    try:
        with open(path) as f:
            t = json.load(f)
    except (OSError, ValueError) as e:
        return [f"timeline: {e}"]
    jobs = [x for x in t.get("traceEvents", []) if x.get("ph") == "X" and x.get("cat") != "migration"]
    done = sum(_f(j["end_s"]) > 0 for j in o["jobs"])
    if len(jobs) != done:
        v.append(f"timeline: {len(jobs)} job events for {done} finished jobs")
    return v


def check_run(e, run):
    """Every property of one run; a list of violations."""
    v = check_exit(run)
    if run.rc != 0 or not os.path.exists(run.path("results.json")):
        return v
    v += check_csv_schema(run, e)
    try:
        o = _load(run)
    except (OSError, ValueError, csv.Error) as ex:
        return v + [f"outputs unreadable: {ex}"]
    v += check_results_schema(o["results"], e)
    if any("header" in x or "missing" in x or "fields, not" in x for x in v):
        return v  # the invariants below read the documented columns
    try:
        v += check_jobs(o, e)
        v += check_counts(o, e)
        v += check_moves(o, e)
        v += check_owner_periods(o, e)
        v += check_owners(o, e)
        v += check_evictions(o, e)
        v += check_owner_returns(o, e)
        if run.timeline:
            v += check_timeline(run, o)
    except (ValueError, KeyError, TypeError) as ex:
        v.append(f"outputs unreadable: {type(ex).__name__} {ex}")
    return v


def check_same_outputs(a, b):
    """Same config and seed: byte-identical files."""
    v = []
    for name in OUTPUT_FILES + (["timeline.json"] if a.timeline else []):
        pa, pb = a.path(name), b.path(name)
        if not os.path.exists(pb):
            v.append(f"nondeterministic: the second run has no {name}")
            continue
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            if fa.read() != fb.read():
                v.append(f"nondeterministic: {name} differs between two runs of the same seed")
    if b.rc != a.rc:
        v.append(f"nondeterministic: exit {a.rc} then {b.rc}")
    return v
