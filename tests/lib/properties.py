# What every `spritesim run` must satisfy, checked from its files alone (issue 11, point 4): every job of the input
# finished exactly once with its CPU, the counts of results.json agree with the CSVs, a failed run leaves no
# results.json, no foreign process stays on a host whose owner is back beyond the eviction, the same seed gives the
# same bytes, and every file has the columns and value types docs/outputs.md gives. Each check returns a list of
# violations (strings); an empty list is a pass. Used by tests/lib/scenarios.py and tests/sim/test_properties.py.
import csv
import io
import json
import math
import os
import re
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUTPUTS_DOC = os.path.join(ROOT, "docs", "outputs.md")
PROFILES_DIR = os.path.join(ROOT, "models", "profiles")
EPS = 2e-6            # CSV times carry 6 decimals
CPU_REL = 1e-6        # CPU seconds: relative tolerance (work summed over pieces of a moved process)
OUTPUT_FILES = ["results.json", "jobs.csv", "migrations.csv", "hosts.csv", "evictions.csv", "decisions.csv",
                "config.resolved.json"]
# Columns whose values are names from a closed list: the value must be one the doc's "meaning" cell names.
ENUM_COLUMNS = {("jobs.csv", "kind"), ("migrations.csv", "kind"), ("hosts.csv", "role"),
                ("evictions.csv", "reason"), ("decisions.csv", "event"), ("decisions.csv", "kind")}
# Columns that name a host (decisions.csv's may be empty: "if any").
HOST_COLUMNS = {"home_host", "exec_host", "from_host", "to_host", "host"}
# Policies that send foreign processes home (or restart them) at once when the owner comes back (docs/policies.md);
# condor suspends first and vacates max_suspend_s later; mosix only with evict_on_owner.
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
        if self.policy == "mosix":
            return self.params.get("evict_on_owner", True)
        return self.policy in EVICT_AT_ONCE or self.policy == "condor"


class RunOutput:
    def __init__(self, out, rc, stderr, seconds, timeline=False):
        self.out, self.rc, self.stderr, self.seconds, self.timeline = out, rc, stderr, seconds, timeline

    def path(self, name):
        return os.path.join(self.out, name)


# --- docs/outputs.md --------------------------------------------------------------------------------------------


class Column:
    def __init__(self, name, unit, meaning):
        self.name, self.unit, self.meaning = name, unit, meaning


def parse_outputs_doc(path=OUTPUTS_DOC):
    """{section ("results.json", "jobs.csv", ..., "usage"): [Column]} from the tables of docs/outputs.md's
    `spritesim run` part. A cell "a, b" with unit "count, s" documents two columns."""
    with open(path) as f:
        text = f.read()
    part = text.split("## `spritesim run", 1)[1].split("\n## ", 1)[0]
    tables = {}
    section = None
    for line in part.splitlines():
        m = re.match(r"^###\s+(?:`)?([\w.]+)(?:`)?", line)
        if m:
            section = m.group(1)
            if section.startswith("usage"):
                section = "usage"
            tables.setdefault(section, [])
            continue
        if section is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("column", "field") or set(cells[0]) <= set("-: "):
            continue
        names = [n.strip() for n in cells[0].split(",")]
        units = [u.strip() for u in cells[1].split(",")]
        if len(units) != len(names):  # "a, b, c_s | count, s": seconds for the *_s names, the first unit else
            units = [units[-1] if n.endswith("_s") and units[-1] == "s" else units[0] for n in names]
        for n, u in zip(names, units):
            tables[section].append(Column(n, u, cells[2]))
    return tables


_DOC = None


def doc():
    global _DOC
    if _DOC is None:
        _DOC = parse_outputs_doc()
    return _DOC


def _mentions(meaning, value):
    words = set(re.findall(r"[A-Za-z0-9_][A-Za-z0-9_-]*", meaning.replace("`", " ")))
    return value in words


