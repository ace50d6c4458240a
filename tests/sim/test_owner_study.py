#!/usr/bin/env python3
# Scenario test of the owner study's runs (configs/owners/, docs/owners.md "The owner study"): a slice of the family
# (kernel-12 at Wednesday 10:00, kernel-39 from the synthetic trace, four policy settings, two seeds) run twice as sweeps
# in child processes finishes every run with every job and gives byte-identical outputs per seed; the trace offset
# moves each seed to its own point of the trace; never-evict evicts nothing; the shipped sweep files fit their
# experiment. The full family and its report section run in the `studies` test (reproduce, reduced).
# Usage: python3 test_owner_study.py /path/to/spritesim
import csv
import filecmp
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import TempDirCase  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None  # set from argv in main()
OWNERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "owners")
TRACE = os.path.join(OWNERS, "owner-week.csv")
PER_SEED_S = 55000
SETTINGS = {
    "sprite": {"policy": {"name": "sprite"}},
    "condor-30-60": {"policy": {"name": "condor", "params": {"start_idle_s": 30, "max_suspend_s": 60}}},
    "remote-exec": {"policy": {"name": "remote-exec"}},
    "never-evict": {"policy": {"name": "sprite", "params": {"evict_on_owner": False}}},
}
SLICE = {
    "name": "owner-slice",
    "experiment": os.path.join(OWNERS, "pmake-owners.json"),
    "axes": [
        {"name": "when", "points": [
            {"value": "wed-10", "set": {"owners.params.start_of_week_s": 208800}},
            # The trace has 40 workstations; a trace naming hosts the cluster lacks is refused.
            {"value": "trace", "set": {"owners": {"model": "trace", "trace": TRACE, "trace_offset_s": 0,
                                                  "trace_offset_per_seed_s": PER_SEED_S},
                                       "platform.workstations": 40, "workload.max_jobs": 39}},
        ]},
        {"name": "setting", "points": [{"value": k, "set": v} for k, v in SETTINGS.items()]},
    ],
    "seeds": [1, 2],
}


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class OwnerSlice(TempDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = os.path.join(cls.tmp, "slice.json")
        with open(path, "w") as f:
            json.dump(SLICE, f)
        cls.procs = []
        for copy in ("a", "b"):
            cls.procs.append(subprocess.run([SPRITESIM, "sweep", path, "--out", os.path.join(cls.tmp, copy),
                                             "--jobs", "2"], capture_output=True, text=True, timeout=300))

    def runs(self, copy):
        base = os.path.join(self.tmp, copy, "runs")
        return {os.path.join(cell, seed): os.path.join(base, cell, seed)
                for cell in sorted(os.listdir(base)) for seed in sorted(os.listdir(os.path.join(base, cell)))}

    def test_every_run_finishes_every_job(self):
        for p in self.procs:
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        runs = self.runs("a")
        self.assertEqual(len(runs), 2 * len(SETTINGS) * 2)
        for name, rd in runs.items():
            with open(os.path.join(rd, "results.json")) as f:
                r = json.load(f)
            self.assertEqual(r["jobs_completed"], r["jobs_total"], name)
            self.assertGreater(r["speedup"], 1, name)

    def test_same_seed_same_bytes(self):
        a, b = self.runs("a"), self.runs("b")
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            csvs = sorted(f for f in os.listdir(a[name]) if f.endswith(".csv") or f == "results.json")
            self.assertIn("owners.csv", csvs)
            match, mismatch, errors = filecmp.cmpfiles(a[name], b[name], csvs, shallow=False)
            self.assertEqual((mismatch, errors), ([], []), name)

    def test_trace_offset_per_seed(self):
        # Seed s replays the trace from s x PER_SEED_S: the run's owners.csv is the trace cut and shifted there.
        trace = {}
        with open(TRACE) as f:
            for r in csv.DictReader(line for line in f if not line.startswith("#")):
                trace.setdefault(r["host"], []).append((float(r["start_s"]), float(r["end_s"])))
        for seed in (1, 2):
            start = seed * PER_SEED_S
            rows = read_csv(os.path.join(self.tmp, "a", "runs", "when=trace+setting=sprite", f"seed-{seed}",
                                         "owners.csv"))
            self.assertTrue(rows)
            for r in rows:
                want = [(max(s - start, 0), e - start) for s, e in trace[r["host"]] if e > start]
                got = (float(r["start_s"]), float(r["end_s"]))
                self.assertTrue(any(abs(got[0] - w[0]) < 1e-3 and abs(got[1] - w[1]) < 1e-3 for w in want),
                                (seed, r))

    def test_never_evict_evicts_nothing(self):
        for name, rd in self.runs("a").items():
            if name.startswith("when=") and "setting=never-evict" in name:
                with open(os.path.join(rd, "results.json")) as f:
                    r = json.load(f)
                self.assertEqual((r["evictions"], r["restarts"]), (0, 0), name)
                self.assertEqual(read_csv(os.path.join(rd, "evictions.csv")), [], name)


class ShippedFiles(unittest.TestCase):
    def test_sweep_files(self):
        # Every cell has at least 10 seeds; the sweeps are checked against their experiment by reproduce (studies).
        names = sorted(n for n in os.listdir(OWNERS) if n.startswith("owners-") and n.endswith(".json"))
        self.assertEqual(len(names), 6)
        for name in names:
            with open(os.path.join(OWNERS, name)) as f:
                sweep = json.load(f)
            self.assertGreaterEqual(sweep["seeds"]["count"], 10, name)
            self.assertEqual([a["name"] for a in sweep["axes"]], ["when", "setting"], name)


def main():
    global SPRITESIM
    SPRITESIM = os.path.abspath(sys.argv[1])
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
