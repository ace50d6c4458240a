# Owner checks of the property tests (issue 11, point 4): where each job was when, from migrations.csv and jobs.csv,
# against the owners' console periods (the owner trace, or owners.csv for stochastic owners), and evictions.csv
# against the evict moves. Each check returns a list of violations; tests/lib/properties.py runs them.
from collections import defaultdict

EPS = 2e-6  # CSV times carry 6 decimals
EXIT_PATH_S = 0.1  # a process's exit (its last RPCs home) is no safe point: a decision then is overtaken by the exit


def _f(x):
    return float(x)


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


def check_owners(o, e):
    """No foreign process placed on a host while its owner is at the console (or within the input threshold after),
    none left there beyond the eviction once the owner is back (condor: suspended, and gone max_suspend_s later
    if the owner stays), and each owner eviction starting at the owner's first input. Needs the owner periods:
    the owner trace, or the stochastic model's from owners.csv (check_owner_periods)."""
    v = []
    if e.owner_model == "none" or not e.evicts_on_owner():
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
    jobs_end = {j["job_id"]: _f(j["end_s"]) for j in o["jobs"] if _f(j["end_s"]) > 0}
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
                sent_away = any(d["process"] == p and d["kind"] in ("restart", "evict", "migrate") and
                                abs(_f(d["time_s"]) - s) <= EPS for d in o["decisions"])
                # Sent away at the return but already in its exit path (not a safe point): it leaves by exiting.
                exiting = sent_away and p in jobs_end and abs(jobs_end[p] - out) <= EPS and out <= back + EXIT_PATH_S
                if out > back + longest + EPS and not exiting:
                    v.append(f"{p} stayed on {host} {out - s:.6f} s after the owner came back at {s} "
                             f"(landed {landed:.6f}, longest host eviction {longest:.6f} s)")
                if landed <= s + EPS and out > s + EPS and not any(
                        abs(t - s) <= EPS for t, _, reason in evictions.get(host, [])):
                    # A process that exits before its eviction is carried out was still sent away at the return
                    # (decisions.csv), and left within the eviction (checked above).
                    restarted = any(m["job_id"] == p and m["kind"] in ("restart", "evict") and
                                    abs(_f(m["time_s"]) - s) <= EPS for m in o["migrations"]) or any(
                        d["process"] == p and d["kind"] in ("restart", "evict", "migrate") and
                        abs(_f(d["time_s"]) - s) <= EPS for d in o["decisions"])
                    # Already on its way out when the owner came back: a move decided after it landed, frozen
                    # behind the host's earlier migrations (sim/migration.cpp), is no eviction but frees the host.
                    leaving = any(d["process"] == p and d["kind"] in ("restart", "evict", "migrate") and
                                  landed - EPS <= _f(d["time_s"]) <= s + EPS for d in o["decisions"])
                    if not restarted and not leaving:
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
        # A process that exits before its eviction is carried out frees the host too (sim/process.cpp finish).
        # pmake reaps its jobs later than they exit (end_s), so for them only "not before the eviction" is known.
        exited = [j for j in o["jobs"] if j["exec_host"] == host and j["home_host"] != host and
                  t - EPS <= _f(j["end_s"]) and (j["kind"] != "process" or _f(j["end_s"]) <= t + d + EPS)]
        if not (len(inside) <= n <= len(inside) + len(exited)):
            v.append(f"evictions.csv: {host} at {t:.6f} ({reason}) lists {n} process(es), migrations.csv has "
                     f"{len(inside)} evict move(s) from it within its {d:.6f} s")
        elif inside:
            # With demand paging the host's eviction is recorded once the last process has read its pages back
            # at home (sim/process.cpp move_to), after its move ended (see the report of issue 11 point 4).
            last = max(_f(m["time_s"]) + _f(m["duration_s"]) for m in inside)
            if last > t + d + 2 * EPS or (not e.demand_paging and abs(last - (t + d)) > 2 * EPS):
                v.append(f"evictions.csv: {host} at {t:.6f} ends at {t + d:.6f}, its last evict move at {last:.6f}")
    for m in evicts:
        t = _f(m["time_s"])
        if not any(host == m["from_host"] and t0 - EPS <= t <= t0 + d + EPS for t0, d, host, _, _ in rows):
            v.append(f"{m['job_id']}: evicted from {m['from_host']} at {t:.6f}, in no host eviction of "
                     f"evictions.csv")
    return v


