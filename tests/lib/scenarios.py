#!/usr/bin/env python3
# Randomised scenarios for the property tests (issue 11, point 4): a seeded generator of small experiments over every
# policy, workload kind, owner model and migration switch, the files each one needs, and one run of it checked by
# tests/lib/properties.py. A scenario is plain JSON data (a "spec"), so a failing one can be written out, shrunk by
# hand and kept as a regression (tests/sim/property_regressions.json).
#
#   python3 tests/lib/scenarios.py --spritesim build/tools/spritesim --seed 1000017          # rerun one scenario
#   python3 tests/lib/scenarios.py --spritesim build/tools/spritesim --spec DIR/spec.json    # rerun a written one
#   python3 tests/lib/scenarios.py --spritesim build/tools/spritesim --seed 1000017 --show   # print its spec
import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import properties  # noqa: E402  (tests/lib/properties.py)

# A scenario that runs this long has hung (they take well under a second; SPRITESIM_TEST_TIME_SCALE stretches it for
# the sanitized -O0 build).
RUN_TIMEOUT_S = 10 * float(os.environ.get("SPRITESIM_TEST_TIME_SCALE", "1"))
# The paper builds small enough for a scenario (the kernel build, 277 jobs, takes seconds; run_scenarios.py has it).
BUILTIN_TRACES = ["gremlin", "tex", "pmake"]
PROFILES = ["ss1", "ds3100", "sun3-75"]
# Durations of processes / mixed runs: whole fractions of an hour that are exact in binary, so that
# `trace generate processes --hours D` draws the processes the simulator draws for duration_s = D * 3600.
DURATIONS_H = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2]

# Ranges for parameters that are timers or thresholds, narrower than the registry's so that a scenario stays short
# (a 1-ms exchange interval over an hour is millions of events) and exercises the policy within a small run.
PARAM_RANGES = {
    ("condor", "start_idle_s"): (0, 300),
    ("condor", "max_suspend_s"): (0.5, 300),
    ("condor", "poll_interval_s"): (0.5, 30),
    ("condor", "high_load_s"): (0, 120),
    ("condor", "start_load"): (0, 3),
    ("condor", "high_load"): (0, 3),
    ("mosix", "exchange_interval_s"): (0.25, 30),
    ("mosix", "peers"): (1, 8),
    ("mosix", "threshold"): (0, 3),
    ("lifetime", "check_interval_s"): (0.25, 30),
    ("sprite", "fairness_margin"): (2, 5),
    ("least-loaded", "load_margin"): (0, 3),
}


def policies_from(spritesim):
    """`spritesim policies --json`'s built-in policies, sorted by name (the generator's choices depend on this list);
    the external one, listed apart, runs a process of the user's (tests/sim/test_external_policy.py tests it)."""
    p = subprocess.run([spritesim, "policies", "--json"], capture_output=True, text=True, timeout=60, check=True)
    doc = json.loads(p.stdout)["policies"]
    return sorted(doc, key=lambda x: x["name"])


# --- generation -------------------------------------------------------------------------------------------------


def _pick_hosts(rng):
    u = rng.random()
    if u < 0.45:
        return rng.randint(1, 4)
    if u < 0.88:
        return rng.randint(5, 12)
    return rng.randint(13, 40)


def _policy(rng, policies):
    info = rng.choice(policies)
    params = {}
    for p in info["params"]:
        if rng.random() < 0.5:
            continue
        name, typ = p["name"], p["type"]
        if typ == "boolean":
            params[name] = rng.random() < 0.5
            continue
        lo, hi = PARAM_RANGES.get((info["name"], name), (None, None))
        if lo is None:
            d = p["default"]
            lo, hi = p["min"], p["max"]
            if typ == "integer":
                hi = min(hi, max(lo, 2 * int(d) + 3))
            else:
                lo, hi = max(lo, d / 10), min(hi, max(d * 10, lo))
        lo, hi = max(lo, p["min"]), min(hi, p["max"])
        if name == "seed":
            params[name] = rng.randint(0, 2**31)
        elif typ == "integer":
            params[name] = rng.randint(int(lo), int(hi))
        else:
            edge = rng.random()
            params[name] = lo if edge < 0.08 else hi if edge < 0.12 else round(rng.uniform(lo, hi), 3)
    return {"name": info["name"], "params": params}


