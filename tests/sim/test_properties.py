#!/usr/bin/env python3
# Property tests (issue 11, point 4): randomised small experiments over every policy, workload kind, owner model and
# migration switch (tests/lib/scenarios.py), each run checked by tests/lib/properties.py for the end-of-run
# invariants, determinism (every 4th scenario runs twice), owners' hosts freed in time and outputs matching
# docs/outputs.md. Then the fixed regression scenarios (tests/sim/property_regressions.json), and first unit checks
# that each property does catch a doctored output.
#
#   python3 tests/sim/test_properties.py build/tools/spritesim [--count 300] [--master-seed 1000000] [--jobs 2]
#   python3 bench/properties.py build/tools/spritesim            # 5,000 scenarios (bench/README.md)
#
# A failing scenario is written to build/property-failures/seed-N/ with the one command that reruns it.
import argparse
import concurrent.futures
import copy
import csv
import json
import os
import shutil
import sys
import tempfile
import time
import unittest
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import properties  # noqa: E402  (tests/lib/properties.py)
import scenarios  # noqa: E402  (tests/lib/scenarios.py)

REGRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "property_regressions.json")
SUITE_MASTER_SEED = 1000000
SPRITESIM = None


# --- the checker catches what it should -------------------------------------------------------------------------

# Three 100-s processes from ws00 on 4 hosts; ws01's owner sits down at 40 s and ws02's at 60 s: sprite evicts them.
BASE_SPEC = {
    "seed": "checker-base", "run_seed": 7, "trace": None, "timeline": True,
    "owners_csv": "host,start_s,end_s,cpu_share\nws01,40,400,0.1\n2,60,100,0\n",
    "config": {"name": "checker-base", "platform": {"workstations": 4},
               "workload": {"kind": "processes", "duration_s": 450, "baseline": "none",
                            "script": [{"arrival_s": 0, "home": 0, "cpu_s": 100},
                                       {"arrival_s": 1, "home": 0, "cpu_s": 100},
                                       {"arrival_s": 2, "home": 0, "cpu_s": 100}]},
               "owners": {"model": "trace", "trace": "owners.csv"},
               "policy": {"name": "sprite"}}}