def _number(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def check_value(file, col, value, hosts):
    """Why a CSV cell does not fit its documented column, or None."""
    u = col.unit
    if u in ("s", "ratio", "fraction"):
        v = _number(value)
        if v is None:
            return f"{file}: {col.name} = {value!r} is not a number ({u})"
        if v < 0:
            return f"{file}: {col.name} = {value} is negative ({u})"
        if u == "fraction" and v > 1 + 1e-6:
            return f"{file}: {col.name} = {value} is a fraction above 1"
        return None
    if u in ("count", "B"):
        if not re.fullmatch(r"\d+", value):
            return f"{file}: {col.name} = {value!r} is not a whole number ({u})"
        return None
    if u == "0/1":
        return None if value in ("0", "1") else f"{file}: {col.name} = {value!r} is not 0 or 1"
    # unit "-": names
    if (file, col.name) in ENUM_COLUMNS:
        if not _mentions(col.meaning, value):
            return f"{file}: {col.name} = {value!r} is not among the values docs/outputs.md names"
    elif col.name in HOST_COLUMNS:
        if value == "" and file == "decisions.csv":
            return None
        if value not in hosts:
            return f"{file}: {col.name} = {value!r} is not a host of the run"
    elif file == "decisions.csv" and col.name == "client":
        if not re.fullmatch(r"-?\d+", value) or int(value) < -1:
            return f"{file}: client = {value!r} is not a client number or -1"
    elif col.name == "job_id" and value == "":
        return f"{file}: empty job_id"
    return None


def read_csv(path):
    """(header, rows as lists) of a CSV file; raises on a malformed file."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def check_csv_schema(run, expected):
    v = []
    tables = doc()
    hosts = set(expected.hosts) | {"fileserver", "ethernet"}
    for name in ("jobs.csv", "migrations.csv", "hosts.csv", "evictions.csv", "decisions.csv"):
        path = run.path(name)
        if not os.path.exists(path):
            v.append(f"{name}: missing")
            continue
        cols = tables.get(name)
        if not cols:
            v.append(f"docs/outputs.md has no table for {name}")
            continue
        try:
            header, rows = read_csv(path)
        except (csv.Error, UnicodeDecodeError) as e:
            v.append(f"{name}: not a CSV file ({e})")
            continue
        want = [c.name for c in cols]
        if header != want:
            v.append(f"{name}: header {header} is not the documented {want}")
            continue
        bad = 0
        for i, r in enumerate(rows):
            if len(r) != len(cols):
                v.append(f"{name}: row {i + 2} has {len(r)} fields, not {len(cols)}")
                bad += 1
            else:
                for c, value in zip(cols, r):
                    why = check_value(name, c, value, hosts)
                    if why:
                        v.append(f"{why} (row {i + 2})")
                        bad += 1
                        break
            if bad >= 5:
                v.append(f"{name}: further rows not checked")
                break
    return v


def _json_type_ok(unit, value, name):
    if unit == "count" and name.endswith("_mean"):  # a mean of counts (builds_hosts_wanted_mean)
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    if unit == "count":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if unit in ("s", "h", "1/h"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    if unit == "ratio":
        return value is None if name == "speedup" and value is None else (
            isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)
    if unit == "fraction":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1 + 1e-6
    return True


def check_results_schema(results, expected):
    """Every field of results.json documented with a fitting type, and the documented ones present."""
    v = []
    tables = doc()
    top = {c.name: c for c in tables.get("results.json", [])}
    usage = {c.name: c for c in tables.get("usage", [])}
    for key, value in results.items():
        if key == "usage":
            if not isinstance(value, dict):
                v.append("results.json: usage is not an object")
                continue
            for uk, uv in value.items():
                col = usage.get(uk)
                if col is None and uk.startswith("migrations_per_host_hour"):
                    col = usage.get("migrations_per_host_hour.KIND")
                    if isinstance(uv, dict):
                        for kind, rate in uv.items():
                            if not _mentions(tables["migrations.csv"][2].meaning, kind):
                                v.append(f"results.json: usage.migrations_per_host_hour.{kind} is no migration kind")
                            if not _json_type_ok("1/h", rate, kind):
                                v.append(f"results.json: usage.migrations_per_host_hour.{kind} = {rate!r}")
                        continue
                if col is None:
                    v.append(f"results.json: usage.{uk} is not documented in docs/outputs.md")
                elif not _json_type_ok(col.unit, uv, uk):
                    v.append(f"results.json: usage.{uk} = {uv!r} does not fit its unit {col.unit!r}")
            continue
        if isinstance(value, dict):
            for sk, sv in value.items():
                col = top.get(f"{key}.{sk}")
                if col is None:
                    v.append(f"results.json: {key}.{sk} is not documented in docs/outputs.md")
                elif not _json_type_ok(col.unit, sv, sk):
                    v.append(f"results.json: {key}.{sk} = {sv!r} does not fit its unit {col.unit!r}")
            continue
        col = top.get(key)
        if col is None:
            v.append(f"results.json: {key} is not documented in docs/outputs.md")
        elif not _json_type_ok(col.unit, value, key):
            v.append(f"results.json: {key} = {value!r} does not fit its unit {col.unit!r}")
    required = ["makespan_s", "speedup", "jobs_total", "jobs_completed", "remote_execs", "remote_jobs", "migrations",
                "evictions", "restarts", "host_evictions", "seed", "policy_decisions", "migd_requests"]
    if expected.kind == "pmake":
        required += ["trace", "scan_s", "utilization"]
    else:
        required += ["usage", "processes", "build_sessions"]
    for key in required:
        if key not in results:
            v.append(f"results.json: no {key}")
    return v


# --- the run's invariants ---------------------------------------------------------------------------------------


def _f(x):
    return float(x)


def _load(run):
    with open(run.path("results.json")) as f:
        results = json.load(f)
    out = {"results": results}
    for name in ("jobs", "migrations", "hosts", "evictions", "decisions"):
        with open(run.path(f"{name}.csv"), newline="") as f:
            out[name] = list(csv.DictReader(f))
    return out


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
                  # between remote hosts, or one leg of such a move through home (two rows)
                  "remote": (a != home and b != home) or
                            (b == home and a != home and nxt is not None and nxt["kind"] == "remote" and
                             nxt["from_host"] == home) or
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


def _ambiguous(jobs):
    count = defaultdict(int)
    for j in jobs:
        count[j["job_id"]] += 1
    return {k for k, n in count.items() if n > 1}


def residencies(o):
    """Per job: (host, arrive, landed, out, leave) spells, from migrations.csv and the exits: the job occupies a
    move's target from the move's start (landed = its end) and its source until the move out (starting at out)
    ends (leave)."""
    jobs = {j["job_id"]: j for j in o["jobs"]}
    spells = defaultdict(list)
    where = {}
    for m in o["migrations"]:
        p = m["job_id"]
        t0, t1 = _f(m["time_s"]), _f(m["time_s"]) + _f(m["duration_s"])
        if p in where:
            host, arrive, landed = where.pop(p)
            spells[p].append((host, arrive, landed, t0, t1))
        if m["kind"] != "restart":
            where[p] = (m["to_host"], t0, t1)
    for p, (host, arrive, landed) in where.items():
        if p in jobs and _f(jobs[p]["end_s"]) > 0:
            end = _f(jobs[p]["end_s"])
            spells[p].append((host, arrive, landed, end, end))
    return spells


def owner_returns_seen(o):
    """(host, time) of owner returns the outputs show without the owner periods: owner evictions of evictions.csv
    and the hosts decisions.csv names for owner_active decisions."""
    seen = {(r["host"], _f(r["time_s"])) for r in o["evictions"] if r["reason"] == "owner"}
    seen |= {(d["host"], _f(d["time_s"])) for d in o["decisions"] if d["event"] == "owner_active" and d["host"]}
    return sorted(seen)


def check_owner_returns_seen(o, e):
    """What can be checked whatever the owner model: at each owner return the outputs show, the foreign processes
    already on that host leave within the host's eviction (condor: are suspended)."""
    v = []
    if not e.evicts_on_owner() or e.policy == "condor":
        return v
    ambiguous = _ambiguous(o["jobs"])
    homes = {j["job_id"]: j["home_host"] for j in o["jobs"]}
    reaped = {j["job_id"] for j in o["jobs"] if j["kind"] != "process"}
    longest = max([_f(r["duration_s"]) for r in o["evictions"]] + [0.0])
    returns = defaultdict(list)
    for host, t in owner_returns_seen(o):
        returns[host].append(t)
    for p, spells in residencies(o).items():
        if p in ambiguous or p not in homes:
            continue
        for n, (host, arrive, landed, out, leave) in enumerate(spells):
            if host == homes[p] or (p in reaped and n == len(spells) - 1):
                continue
            for t in returns.get(host, []):
                if landed <= t + EPS and out > t + longest + EPS:
                    v.append(f"{p} stayed on {host} {out - t:.6f} s after its owner's return at {t} that the "
                             f"outputs show (longest host eviction {longest:.6f} s)")
    return v


def check_owners(o, e):
    """No foreign process placed on a host while its owner is at the console (or within the input threshold after),
    none left there beyond the eviction once the owner is back (condor: suspended, and gone max_suspend_s later
    if the owner stays), and each owner eviction starting at the owner's first input. Needs the owner periods:
    with an owner trace they are the input; stochastic owners are not in the outputs (see the report)."""
    v = []
    if e.owner_model != "trace" or not e.evicts_on_owner():
        return v
    ambiguous = _ambiguous(o["jobs"])
    homes = {j["job_id"]: j["home_host"] for j in o["jobs"]}
    # pmake's jobs end (end_s) when pmake reaps them at home, which can be well after they left the host where they
    # ran: their last spell gives no time they were still there.
    reaped = {j["job_id"] for j in o["jobs"] if j["kind"] != "process"}
    evictions = defaultdict(list)
    for row in o["evictions"]:
        evictions[row["host"]].append((_f(row["time_s"]), _f(row["duration_s"]), row["reason"]))
    longest = max([d for rows in evictions.values() for _, d, _ in rows] + [0.0])
    suspends = defaultdict(list)
    for d in o["decisions"]:
        if d["kind"] in ("suspend", "resume") and d["process"]:
            suspends[d["process"]].append((_f(d["time_s"]), d["kind"]))
    max_suspend = float(e.params.get("max_suspend_s", 600))
    for p, spells in residencies(o).items():
        if p in ambiguous or p not in homes:
            continue
        for n, (host, arrive, landed, out, leave) in enumerate(spells):
            if host == homes[p]:
                continue
            exit_unknown = p in reaped and n == len(spells) - 1
            # mosix avoids only owner-active hosts; the others take foreign work only input_threshold_s after.
            # condor starts foreign work after its own start_idle_s of keyboard idleness.
            quiet = 0.0 if e.policy == "mosix" else e.input_threshold_s
            if e.policy == "condor":
                quiet = min(quiet, float(e.params.get("start_idle_s", 900)))
            for s, end in e.owners.get(host, []):
                # An owner there from time 0 is there before anything is placed; later, a tie with the owner's
                # first input is not a placement onto an owner-active host (the eviction must follow).
                if (arrive > s + EPS or s == 0) and arrive < end + quiet - EPS:
                    v.append(f"{p} placed on {host} at {arrive:.6f}, the owner being there from {s} to {end} "
                             f"(+{e.input_threshold_s} s)")
                if not (arrive < end and leave > s + EPS) or exit_unknown:
                    continue  # not there while the owner was, or not known to be
                back = max(s, landed)
                if e.policy == "condor":
                    marks = suspends.get(p, [])
                    before = [k for t, k in marks if t <= back + EPS]
                    if out > back + EPS and (not before or before[-1] != "suspend"):
                        v.append(f"{p} on {host} not suspended when the owner came back at {s} "
                                 f"(it left at {out:.6f})")
                    early = [t for t, k in marks if k == "resume" and back + EPS < t < min(end, out) - EPS]
                    if early:
                        v.append(f"{p} resumed on {host} at {early[0]:.6f} with the owner there until {end}")
                    if end - s >= max_suspend and out > back + max_suspend + longest + EPS:
                        v.append(f"{p} stayed on {host} {out - s:.6f} s after the owner came back at {s} "
                                 f"(max_suspend_s {max_suspend}, longest eviction {longest:.6f} s)")
                    continue
                # Evictions from one host run one at a time: its move out starts within the host's eviction.
                if out > back + longest + EPS:
                    v.append(f"{p} stayed on {host} {out - s:.6f} s after the owner came back at {s} "
                             f"(landed {landed:.6f}, longest host eviction {longest:.6f} s)")
                if landed <= s + EPS and out > s + EPS and not any(
                        abs(t - s) <= EPS for t, _, reason in evictions.get(host, [])):
                    restarted = any(m["job_id"] == p and m["kind"] in ("restart", "evict") and
                                    abs(_f(m["time_s"]) - s) <= EPS for m in o["migrations"])
                    if not restarted:
                        v.append(f"{p} on {host} when the owner came back at {s}: no eviction of {host} starts then")
    return v


def check_evictions(o, e):
    """evictions.csv and the evict rows of migrations.csv tell the same story: each host eviction is its evict
    moves (as many as its processes, the last one ending with it), and each evict move is part of one."""
    v = []
    rows = [(_f(r["time_s"]), _f(r["duration_s"]), r["host"], int(r["processes"]), r["reason"])
            for r in o["evictions"]]
    evicts = [m for m in o["migrations"] if m["kind"] == "evict"]
    for t, d, host, n, reason in rows:
        inside = [m for m in evicts if m["from_host"] == host and t - EPS <= _f(m["time_s"]) <= t + d + EPS]
        if len(inside) != n:
            v.append(f"evictions.csv: {host} at {t:.6f} ({reason}) lists {n} process(es), migrations.csv has "
                     f"{len(inside)} evict move(s) from it within its {d:.6f} s")
        elif inside:
            # With demand paging the host's eviction is recorded once the last process has read its pages back
            # at home (sim/migd.cpp process_moved), after its move ended (see the report of issue 11 point 4).
            last = max(_f(m["time_s"]) + _f(m["duration_s"]) for m in inside)
            if last > t + d + 2 * EPS or (not e.demand_paging and abs(last - (t + d)) > 2 * EPS):
                v.append(f"evictions.csv: {host} at {t:.6f} ends at {t + d:.6f}, its last evict move at {last:.6f}")
    for m in evicts:
        t = _f(m["time_s"])
        if not any(host == m["from_host"] and t0 - EPS <= t <= t0 + d + EPS for t0, d, host, _, _ in rows):
            v.append(f"{m['job_id']}: evicted from {m['from_host']} at {t:.6f}, in no host eviction of "
                     f"evictions.csv")
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
        v += check_owners(o, e) if e.owner_model == "trace" else check_owner_returns_seen(o, e)
        v += check_evictions(o, e)
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