def _random_dag(rng):
    """A small hand-made build: chains, fans and zero-CPU jobs that the generators never make."""
    n = rng.randint(1, 14)
    jobs = []
    for i in range(n):
        deps = sorted({f"j{k}" for k in range(i) if rng.random() < (0.5 if i < 3 else 2.0 / i)})
        job = {"id": f"j{i}", "kind": rng.choice(["compile", "command", "link"]),
               "cpu_s": rng.choice([0.0, round(rng.uniform(0.01, 1), 3), round(rng.uniform(1, 30), 3)]),
               "lookups": rng.randint(0, 40), "bytes_read": rng.randint(0, 200000),
               "bytes_written": rng.randint(0, 100000), "files_opened": rng.randint(0, 12),
               "forwarded_calls": rng.randint(0, 20)}
        if deps:
            job["deps"] = deps
            job["reads_dep_outputs"] = rng.random() < 0.3
        if rng.random() < 0.3:
            job["dirty_bytes"] = rng.randint(0, 4 << 20)
        jobs.append(job)
    return {"format": "spritesim-trace", "version": 2, "name": "random-dag", "reference_profile": "ss1",
            "source": "tests/lib/scenarios.py",
            "tool": {"scan_cpu_s": rng.choice([0, 0.2, 2.0]), "scan_lookups": rng.randint(0, 50),
                     "job_cpu_s": rng.choice([0, 0.05, 0.5]), "exec_arg_bytes": rng.randint(0, 4096),
                     "script_bytes": rng.randint(0, 1024)},
            "jobs": jobs}


def _synthetic_pool():
    """`trace generate synthetic` arguments: a fixed pool, so that a sweep generates each trace once (see _CACHE)."""
    rng = random.Random(1991)
    pool = []
    for _ in range(24):
        compiles = rng.randint(1, 24)
        args = ["synthetic", "--compiles", str(compiles), "--libraries", str(rng.randint(1, min(4, compiles))),
                "--compile-cpu", str(round(rng.uniform(0.2, 20), 2)), "--lookups", str(rng.randint(0, 30)),
                "--seed", str(rng.randint(0, 10**6))]
        if rng.random() < 0.5:
            args += ["--compile-cv", str(round(rng.uniform(0, 2), 2)), "--library-cv", str(round(rng.uniform(0, 2), 2))]
        pool.append(args)
    return pool


SYNTHETIC_POOL = _synthetic_pool()


def _trace(rng):
    """How the pmake workload's trace is made: built in, `spritesim trace generate ...`, or a hand-made DAG."""
    u = rng.random()
    if u < 0.15:
        return {"builtin": rng.choice(BUILTIN_TRACES)}
    if u < 0.55:
        ext = "jsonl" if rng.random() < 0.5 else "json"
        return {"generate": list(rng.choice(SYNTHETIC_POOL)), "file": f"trace.{ext}"}
    if u < 0.65:
        args = [rng.choice(BUILTIN_TRACES), "--seed", str(rng.randint(1, 3))]
        if rng.random() < 0.5:
            args += ["--size-cv", rng.choice(["0", "0.5", "2"])]
        return {"generate": args, "file": "trace.json"}
    return {"inline": _random_dag(rng), "file": "trace.json"}