class CheckerCatches(unittest.TestCase):
    """Each property fails on a deliberately broken copy of a good run's files."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="spritesim-checker-")
        cls.folder = cls._tmp.name
        cls.expected = scenarios.materialize(BASE_SPEC, cls.folder, SPRITESIM)
        cls.base = scenarios.run_once(SPRITESIM, cls.folder, BASE_SPEC, "out", timeline=True)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_base_run_passes_and_has_evictions(self):
        self.assertEqual(properties.check_run(self.expected, self.base), [])
        evictions = properties.read_csv(self.base.path("evictions.csv"))[1]
        self.assertGreaterEqual(len(evictions), 2, "the base run must evict, or the owner checks test nothing")

    # Helpers: a copy of the base outputs with one file edited.
    def doctored(self, name=None, edit=None, rc=0, stderr=""):
        type(self).n += 1
        out = os.path.join(self.folder, f"doctored-{self.n}")
        shutil.copytree(self.base.out, out)
        if name:
            path = os.path.join(out, name)
            with open(path, newline="") as f:
                text = f.read()
            with open(path, "w", newline="") as f:
                f.write(edit(text))
        return properties.RunOutput(out, rc, stderr, 0.0, timeline=True)

    def csv_edit(self, fn):
        def edit(text):
            rows = list(csv.reader(text.splitlines()))
            fn(rows)
            return "".join(",".join(r) + "\n" for r in rows)
        return edit

    def assert_caught(self, run, *needles):
        v = properties.check_run(self.expected, run)
        self.assertTrue(v, "the checker found nothing wrong")
        text = "\n".join(v)
        for n in needles:
            self.assertIn(n, text)

    def row_of(self, rows, **match):
        header = rows[0]
        for r in rows[1:]:
            if all(r[header.index(k)] == val for k, val in match.items()):
                return r
        raise AssertionError(f"no row {match}")

    def test_lost_job(self):
        self.assert_caught(self.doctored("jobs.csv", self.csv_edit(lambda rows: rows.pop())),
                           "jobs_total", "differs from the input")

    def test_unfinished_job_with_empty_id(self):
        def fn(rows):
            rows[1][0] = ""
            rows[1][rows[0].index("end_s")] = "0.000000"
        self.assert_caught(self.doctored("jobs.csv", self.csv_edit(fn)), "empty job_id", "never finished")

    def test_job_finished_twice(self):
        self.assert_caught(self.doctored("jobs.csv", self.csv_edit(lambda rows: rows.append(rows[1]))),
                           "more than once")

    def test_cpu_not_conserved(self):
        def fn(rows):
            i = rows[0].index("cpu_s")
            rows[2][i] = f"{float(rows[2][i]) - 0.5:.6f}"
        self.assert_caught(self.doctored("jobs.csv", self.csv_edit(fn)), "CPU not conserved")

    def test_cpu_faster_than_wall_clock(self):
        def fn(rows):
            i = rows[0].index("cpu_s")
            rows[1][i] = f"{float(rows[1][i]) * 10:.6f}"
        self.assert_caught(self.doctored("jobs.csv", self.csv_edit(fn)), "CPU seconds in")

    def test_rows_out_of_order(self):
        self.assert_caught(self.doctored("decisions.csv", self.csv_edit(lambda rows: rows.insert(1, rows.pop()))),
                           "decisions.csv: rows not in time order")

    def test_results_disagree_with_csv(self):
        def edit(text):
            r = json.loads(text)
            r["jobs_completed"] -= 1
            r["evictions"] += 1
            return json.dumps(r)
        self.assert_caught(self.doctored("results.json", edit), "jobs_completed", "evictions")

    def test_undocumented_result_field(self):
        def edit(text):
            r = json.loads(text)
            r["surprise_s"] = 1
            r["usage"]["idle_share_total"] = 1.5
            return json.dumps(r)
        self.assert_caught(self.doctored("results.json", edit), "surprise_s is not documented",
                           "usage.idle_share_total")

    def test_header_differs_from_doc(self):
        self.assert_caught(self.doctored("migrations.csv", self.csv_edit(lambda rows: rows[0].__setitem__(5, "dur"))),
                           "migrations.csv: header")

    def test_value_types(self):
        def fn(rows):
            rows[1][rows[0].index("time_s")] = "soon"
        self.assert_caught(self.doctored("evictions.csv", self.csv_edit(fn)), "is not a number")
        def fn2(rows):
            rows[1][rows[0].index("kind")] = "teleport"
        self.assert_caught(self.doctored("migrations.csv", self.csv_edit(fn2)), "'teleport' is not among")
        def fn3(rows):
            rows[1][rows[0].index("bytes")] = "1.5"
        self.assert_caught(self.doctored("migrations.csv", self.csv_edit(fn3)), "not a whole number")
        def fn4(rows):
            rows[1][rows[0].index("exec_host")] = "ws99"
        self.assert_caught(self.doctored("jobs.csv", self.csv_edit(fn4)), "'ws99' is not a host")

    def test_failed_run_leaving_results(self):
        self.assert_caught(self.doctored(rc=3, stderr="lost jobs: p000001"), "results.json was written")

    def test_deadlock_with_exit_0(self):
        self.assert_caught(self.doctored(stderr="[0.0] Deadlock detected: 2 actors\n"), "deadlock")

    def test_hang(self):
        self.assert_caught(self.doctored(rc=None), "hang")

    def test_nondeterminism(self):
        other = self.doctored("jobs.csv", lambda t: t.replace("100.000000", "100.000001", 1))
        self.assertTrue(properties.check_same_outputs(self.base, other))
        self.assertEqual(properties.check_same_outputs(self.base, self.doctored()), [])

    def test_hosts_csv_jobs(self):
        def fn(rows):
            rows[1][rows[0].index("jobs")] = "9"
        self.assert_caught(self.doctored("hosts.csv", self.csv_edit(fn)), "hosts.csv")

    def test_broken_move_chain(self):
        def fn(rows):
            r = self.row_of(rows, kind="evict")
            r[rows[0].index("from_host")] = "ws03" if r[rows[0].index("from_host")] != "ws03" else "ws02"
        self.assert_caught(self.doctored("migrations.csv", self.csv_edit(fn)), "from ws0")

    def test_foreign_process_outstays_returning_owner(self):
        # The eviction from ws01 (owner back at 40 s) starts 30 s late: the process stays beyond the eviction.
        def fn(rows):
            r = self.row_of(rows, kind="evict", from_host="ws01")
            r[0] = f"{float(r[0]) + 30:.6f}"
        self.assert_caught(self.doctored("migrations.csv", self.csv_edit(fn)), "after the owner came back")

    def test_placed_on_host_with_owner_at_console(self):
        # A process exec'd onto ws01 while its owner is there (40-400 s).
        def fn(rows):
            rows.append(["200.000000", "p000002", "exec", "ws00", "ws01", "0.100000", "1000"])
        self.assert_caught(self.doctored("migrations.csv", self.csv_edit(fn)), "placed on ws01")

    def test_eviction_missing_from_evictions_csv(self):
        self.assert_caught(self.doctored("evictions.csv", self.csv_edit(lambda rows: rows.pop())),
                           "in no host eviction of evictions.csv", "host_evictions")

    def test_owner_return_missing_or_longer_than_its_eviction(self):
        self.assert_caught(self.doctored("owner_returns.csv", self.csv_edit(lambda rows: rows.pop(1))),
                           "are not its console periods", "owner_returns")

        def longer(rows):
            rows[2][3] = "9.000000"  # ws02 (60-100 s): its eviction took well under a second
        self.assert_caught(self.doctored("owner_returns.csv", self.csv_edit(longer)), "owner eviction ended after")

    def test_outstaying_an_owner_return_of_stochastic_owners(self):
        # Stochastic owners' periods are read from owners.csv: the same check as with a trace.
        stochastic = copy.copy(self.expected)
        stochastic.owner_model = "stochastic"
        self.assertEqual(properties.check_run(stochastic, self.base), [])

        def fn(rows):
            r = self.row_of(rows, kind="evict", from_host="ws01")
            r[0] = f"{float(r[0]) + 30:.6f}"
        run = self.doctored("migrations.csv", self.csv_edit(fn))
        self.assertIn("stayed on ws01 30.000000 s after the owner came back at 40.0", "\n".join(
            properties.check_run(stochastic, run)))

    def test_owners_csv_must_match_the_owner_trace(self):
        def fn(rows):
            r = next(r for r in rows if r[0] == "ws01")
            r[1] = "41.000000"
        self.assert_caught(self.doctored("owners.csv", self.csv_edit(fn)), "owners.csv: ws01's periods differ")

    def test_timeline_jobs(self):
        self.assert_caught(self.doctored("timeline.json", lambda t: json.dumps({"traceEvents": []})),
                           "timeline: 0 job events")


# One 100-s process placed on ws01 by condor (start_idle_s 0); the owner sits there from 20 s to 40 s: condor suspends
# it at 20 s and resumes it once the host is idle again (40 s + 30 s).
CONDOR_SPEC = {
    "seed": "checker-condor", "run_seed": 3, "trace": None, "timeline": False,
    "owners_csv": "host,start_s,end_s,cpu_share\nws01,20,40,0\n",
    "config": {"name": "checker-condor", "platform": {"workstations": 2},
               "workload": {"kind": "processes", "duration_s": 60, "baseline": "none",
                            "script": [{"arrival_s": 0, "home": 0, "cpu_s": 100}]},
               "owners": {"model": "trace", "trace": "owners.csv"},
               "policy": {"name": "condor", "params": {"start_idle_s": 0}}}}


class CondorCheckerCatches(CheckerCatches):
    """The condor-specific owner checks: suspended at the owner's return, not resumed while the owner stays."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="spritesim-checker-")
        cls.folder = cls._tmp.name
        cls.expected = scenarios.materialize(CONDOR_SPEC, cls.folder, SPRITESIM)
        cls.base = scenarios.run_once(SPRITESIM, cls.folder, CONDOR_SPEC, "out")
        cls.n = 0

    def test_base_run_passes_and_has_evictions(self):
        self.assertEqual(properties.check_run(self.expected, self.base), [])
        kinds = [r[2] for r in properties.read_csv(self.base.path("decisions.csv"))[1]]
        self.assertIn("suspend", kinds)
        self.assertIn("resume", kinds)

    def test_not_suspended(self):
        self.assert_caught(self.doctored("decisions.csv", self.csv_edit(
            lambda rows: rows.remove(self.row_of(rows, kind="suspend")))), "not suspended when the owner came back")

    def test_resumed_with_owner_there(self):
        def fn(rows):
            self.row_of(rows, kind="resume")[0] = "30.000000"
        self.assert_caught(self.doctored("decisions.csv", self.csv_edit(fn)), "resumed on ws01 at 30.000000")


