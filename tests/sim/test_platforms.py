#!/usr/bin/env python3
# Heterogeneous platforms (issue 15): Sprite's 1990 cluster (configs/platforms/sprite-1990.json, two pools of 14)
# runs, and no job runs and no migration lands on a host of another architecture than its home's (TH90 8.5, 9.3),
# over several seeds and policies, with both pools used remotely so that the property cannot hold vacuously; a
# platform with a file server per pool runs too; bad group configs are input errors (exit 4) naming the JSON path.
# Usage: python3 test_platforms.py /path/to/spritesim
import json
import os
import subprocess
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import TempDirCase, rows, run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CLUSTER = os.path.join(ROOT, "configs", "experiments", "sprite-1990-cluster.json")
INPUT_ERROR = 4


def spritesim(*args):
    return subprocess.run([SPRITESIM, *args], capture_output=True, text=True, timeout=120)


class Sprite1990(TempDirCase):
    """The 1990 cluster's mixed workload (build sessions and processes with homes in both pools)."""

    TMP_PREFIX = "spritesim-platforms-"
    RUNS = [("sprite", 1990, []), ("sprite", 7, []), ("random", 3, []), ("mosix", 5, []),
            # a file server per pool (platform.file_servers), Sprite's policy
            ("sprite", 11, ["platform.file_servers=[{\"name\": \"fs-sparc\"}, {\"name\": \"fs-dec\"}]",
                            "platform.groups=[{\"name\": \"sparc\", \"hosts\": 14, \"profile\": \"ss1\", "
                            "\"architecture\": \"sun4c\", \"file_server\": \"fs-sparc\"}, {\"name\": \"decstation\", "
                            "\"hosts\": 14, \"profile\": \"ds3100\", \"architecture\": \"ds3100\", "
                            "\"file_server\": \"fs-dec\"}]",
                            "platform.network={\"bandwidth_Mbps\": 10}"])]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.runs = []
        for policy, seed, sets in cls.RUNS:
            out = os.path.join(cls.tmp, f"{policy}-{seed}")
            args = ["run", CLUSTER, "--out", out, "--seed", str(seed), "--set", f"policy.name={policy}"]
            if sets:
                # A platform given inline instead of the platform file: the file's keys, one --set each.
                args += ["--set", "platform={}"]
                for s in sets:
                    args += ["--set", s]
            r = spritesim(*args)
            if r.returncode != 0:
                raise AssertionError(f"spritesim {' '.join(args)} exited {r.returncode}:\n{r.stderr}")
            with open(os.path.join(out, "results.json")) as f:
                results = json.load(f)
            cls.runs.append((f"{policy} seed {seed}", out, results))

    def test_two_pools_of_14(self):
        for name, out, _ in self.runs:
            hosts = rows(os.path.join(out, "hosts.csv"))
            arch = Counter(h["architecture"] for h in hosts if h["role"] != "file_server" and h["role"] != "network")
            self.assertEqual(arch, Counter({"sun4c": 14, "ds3100": 14}), name)

    def test_nothing_crosses_architectures(self):
        remote_by_arch = Counter()
        for name, out, results in self.runs:
            arch = {h["host"]: h["architecture"] for h in rows(os.path.join(out, "hosts.csv"))}
            jobs = rows(os.path.join(out, "jobs.csv"))
            self.assertEqual(results["jobs_completed"], results["jobs_total"], name)
            for j in jobs:
                self.assertEqual(arch[j["exec_host"]], arch[j["home_host"]], f"{name}: job {j}")
                if j["remote"] == "1":
                    remote_by_arch[arch[j["home_host"]]] += 1
            # Every migration starts at home (exec) or from where the process ran: both ends of one architecture.
            for m in rows(os.path.join(out, "migrations.csv")):
                self.assertEqual(arch[m["from_host"]], arch[m["to_host"]], f"{name}: migration {m}")
            # The policies choose within the home's architecture: migd refuses nothing for crossing it.
            self.assertEqual(results["usage"]["rejected_decisions"], 0, name)
        # Both pools ran jobs remotely, so the property above was tested in each.
        self.assertGreater(remote_by_arch["sun4c"], 10, remote_by_arch)
        self.assertGreater(remote_by_arch["ds3100"], 10, remote_by_arch)

    def test_file_server_per_pool(self):
        name, out, _ = self.runs[-1]
        busy = {h["host"]: float(h["busy_s"]) for h in rows(os.path.join(out, "hosts.csv"))
                if h["role"] == "file_server"}
        self.assertEqual(set(busy), {"fs-sparc", "fs-dec"}, name)
        self.assertTrue(all(b > 0 for b in busy.values()), f"{name}: each pool's server serves its files: {busy}")
        # utilization.csv has every host of hosts.csv, both servers too, and their busy time
        util = {}
        for r in rows(os.path.join(out, "utilization.csv")):
            util[r["host"]] = util.get(r["host"], 0.0) + float(r["busy_s"])
        hosts = [h for h in rows(os.path.join(out, "hosts.csv")) if h["role"] != "network"]
        self.assertEqual(list(util), [h["host"] for h in hosts], name)
        for h in hosts:
            self.assertAlmostEqual(util[h["host"]], float(h["busy_s"]), delta=1e-3 + 1e-7 * util[h["host"]],
                                   msg=f"{name} {h['host']}")


class BadGroups(TempDirCase):
    """Bad group configs are input errors naming the JSON path, with exit code 4."""

    TMP_PREFIX = "spritesim-platforms-bad-"

    def check(self, sets, where, words):
        args = ["run", CLUSTER, "--out", os.path.join(self.tmp, "bad"), "--set", "platform={}"]
        for s in sets:
            args += ["--set", s]
        r = spritesim(*args)
        self.assertEqual(r.returncode, INPUT_ERROR, r.stderr)
        self.assertIn(where, r.stderr)
        self.assertIn(words, r.stderr)

    def test_groups_and_workstations(self):
        self.check(["platform.groups=[{\"name\": \"a\", \"hosts\": 2}]", "platform.workstations=3"],
                   "$.platform.workstations", "give either platform.groups or platform.workstations")

    def test_unknown_file_server(self):
        self.check(["platform.groups=[{\"name\": \"a\", \"hosts\": 2, \"file_server\": \"nfs\"}]"],
                   "$.platform.groups[0].file_server", "no file server is named \"nfs\"")

    def test_group_named_twice(self):
        self.check(["platform.groups=[{\"name\": \"a\"}, {\"name\": \"a\"}]"], "$.platform.groups[1].name",
                   "named twice")

    def test_hosts_out_of_range(self):
        self.check(["platform.groups=[{\"name\": \"a\", \"hosts\": 0}]"], "$.platform.groups[0].hosts",
                   "expected an integer in [1, 2000]")

    def test_unknown_key_in_group(self):
        self.check(["platform.groups=[{\"name\": \"a\", \"arch\": \"x\"}]"], "$.platform.groups[0].arch",
                   "unknown key")

    def test_missing_platform_file(self):
        r = spritesim("run", CLUSTER, "--out", os.path.join(self.tmp, "bad"), "--set", "platform=nowhere.json")
        self.assertEqual(r.returncode, INPUT_ERROR, r.stderr)
        self.assertIn("$.platform", r.stderr)


if __name__ == "__main__":
    run_script("test_platforms.py", globals(), verbosity=1)