def _owner_csv(rng, hosts, horizon_s):
    """Console periods for some hosts: starting at 0, touching, closer than the input threshold, long and short."""
    lines = ["# generated by tests/lib/scenarios.py", "host,start_s,end_s,cpu_share"]
    for h in range(hosts):
        if rng.random() < 0.35:
            continue
        key = f"ws{h:02d}" if rng.random() < 0.5 else str(h)
        t = 0.0 if rng.random() < 0.15 else rng.uniform(0, horizon_s / 2)
        mean_active = rng.choice([5, 30, 120, 600])
        mean_gap = rng.choice([10, 60, 300, 1200])
        while t < horizon_s:
            end = t + max(0.001, rng.expovariate(1 / mean_active))
            share = rng.choice([0.0, 0.05, round(rng.uniform(0, 1), 3), 1.0])
            lines.append(f"{key},{t:.3f},{end:.3f},{share}")
            g = rng.random()
            gap = 0.0 if g < 0.1 else rng.uniform(0.001, 29) if g < 0.2 else 30 + rng.expovariate(1 / mean_gap)
            t = round(end, 3) + gap
    return "\n".join(lines) + "\n"


def _owners(rng, hosts, horizon_s):
    u = rng.random()
    owners = {}
    csv_text = None
    if u < 0.3:
        owners["model"] = "none"
    elif u < 0.6:
        owners["model"] = "stochastic"
        params = {}
        if rng.random() < 0.8:  # short periods, so that owners come and go within a small run
            params["mean_idle_period_s"] = round(rng.uniform(40, 900), 1)
        for key, lo, hi in (("weekday_idle_share", 0.3, 0.9), ("offhours_idle_share", 0.3, 0.9),
                            ("idle_period_cv", 1, 4), ("active_period_cv", 1, 3), ("owner_cpu_share", 0, 1),
                            ("start_of_week_s", 0, 604800), ("input_threshold_s", 0, 60)):
            if rng.random() < 0.3:
                params[key] = round(rng.uniform(lo, hi), 3)
        # Shares that leave the owner no time are an input error; keep the active mean positive.
        mi = params.get("mean_idle_period_s", 1560)
        th = params.get("input_threshold_s", 30)
        for key, default in (("weekday_idle_share", 0.66), ("offhours_idle_share", 0.78)):
            if params.get(key, default) >= (mi - th) / mi * 0.95:
                params[key] = round(max(0.05, (mi - th) / mi * 0.5), 3)
        if mi <= th:
            params["mean_idle_period_s"] = th + 10
        owners["params"] = params
    else:
        owners["model"] = "trace"
        owners["trace"] = "owners.csv"
        csv_text = _owner_csv(rng, hosts, horizon_s)
    if rng.random() < 0.25:
        rule = {}
        if rng.random() < 0.5:
            rule["input_threshold_s"] = rng.choice([0, 5, 30, 60])
        if rng.random() < 0.5:
            low = [round(rng.uniform(0, 2), 2) for _ in range(3)]
            rule["low"] = low
            rule["high"] = [round(x + rng.uniform(0, 3), 2) for x in low]
        owners["idle_rule"] = rule
    return owners, csv_text


def _processes(rng, hosts, duration_s, scale=1.0):
    # Expected arrivals: rate * hosts * hours; keep it to a few dozen.
    hours = duration_s / 3600
    target = rng.uniform(1, 16) * scale
    rate = round(max(0.01, target / (hosts * hours)), 3)
    lo = round(rng.choice([0.5, 1, 5, 30]), 3)
    p = {"arrivals_per_host_hour": rate, "min_cpu_s": lo,
         "max_cpu_s": round(lo * rng.choice([1, 3, 10, 100, 400]), 3),
         "pareto_alpha": round(rng.uniform(0.5, 2.5), 3)}
    for key, hi in (("dirty_pages_mean", 200), ("dirty_blocks_mean", 20), ("open_files_mean", 12)):
        if rng.random() < 0.3:
            p[key] = round(rng.uniform(0, hi), 2)
    return p


def _script(rng, hosts, duration_s):
    out = []
    for _ in range(rng.randint(1, 8)):
        e = {"arrival_s": round(rng.choice([0.0, rng.uniform(0, duration_s)]), 3), "home": rng.randrange(hosts),
             "cpu_s": rng.choice([0.0, round(rng.uniform(0.01, 5), 3), round(rng.uniform(5, 300), 3)])}
        if rng.random() < 0.4:
            e["dirty_pages"] = rng.randint(0, 400)
            e["dirty_blocks"] = rng.randint(0, 30)
            e["open_files"] = rng.randint(0, 20)
        out.append(e)
    return out