for _name in [n for n in dir(CheckerCatches) if n.startswith("test_") and n not in (
        "test_base_run_passes_and_has_evictions", "test_not_suspended", "test_resumed_with_owner_there")]:
    setattr(CondorCheckerCatches, _name, None)  # the general checks run on the sprite base only


# --- the scenario sweep -----------------------------------------------------------------------------------------


def symptom(violation):
    """A short class for a violation, to group failures in the summary."""
    for key in ("hang", "signal", "exit 0 with a deadlock", "never finished", "empty job_id", "on a valid config",
                "results.json was written", "CPU not conserved", "nondeterministic", "after the owner came back",
                "placed on", "not suspended", "resumed on", "no eviction of", "is not documented",
                "is not among the values", "does not fit its unit", "header", "jobs_total", "differs from the input",
                "setup:"):
        if key in violation:
            return key
    return violation.split(":")[0][:40]


def _print(*args):
    print(*args, flush=True)


def run_specs(specs, jobs, work, failures_dir, log=_print, determinism_every=4, progress_every=10**9):
    """Checks the specs on `jobs` workers; returns (failures [(spec, violations)], run seconds, wall seconds,
    [(seconds, seed)])."""
    t0 = time.monotonic()
    failures, total, times = [], 0.0, []

    def one(i_spec):
        i, spec = i_spec
        return spec, scenarios.check(copy.deepcopy(spec), SPRITESIM, work, determinism=(i % determinism_every == 0))

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for done, (spec, (violations, seconds, _folder)) in enumerate(pool.map(one, enumerate(specs)), 1):
            if done % progress_every == 0:
                log(f"  ... {done} of {len(specs)} scenarios, {len(failures)} failing, "
                    f"{time.monotonic() - t0:.0f} s")
            total += seconds
            times.append((seconds, spec["seed"]))
            if violations:
                failures.append((spec, violations))
                log(f"FAIL {scenarios.describe(spec)}")
                for v in violations[:6]:
                    log(f"  {v}")
                if len(violations) > 6:
                    log(f"  ... {len(violations) - 6} more")
                log(f"  config: {scenarios.minimal_config(spec)}")
                for line in scenarios.write_failure(spec, SPRITESIM, failures_dir, violations):
                    log(line)
    return failures, total, time.monotonic() - t0, times