def check_owner_returns(o, e):
    """owner_returns.csv has one row per console period begun during the run (not one already under way at its
    start), each period's length unless censored, no intrusion without foreign processes, an intrusion no longer
    than the host's owner eviction that freed it, and results.json's owner_* keys are its sums."""
    v = []
    rows = o["owner_returns"]
    end = _f(o["results"]["makespan_s"])
    got = defaultdict(list)
    for r in rows:
        got[r["host"]].append(r)
        t, intrusion, active = _f(r["time_s"]), _f(r["intrusion_s"]), _f(r["active_s"])
        if intrusion < -EPS or active < -EPS:
            v.append(f"owner_returns.csv: {r['host']} at {t:.6f}: a negative duration")
        if int(r["foreign_processes"]) == 0 and intrusion > EPS:
            v.append(f"owner_returns.csv: {r['host']} at {t:.6f}: {intrusion:.6f} s of intrusion without foreign "
                     f"processes")
        if r["foreign_cpu_s"] and _f(r["foreign_cpu_s"]) < -EPS:
            v.append(f"owner_returns.csv: {r['host']} at {t:.6f}: negative foreign CPU")
    # The engine stops with the last process, which may be before makespan_s (processes and mixed workloads run
    # for duration_s): periods begun after the last job ended may be missing, none before.
    ran = max([_f(j["end_s"]) for j in o["jobs"]] + [0.0])
    if e.owner_model != "none":
        for host, periods in e.owners.items():
            want = [(a, b) for a, b in periods if EPS < a < end - EPS]
            mine = sorted(got.get(host, []), key=lambda r: _f(r["time_s"]))
            needed = sum(1 for a, _ in want if a < ran - EPS)
            if ([round(a, 3) for a, _ in want[:len(mine)]] != [round(_f(r["time_s"]), 3) for r in mine] or
                    len(mine) < needed):
                v.append(f"owner_returns.csv: {host}'s returns {[r['time_s'] for r in mine]} are not its console "
                         f"periods begun during the run {[a for a, _ in want]}")
                continue
            for (a, b), r in zip(want, mine):
                if r["censored"] == "0" and abs(_f(r["active_s"]) - (b - a)) > 1e-3:
                    v.append(f"owner_returns.csv: {host} at {a:.6f}: active_s {r['active_s']}, its period lasts "
                             f"{b - a:.6f} s")
    elif rows:
        v.append(f"owner_returns.csv: {len(rows)} owner returns without owners")
    freed = {(r["host"], round(_f(r["time_s"]), 6)): _f(r["duration_s"]) for r in o["evictions"]
             if r["reason"] == "owner"}
    for r in rows:
        d = freed.get((r["host"], round(_f(r["time_s"]), 6)))
        if d is not None and r["censored"] == "0" and _f(r["intrusion_s"]) > d + 2 * EPS:
            v.append(f"owner_returns.csv: {r['host']} at {r['time_s']}: intrusion {r['intrusion_s']} s, but its "
                     f"owner eviction ended after {d:.6f} s")
    res = o["results"]
    if res.get("owner_returns") != len(rows):
        v.append(f"results.json: owner_returns {res.get('owner_returns')}, owner_returns.csv has {len(rows)} rows")
    intruded = sum(1 for r in rows if int(r["foreign_processes"]) > 0)
    if res.get("owner_intrusions") != intruded:
        v.append(f"results.json: owner_intrusions {res.get('owner_intrusions')}, owner_returns.csv has {intruded}")
    return v