def generate(seed, policies):
    """The scenario of a seed: a JSON-serialisable spec (config, the files it names, and how to run and check it)."""
    rng = random.Random(seed)
    hosts = _pick_hosts(rng)
    kind = rng.choices(["pmake", "processes", "mixed"], [0.45, 0.33, 0.22])[0]
    config = {"name": f"prop-{seed}", "platform": {"workstations": hosts}}
    spec = {"seed": seed, "run_seed": rng.randint(0, 2**31 - 1), "config": config, "trace": None,
            "owners_csv": None, "timeline": rng.random() < 0.2}
    if rng.random() < 0.2:
        config["platform"]["profile"] = rng.choice(PROFILES)
    if rng.random() < 0.15:
        config["platform"]["network"] = {"bandwidth_Mbps": rng.choice([1, 10, 100]),
                                         "latency_us": rng.choice([0, 5, 500])}
    workload = {"kind": kind, "baseline": "none"}
    if kind == "pmake":
        spec["trace"] = _trace(rng)
        if "builtin" in spec["trace"]:
            workload["trace"] = "builtin:" + spec["trace"]["builtin"]
            spec["run_seed"] = rng.randint(1, 3)  # the built-in trace is generated from it: a few, cached
        else:
            workload["trace"] = spec["trace"]["file"]
        migrate = hosts > 1 and rng.random() < 0.85
        workload["migrate"] = migrate
        workload["max_jobs"] = rng.randint(0, hosts + 2)
        workload["max_local"] = rng.randint(1, 3)  # 0 is refused (docs/configs.md): nothing could run at home
        if rng.random() < 0.1 and "inline" in spec["trace"]:
            workload["baseline"] = "sequential"
        horizon = 600.0
    else:
        duration_s = rng.choice(DURATIONS_H) * 3600
        workload["duration_s"] = duration_s
        has_script = rng.random() < 0.35
        has_procs = not has_script or rng.random() < 0.5
        if kind == "mixed":
            builds = {"sessions_per_host_hour": round(rng.uniform(0.2, 6) / max(1, hosts / 4), 3)}
            if rng.random() < 0.6:
                # Requests above one host must average between 2 and (2 + max_request) / 2 (build_sessions.cpp).
                share = rng.choice([0.0, round(rng.uniform(0, 0.95), 3)])
                most = rng.randint(3, 8)
                tail = rng.uniform(2.02, (2 + most) / 2 - 0.02)
                builds.update({"single_host_share": share, "max_request": most,
                               "mean_request": round(share + (1 - share) * tail, 4)})
            if rng.random() < 0.5:
                builds["start_at_active_owner"] = rng.random() < 0.5
            workload["builds"] = builds
            has_procs = rng.random() < 0.6
            has_script = has_script and rng.random() < 0.5
        if has_procs:
            workload["processes"] = _processes(rng, hosts, duration_s, 0.5 if kind == "mixed" else 1.0)
        if has_script:
            workload["script"] = _script(rng, hosts, duration_s)
        horizon = duration_s
    config["workload"] = workload
    owners, spec["owners_csv"] = _owners(rng, hosts, horizon)
    config["owners"] = owners
    migration = {}
    for key in ("direct_remote_moves", "demand_paging", "processes_migratable"):
        if rng.random() < 0.5:
            migration[key] = rng.random() < 0.5
    if migration:
        config["migration"] = migration
    config["policy"] = _policy(rng, policies)
    return spec


# --- materialisation, run, check --------------------------------------------------------------------------------


