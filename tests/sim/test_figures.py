#!/usr/bin/env python3
# The month-long run's outputs and figures (issue 15), on two days of it: utilization.csv's busy time per host sums
# to hosts.csv's, every host has every hour, each row's parts sum to its busy_s; builds.csv has a row per build session
# and gives results.json's build shares; both are the same bytes for the same config and seed; analysis/plot_month.py
# draws its four figures from them, and analysis/plot_policies.py draws a bar per policy for a policy-only sweep;
# analysis/policy_colours.py gives each named policy its own colour, and any other name a fixed one.
# Usage: python3 test_figures.py /path/to/spritesim
import filecmp
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "analysis"))
from testlib import DIAMOND_TRACE, TempDirCase, rows, run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None  # set from argv in main()
ANALYSIS = os.path.join(HERE, "..", "..", "analysis")
DAYS = 2
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


class MonthFigures(TempDirCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.runs = []
        for name in ("a", "b"):
            out = os.path.join(cls.tmp, name)
            subprocess.run([SPRITESIM, "run", "configs/experiments/day-in-the-life.json", "--out", out, "--set",
                            f"workload.duration_s={DAYS * 86400}"], check=True, capture_output=True, text=True)
            cls.runs.append(out)
        cls.out = cls.runs[0]
        with open(os.path.join(cls.out, "results.json")) as f:
            cls.results = json.load(f)

    def test_utilization_sums_to_hosts_busy_time(self):
        util = rows(os.path.join(self.out, "utilization.csv"))
        hosts = [r for r in rows(os.path.join(self.out, "hosts.csv")) if r["role"] != "network"]
        intervals = math.ceil(self.results["makespan_s"] / 3600)
        by_host = {}
        for r in util:
            by_host.setdefault(r["host"], []).append(r)
            parts = sum(float(r[k]) for k in ("owner_s", "foreign_s", "home_s", "system_s"))
            self.assertAlmostEqual(parts, float(r["busy_s"]), delta=1e-5, msg=r)
            self.assertLessEqual(float(r["busy_s"]), 3600 * 1.001, r)  # one CPU per workstation, one interval
        self.assertEqual(list(by_host), [h["host"] for h in hosts])
        for h in hosts:
            mine = by_host[h["host"]]
            self.assertEqual([float(r["start_s"]) for r in mine], [3600.0 * k for k in range(intervals)])
            total = sum(float(r["busy_s"]) for r in mine)
            self.assertAlmostEqual(total, float(h["busy_s"]), delta=1e-3 + 1e-7 * total, msg=h["host"])
        foreign = sum(float(r["foreign_s"]) for r in util if r["host"] != "fileserver")
        self.assertGreater(foreign, 0)  # builds and simulations ran remotely

    def test_builds_csv_gives_the_build_shares(self):
        builds = rows(os.path.join(self.out, "builds.csv"))
        self.assertEqual(len(builds), self.results["build_sessions"])
        wanted = [b for b in builds if int(b["hosts_wanted"]) > 0]
        full = sum(1 for b in wanted if int(b["hosts_obtained"]) >= int(b["hosts_wanted"])) / len(wanted)
        self.assertAlmostEqual(full, self.results["usage"]["builds_fully_satisfied_share"], delta=1e-4)
        for b in builds:
            self.assertLessEqual(int(b["hosts_obtained"]), int(b["hosts_wanted"]))
            self.assertLessEqual(float(b["start_s"]), float(b["end_s"]))
        self.assertEqual([b["client"] for b in builds], [str(i + 1) for i in range(len(builds))])

    def test_same_seed_same_bytes(self):
        for name in ("utilization.csv", "builds.csv"):
            self.assertTrue(filecmp.cmp(*(os.path.join(r, name) for r in self.runs), shallow=False), name)

    def test_plot_month_draws_four_figures(self):
        subprocess.run([PYTHON, os.path.join(ANALYSIS, "plot_month.py"), self.out], check=True,
                       capture_output=True, text=True)
        for name in ("month-idle-hosts", "month-utilization", "month-holds-evictions", "month-requests"):
            for ext in ("png", "svg"):
                path = os.path.join(self.out, f"{name}.{ext}")
                self.assertTrue(os.path.isfile(path) and os.path.getsize(path) > 1000, path)


class PolicyFigures(TempDirCase):
    def test_policy_only_sweep_gets_bars(self):
        with open(os.path.join(self.tmp, "diamond.json"), "w") as f:
            json.dump(DIAMOND_TRACE, f)
        with open(os.path.join(self.tmp, "exp.json"), "w") as f:
            json.dump({"name": "diamond", "platform": {"workstations": 3},
                       "workload": {"trace": "diamond.json", "baseline": "none"}}, f)
        with open(os.path.join(self.tmp, "sweep.json"), "w") as f:
            json.dump({"name": "p", "experiment": "exp.json",
                       "axes": [{"path": "policy.name", "values": ["sprite", "random"]}],
                       "seeds": {"first": 1, "count": 2}}, f)
        out = os.path.join(self.tmp, "out")
        subprocess.run([SPRITESIM, "sweep", os.path.join(self.tmp, "sweep.json"), "--out", out, "--jobs", "1"],
                       check=True, capture_output=True, text=True)
        done = subprocess.run([PYTHON, os.path.join(ANALYSIS, "plot_policies.py"),
                               os.path.join(out, "sweep-summary.csv")], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(os.path.getsize(os.path.join(out, "makespan_s-by-policy.name.png")) > 1000)

    def test_colours(self):
        import policy_colours as pc
        self.assertEqual(len(set(pc.COLOURS.values())), len(pc.COLOURS))
        self.assertEqual(pc.colour("sprite"), pc.COLOURS["sprite"])
        self.assertEqual(pc.colour('{"name": "random", "params": {}}'), pc.COLOURS["random"])
        self.assertEqual(pc.colour('{"name": "remote-exec", "params": {"place_arrivals": false}}'),
                         pc.COLOURS["home only"])
        self.assertEqual(pc.colour("my-policy"), pc.colour("my-policy"))


if __name__ == "__main__":
    run_script("test_figures.py", globals())