def summary(failures, count, wall, cpu, what, times=()):
    print(f"{what}: {count} scenarios, {len(failures)} failing, {wall:.1f} s wall, {cpu:.1f} s in spritesim")
    if times:
        slow = sorted(times, reverse=True)[:3]
        print("  slowest runs: " + ", ".join(f"{s:.2f} s (seed {seed})" for s, seed in slow))
    c = Counter()
    for _, vs in failures:
        for s in {symptom(v) for v in vs}:
            c[s] += 1
    for s, n in c.most_common():
        print(f"  {n:5d} scenario(s): {s}")
    if failures:
        print("  failing seeds: " + " ".join(str(s["seed"]) for s, _ in failures))


def load_regressions():
    with open(REGRESSIONS) as f:
        return json.load(f)["scenarios"]


def main(argv=None, default_count=300, default_master_seed=SUITE_MASTER_SEED):
    global SPRITESIM
    ap = argparse.ArgumentParser()
    ap.add_argument("spritesim")
    ap.add_argument("--count", type=int, default=default_count)
    ap.add_argument("--master-seed", type=int, default=default_master_seed,
                    help="scenario i has seed MASTER + i")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--failures", help="where failing scenarios are written (default: build/property-failures)")
    ap.add_argument("--skip-checker-tests", action="store_true")
    ap.add_argument("--skip-regressions", action="store_true")
    a = ap.parse_args(argv)
    SPRITESIM = os.path.abspath(a.spritesim)
    failures_dir = a.failures or os.path.join(os.path.dirname(os.path.dirname(SPRITESIM)), "property-failures")
    ok = True
    if not a.skip_checker_tests:
        suite = unittest.TestSuite([unittest.defaultTestLoader.loadTestsFromTestCase(CheckerCatches),
                                    unittest.defaultTestLoader.loadTestsFromTestCase(CondorCheckerCatches)])
        ok = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite).wasSuccessful() and ok
    policies = scenarios.policies_from(SPRITESIM)
    print(f"policies: {' '.join(p['name'] for p in policies)}")
    work = tempfile.mkdtemp(prefix="spritesim-properties-")
    try:
        if not a.skip_regressions:
            regs = load_regressions()
            specs = [r["spec"] for r in regs]
            failures, cpu, wall, _ = run_specs(specs, a.jobs, work, failures_dir, determinism_every=1)
            summary(failures, len(specs), wall, cpu, "regression scenarios")
            for spec, vs in failures:
                note = next(r["note"] for r in regs if r["spec"]["seed"] == spec["seed"])
                print(f"  regression {spec['seed']} still fails ({symptom(vs[0])}): {note}")
            ok = ok and not failures
        specs = [scenarios.generate(a.master_seed + i, policies) for i in range(a.count)]
        print(f"random scenarios: master seed {a.master_seed}, seeds {a.master_seed}..{a.master_seed + a.count - 1}, "
              f"{a.jobs} at a time, every 4th twice (determinism)")
        sys.stdout.flush()
        failures, cpu, wall, times = run_specs(specs, a.jobs, work, failures_dir,
                                               progress_every=500 if a.count >= 1000 else 10**9)
        kinds = Counter(s["config"]["workload"]["kind"] for s in specs)
        pols = Counter(s["config"]["policy"]["name"] for s in specs)
        owners = Counter(s["config"]["owners"]["model"] for s in specs)
        print(f"  workloads {dict(kinds)}; owners {dict(owners)}; policies {dict(sorted(pols.items()))}")
        summary(failures, len(specs), wall, cpu, "random scenarios", times)
        ok = ok and not failures
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