def _spritesim(spritesim, *args):
    p = subprocess.run([spritesim, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if p.returncode != 0:
        raise RuntimeError(f"spritesim {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


_CACHE = {}  # (spritesim, generator arguments, extension) -> the trace file's bytes
_CACHE_LOCK = threading.Lock()


def _generate_trace(spritesim, args, path):
    """`spritesim trace generate ARGS --out PATH`, once per distinct ARGS in this process."""
    key = (spritesim, tuple(args), os.path.splitext(path)[1])
    with _CACHE_LOCK:
        data = _CACHE.get(key)
    if data is None:
        _spritesim(spritesim, "trace", "generate", *args, "--out", path)
        with open(path, "rb") as f:
            data = f.read()
        with _CACHE_LOCK:
            _CACHE[key] = data
    else:
        with open(path, "wb") as f:
            f.write(data)


def materialize(spec, folder, spritesim):
    """Writes the scenario's files into folder; returns what the checker must find (properties.Expected)."""
    os.makedirs(folder, exist_ok=True)
    config = spec["config"]
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(folder, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
    if spec.get("owners_csv") is not None:
        with open(os.path.join(folder, "owners.csv"), "w") as f:
            f.write(spec["owners_csv"])
    w = config.get("workload", {})
    kind = w.get("kind", "pmake")
    trace_doc = None
    t = spec.get("trace")
    if kind == "pmake":
        if t is None:
            t = {"builtin": "kernel"}
        if "inline" in t:
            with open(os.path.join(folder, t["file"]), "w") as f:
                json.dump(t["inline"], f, indent=1)
            trace_doc = t["inline"]
        elif "generate" in t:
            _generate_trace(spritesim, t["generate"], os.path.join(folder, t["file"]))
            trace_doc = properties.load_trace(os.path.join(folder, t["file"]))
        else:  # a built-in trace is the paper build generated with the run's seed
            path = os.path.join(folder, "expected-trace.json")
            _generate_trace(spritesim, [t["builtin"], "--seed", str(spec["run_seed"])], path)
            trace_doc = properties.load_trace(path)
    processes = None
    if kind != "pmake":
        processes = []
        hosts = config["platform"].get("workstations", 12)
        if w.get("processes") is not None:
            p = w["processes"]
            hours = w["duration_s"] / 3600
            args = ["trace", "generate", "processes", "--hosts", str(hosts), "--hours", repr(hours),
                    "--seed", str(spec["run_seed"])]
            for key, opt in (("arrivals_per_host_hour", "--rate"), ("pareto_alpha", "--alpha"),
                             ("min_cpu_s", "--min-cpu"), ("max_cpu_s", "--max-cpu")):
                if key in p:
                    args += [opt, repr(p[key])]
            if "arrivals_per_host_hour" not in p:
                args += ["--rate", "0"]
            text = _spritesim(spritesim, *args)
            with open(os.path.join(folder, "expected-processes.csv"), "w") as f:
                f.write(text)
            for r in properties.csv_rows_text(text):
                processes.append({"arrival_s": float(r["arrival_s"]), "home": int(r["home"]),
                                  "cpu_s": float(r["cpu_s"])})
        if w.get("script") is not None:
            for e in w["script"]:
                processes.append({"arrival_s": float(e["arrival_s"]), "home": int(e["home"]),
                                  "cpu_s": float(e["cpu_s"])})
            processes.sort(key=lambda x: x["arrival_s"])  # stable: generated ones first on ties, as the simulator
    return properties.Expected.from_inputs(config, trace_doc, processes, spec.get("owners_csv"))


def run_once(spritesim, folder, spec, out_name, timeline=False):
    out = os.path.join(folder, out_name)
    shutil.rmtree(out, ignore_errors=True)
    args = [spritesim, "run", os.path.join(folder, "config.json"), "--out", out, "--seed", str(spec["run_seed"])]
    if timeline:
        args += ["--timeline", os.path.join(out, "timeline.json")]
    t0 = time.monotonic()
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=spec.get("timeout_s", RUN_TIMEOUT_S))
        rc, stderr = p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, stderr = None, (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    return properties.RunOutput(out, rc, stderr, time.monotonic() - t0, timeline)


def check(spec, spritesim, work, determinism=False, keep=False):
    """Materialises, runs and checks one scenario in a folder under work; returns (violations, seconds, folder)."""
    folder = tempfile.mkdtemp(prefix=f"s{spec['seed']}-", dir=work)
    seconds = 0.0
    try:
        try:
            expected = materialize(spec, folder, spritesim)
        except Exception as e:  # the generator made a config the tools refuse: a bug of the generator or of them
            return [f"setup: {e}"], seconds, folder
        first = run_once(spritesim, folder, spec, "out", spec.get("timeline", False))
        seconds += first.seconds
        if spec.get("allow_input_error") and first.rc == 4 and not os.path.exists(first.path("results.json")):
            return [], seconds, folder  # a regression whose fix may be refusing the config
        violations = properties.check_run(expected, first)
        if determinism and first.rc == 0:
            second = run_once(spritesim, folder, spec, "out2", spec.get("timeline", False))
            seconds += second.seconds
            violations += properties.check_same_outputs(first, second)
        return violations, seconds, folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def write_failure(spec, spritesim, folder_root, violations):
    """Writes a failing scenario where it can be rerun with one command; returns the lines to print."""
    folder = os.path.join(folder_root, f"seed-{spec['seed']}")
    shutil.rmtree(folder, ignore_errors=True)
    try:
        materialize(spec, folder, spritesim)
    except Exception as e:
        return [f"  (could not write the scenario: {e})"]
    with open(os.path.join(folder, "violations.txt"), "w") as f:
        f.write("\n".join(violations) + "\n")
    here = os.path.abspath(__file__)
    return [f"  written to {folder}/ (config.json, spec.json, its files)",
            f"  rerun:  {spritesim} run {folder}/config.json --seed {spec['run_seed']} --out {folder}/out",
            f"  check:  python3 {here} --spritesim {spritesim} --spec {folder}/spec.json"]


def describe(spec):
    """One line on what a scenario is."""
    c = spec["config"]
    w = c.get("workload", {})
    pol = c.get("policy", {})
    what = w.get("trace", "") if w.get("kind", "pmake") == "pmake" else f"{w.get('duration_s')} s"
    return (f"seed {spec['seed']}: {c['platform'].get('workstations')} hosts, {w.get('kind', 'pmake')} {what}, "
            f"owners {c.get('owners', {}).get('model', 'none')}, policy {pol.get('name', 'sprite')} "
            f"{json.dumps(pol.get('params', {}), sort_keys=True)}, migration {json.dumps(c.get('migration', {}))}")


def minimal_config(spec):
    """The config without its defaults, for a report."""
    return json.dumps(spec["config"], sort_keys=True)


def main():
    ap = argparse.ArgumentParser(description="Run and check one randomised scenario (tests/lib/scenarios.py)")
    ap.add_argument("--spritesim", required=True)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--seed", type=int, help="the scenario seed the test printed")
    g.add_argument("--spec", help="a spec.json written out by a failing run")
    ap.add_argument("--show", action="store_true", help="print the spec and stop")
    ap.add_argument("--keep", metavar="DIR", help="keep the scenario's files and outputs in DIR")
    a = ap.parse_args()
    spritesim = os.path.abspath(a.spritesim)
    if a.spec:
        with open(a.spec) as f:
            spec = json.load(f)
    else:
        spec = generate(a.seed, policies_from(spritesim))
    if a.show:
        print(json.dumps(spec, indent=1))
        return 0
    work = a.keep or tempfile.mkdtemp(prefix="spritesim-scenario-")
    os.makedirs(work, exist_ok=True)
    violations, seconds, folder = check(copy.deepcopy(spec), spritesim, work, determinism=True, keep=bool(a.keep))
    print(describe(spec))
    print(f"{seconds:.2f} s" + (f", files in {folder}" if a.keep else ""))
    for v in violations:
        print("  " + v)
    print("ok" if not violations else f"{len(violations)} violation(s)")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not violations else 1


if __name__ == "__main__":
    sys.exit(main())
