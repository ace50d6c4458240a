#!/usr/bin/env python3
# Scenario tests of `spritesim sweep` and `spritesim run --timeline`: a 3 x 4 x 5 sweep of small runs is stopped with
# SIGTERM half-way and resumed (no run redone, none orphaned, every cell and seed present once); the same sweep in 2
# shards, merged or written into one folder, gives byte-identical tables; a zip axis's runs are the bytes of the
# overrides its labels stand for; bad sweep files exit 4 naming the file and JSON path; a failing run is reported
# and its log kept; the analysis scripts draw from the outputs.
# Usage: python3 test_sweep.py /path/to/spritesim
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import DIAMOND_TRACE, TempDirCase, processes_mentioning, rows, run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None  # set from argv in main()
ANALYSIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis")
PLOT_PYTHON = "/usr/bin/python3"  # Debian's python3 with python3-matplotlib

EXPERIMENT = {"name": "diamond", "platform": {"workstations": 3}, "workload": {"trace": "diamond.json"}}
# Issue 5's sweep: 3 policies x 4 host counts x 5 seeds.
SWEEP = {
    "name": "small",
    "experiment": "exp.json",
    "set": {"workload.baseline": "none"},
    "axes": [{"path": "policy.name", "values": ["sprite", "random", "least-loaded"]},
             {"path": "platform.workstations", "values": [2, 3, 4, 5]}],
    "seeds": {"first": 1, "count": 5},
}
RUNS = 60


def sweep(args, **kw):
    return subprocess.run([SPRITESIM, "sweep", *args], capture_output=True, text=True, timeout=300, **kw)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def finished(out):
    found = []
    for root, _, files in os.walk(os.path.join(out, "runs")):
        if "results.json" in files:
            found.append(os.path.join(root, "results.json"))
    return found


class Sweep(TempDirCase):
    TMP_PREFIX = "spritesim-sweep-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, doc in (("diamond.json", DIAMOND_TRACE), ("exp.json", EXPERIMENT), ("sweep.json", SWEEP)):
            with open(os.path.join(cls.tmp, name), "w") as f:
                json.dump(doc, f, indent=1)
        cls.sweep_file = os.path.join(cls.tmp, "sweep.json")
        # The reference: the whole sweep, stopped half-way by SIGTERM, then resumed.
        cls.full = os.path.join(cls.tmp, "full")
        log = open(os.path.join(cls.tmp, "killed.log"), "w")
        p = subprocess.Popen([SPRITESIM, "sweep", cls.sweep_file, "--out", cls.full, "--jobs", "2"],
                             stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while len(finished(cls.full)) < 12 and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        p.send_signal(signal.SIGTERM)
        cls.killed_status = p.wait(timeout=60)
        log.close()
        cls.leftover = processes_mentioning(cls.full)
        cls.before_resume = {f: os.stat(f).st_mtime_ns for f in finished(cls.full)}
        cls.resumed = sweep([cls.sweep_file, "--out", cls.full, "--jobs", "2"])

    def test_stopped_sweep_leaves_no_process_and_resumes(self):
        with open(os.path.join(self.tmp, "killed.log")) as f:
            killed_log = f.read()
        self.assertEqual(self.killed_status, 128 + signal.SIGTERM, killed_log)
        self.assertIn("rerun the same command to resume", killed_log)
        self.assertEqual(self.leftover, [], "runs outlived the stopped sweep")
        self.assertGreaterEqual(len(self.before_resume), 12)
        self.assertLess(len(self.before_resume), RUNS, "the sweep finished before it was stopped")
        self.assertEqual(self.resumed.returncode, 0, self.resumed.stderr)
        self.assertIn(f"{len(self.before_resume)} finished already", self.resumed.stderr)
        for f, mtime in self.before_resume.items():
            self.assertEqual(os.stat(f).st_mtime_ns, mtime, f"{f} was redone")

    def test_every_cell_and_seed_once_in_matrix_order(self):
        table = rows(os.path.join(self.full, "sweep.csv"))
        self.assertEqual(len(table), RUNS)
        self.assertEqual([int(r["run"]) for r in table], list(range(RUNS)))
        keys = [(r["policy.name"], r["platform.workstations"], r["seed"]) for r in table]
        self.assertEqual(len(set(keys)), RUNS)
        expected = [(p, str(w), str(s)) for p in ("sprite", "random", "least-loaded") for w in (2, 3, 4, 5)
                    for s in range(1, 6)]
        self.assertEqual(keys, expected)
        for r in table:
            self.assertEqual(r["jobs_completed"], "4")
            self.assertEqual(r["speedup"], "")  # baseline none
            with open(os.path.join(self.full, "runs", r["cell"], f"seed-{r['seed']}", "results.json")) as f:
                res = json.load(f)
            self.assertEqual(float(r["makespan_s"]), res["makespan_s"])
            self.assertEqual(res["seed"], int(r["seed"]))
            with open(os.path.join(self.full, "runs", r["cell"], f"seed-{r['seed']}", "config.resolved.json")) as f:
                cfg = json.load(f)
            self.assertEqual(cfg["platform"]["workstations"], int(r["platform.workstations"]))
            self.assertEqual(cfg["policy"]["name"], r["policy.name"])

    def test_summary_statistics(self):
        table = rows(os.path.join(self.full, "sweep.csv"))
        summary = rows(os.path.join(self.full, "sweep-summary.csv"))
        self.assertEqual(len(summary), 12 * 6)  # cells x default metrics
        for s in summary:
            if s["metric"] != "makespan_s":
                continue
            values = [float(r["makespan_s"]) for r in table if r["cell"] == s["cell"]]
            self.assertEqual(int(s["n"]), 5)
            mean = sum(values) / 5
            sd = (sum((v - mean) ** 2 for v in values) / 4) ** 0.5
            self.assertAlmostEqual(float(s["mean"]), mean, places=5)
            self.assertAlmostEqual(float(s["stddev"]), sd, places=5)
            self.assertAlmostEqual(float(s["ci95_half_width"]), 2.776 * sd / 5 ** 0.5, places=5)

    def test_rerun_of_a_finished_sweep_runs_nothing(self):
        p = sweep([self.sweep_file, "--out", self.full])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"{RUNS} finished already, 0 to run", p.stderr)

    def test_shards_merged_give_identical_tables(self):
        a, b, merged = (os.path.join(self.tmp, n) for n in ("shard-a", "shard-b", "merged"))
        p1 = sweep([self.sweep_file, "--out", a, "--shard", "1/2"])
        self.assertEqual(p1.returncode, 0, p1.stderr)
        self.assertIn("30 run(s) not finished yet", p1.stderr)
        self.assertEqual(len(rows(os.path.join(a, "sweep.csv"))), 30)
        self.assertTrue(all(int(r["run"]) % 2 == 0 for r in rows(os.path.join(a, "sweep.csv"))))
        p2 = sweep([self.sweep_file, "--out", b, "--shard", "2/2"])
        self.assertEqual(p2.returncode, 0, p2.stderr)
        m = sweep([self.sweep_file, "--out", merged, "--merge", a, b])
        self.assertEqual(m.returncode, 0, m.stderr)
        for name in ("sweep.csv", "sweep-summary.csv"):
            self.assertEqual(read_bytes(os.path.join(merged, name)), read_bytes(os.path.join(self.full, name)), name)
        # A merge missing a shard says so and fails.
        partial = sweep([self.sweep_file, "--out", os.path.join(self.tmp, "partial"), "--merge", a])
        self.assertEqual(partial.returncode, 1, partial.stderr)
        self.assertIn("30 run(s) not finished yet", partial.stderr)

    def test_gnu_parallel_shards_then_merge_give_identical_tables(self):
        # docs/cluster.md's command line: GNU parallel runs the shards at once into folders of their own, then a merge.
        if not shutil.which("parallel"):
            self.fail("GNU parallel is not installed (setup.sh installs Debian's parallel)")
        base = os.path.join(self.tmp, "par")
        p = subprocess.run(["parallel", "--will-cite", "-j2", "--halt", "now,fail=1",
                            f"{SPRITESIM} sweep {self.sweep_file} --out {base}-{{}} --shard {{}}/3", ":::", "1", "2", "3"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = sweep([self.sweep_file, "--out", base, "--merge", f"{base}-1", f"{base}-2", f"{base}-3"])
        self.assertEqual(m.returncode, 0, m.stderr)
        for name in ("sweep.csv", "sweep-summary.csv"):
            self.assertEqual(read_bytes(os.path.join(base, name)), read_bytes(os.path.join(self.full, name)), name)

    def test_shards_into_one_folder_give_identical_tables(self):
        shared = os.path.join(self.tmp, "shared")
        for shard in ("2/2", "1/2"):
            p = sweep([self.sweep_file, "--out", shared, "--shard", shard])
            self.assertEqual(p.returncode, 0, p.stderr)
        for name in ("sweep.csv", "sweep-summary.csv"):
            self.assertEqual(read_bytes(os.path.join(shared, name)), read_bytes(os.path.join(self.full, name)), name)

    def test_another_experiment_cannot_reuse_the_folder(self):
        other = dict(SWEEP, set={"workload.baseline": "none", "workload.max_local": 2})
        path = os.path.join(self.tmp, "other.json")
        with open(path, "w") as f:
            json.dump(other, f)
        p = sweep([path, "--out", self.full])
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("sweep.json", p.stderr)

    def test_zip_axis_runs_give_the_bytes_of_the_overrides_they_stand_for(self):
        def zip_sweep(name, labels):
            doc = dict(SWEEP, axes=[{"path": "policy.name", "values": ["sprite"]},
                                    {"name": "hosts", "points": [{"value": v, "set": {"platform.workstations": w}}
                                                                 for v, w in labels]}],
                       seeds=[1, 2])
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                json.dump(doc, f)
            return path
        out = os.path.join(self.tmp, "zip")
        p = sweep([zip_sweep("zip.json", [(2, 2), (4, 4)]), "--out", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        table = rows(os.path.join(out, "sweep.csv"))
        self.assertEqual([(r["cell"], r["hosts"], r["seed"]) for r in table],
                         [("policy.name=sprite+hosts=2", "2", "1"), ("policy.name=sprite+hosts=2", "2", "2"),
                          ("policy.name=sprite+hosts=4", "4", "1"), ("policy.name=sprite+hosts=4", "4", "2")])
        for label, hosts in ((2, 2), (4, 4)):
            for seed in (1, 2):
                self.assertEqual(
                    read_bytes(os.path.join(out, "runs", f"policy.name=sprite+hosts={label}", f"seed-{seed}",
                                            "results.json")),
                    read_bytes(os.path.join(self.full, "runs", f"policy.name=sprite+platform.workstations={hosts}",
                                            f"seed-{seed}", "results.json")))
        with open(os.path.join(out, "sweep.json")) as f:
            self.assertEqual(json.load(f)["zip"]["hosts"]["4"], {"platform.workstations": 4})
        # A label that now sets something else is refused; a new label joins the folder.
        changed = sweep([zip_sweep("changed.json", [(2, 3), (4, 4)]), "--out", out])
        self.assertEqual(changed.returncode, 4, changed.stderr)
        self.assertIn("zip labels", changed.stderr)
        more = sweep([zip_sweep("more.json", [(2, 2), (4, 4), (5, 5)]), "--out", out])
        self.assertEqual(more.returncode, 0, more.stderr)
        self.assertIn("4 finished already, 2 to run", more.stderr)
        with open(os.path.join(out, "sweep.json")) as f:
            self.assertEqual(sorted(json.load(f)["zip"]["hosts"]), ["2", "4", "5"])

    def test_failed_run_is_reported_and_its_log_kept(self):
        bad = dict(SWEEP, axes=[{"path": "policy.name", "values": ["sprite", "no-such-policy"]}], seeds=[1])
        path = os.path.join(self.tmp, "failing.json")
        with open(path, "w") as f:
            json.dump(bad, f)
        out = os.path.join(self.tmp, "failing")
        p = sweep([path, "--out", out])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("runs/policy.name=no-such-policy/seed-1 FAILED", p.stderr)
        self.assertIn("1 run(s) failed", p.stderr)
        with open(os.path.join(out, "runs", "policy.name=no-such-policy", "seed-1", "run.log")) as f:
            self.assertIn("no-such-policy", f.read())
        table = rows(os.path.join(out, "sweep.csv"))
        self.assertEqual([r["policy.name"] for r in table], ["sprite"])

    def test_analysis_scripts_draw_from_the_csvs(self):
        if subprocess.run([PLOT_PYTHON, "-c", "import matplotlib"], capture_output=True).returncode != 0:
            self.skipTest(f"{PLOT_PYTHON} has no matplotlib")
        out = os.path.join(self.tmp, "plots")
        os.makedirs(out)
        summary = os.path.join(self.full, "sweep-summary.csv")
        run_dir = os.path.join(self.full, "runs", "policy.name=sprite+platform.workstations=4", "seed-1")
        for args in ([os.path.join(ANALYSIS, "plot_policies.py"), summary, "--x", "platform.workstations",
                      "--line", "policy.name", "--out", os.path.join(out, "policies")],
                     [os.path.join(ANALYSIS, "plot_timeline.py"), run_dir, "--out", os.path.join(out, "timeline")],
                     [os.path.join(ANALYSIS, "report_sweep.py"), self.full, "--out", os.path.join(out, "report.md")]):
            p = subprocess.run([PLOT_PYTHON, *args], capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
        for name in ("policies.png", "policies.svg", "timeline.png", "timeline.svg", "report.md"):
            self.assertGreater(os.path.getsize(os.path.join(out, name)), 100, name)
        with open(os.path.join(out, "report.md")) as f:
            self.assertIn("| sprite | 4 |", f.read())


class BadSweepFiles(TempDirCase):
    """Every bad sweep file: exit 4 (bad input), the file and the JSON path on stderr, no run started; a wrong command
    line: exit 2."""

    TMP_PREFIX = "spritesim-badsweep-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(cls.tmp, "exp.json"), "w") as f:
            json.dump({"name": "e", "workload": {"baseline": "none"}}, f)

    def check(self, text, *mentions, extra=()):
        path = os.path.join(self.tmp, f"bad-{len(os.listdir(self.tmp))}.json")
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(self.tmp, "out")
        p = sweep([path, "--out", out, *extra])
        self.assertEqual(p.returncode, 4, p.stderr)
        for m in (path, *mentions):
            self.assertIn(m, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "runs")), "a bad sweep started runs")
        shutil.rmtree(out, ignore_errors=True)

    def test_syntax_error(self):
        self.check('{"experiment": "exp.json", ', "line 1")

    def test_missing_experiment(self):
        self.check('{"axes": [], "seeds": [1]}', "$.experiment")

    def test_experiment_not_found(self):
        self.check('{"experiment": "nope.json", "axes": [], "seeds": [1]}', "$.experiment", "nope.json")

    def test_unknown_key(self):
        self.check('{"experiment": "exp.json", "axes": [], "seeds": [1], "sed": 2}', "$.sed", "unknown key")

    def test_axis_value_out_of_range(self):
        self.check('{"experiment": "exp.json", "axes": [{"path": "platform.workstations", "values": [3, 0]}], '
                   '"seeds": [1]}', "$.axes[0].values[1]", "$.platform.workstations")

    def test_axis_path_unknown(self):
        self.check('{"experiment": "exp.json", "axes": [{"path": "platform.nosuch", "values": [1]}], '
                   '"seeds": [1]}', "$.axes[0].values[0]", "$.platform.nosuch")

    def test_empty_values(self):
        self.check('{"experiment": "exp.json", "axes": [{"path": "seed", "values": []}], "seeds": [1]}',
                   "$.axes[0].path")

    def test_bad_seeds(self):
        self.check('{"experiment": "exp.json", "axes": [], "seeds": {"first": 1, "count": "5"}}', "$.seeds.count")
        self.check('{"experiment": "exp.json", "axes": [], "seeds": [1, 1]}', "$.seeds[1]")

    def test_bad_fixed_override(self):
        self.check('{"experiment": "exp.json", "set": {"workload.migrate": 4}, "axes": [], "seeds": [1]}',
                   '$.set["workload.migrate"]')

    def test_bad_command_lines(self):
        ok = os.path.join(self.tmp, "ok.json")
        with open(ok, "w") as f:
            f.write('{"experiment": "exp.json", "axes": [], "seeds": [1]}')
        for args, mention in ((["--shard", "3/2"], "--shard"), (["--shard", "x"], "--shard"),
                              (["--jobs", "0"], "--jobs"), (["--bogus"], "--bogus")):
            p = sweep([ok, *args])
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(mention, p.stderr)


class Timeline(unittest.TestCase):
    def test_timeline_is_trace_event_json_of_the_run(self):
        with tempfile.TemporaryDirectory(prefix="spritesim-timeline-") as tmp:
            with open(os.path.join(tmp, "diamond.json"), "w") as f:
                json.dump(DIAMOND_TRACE, f)
            with open(os.path.join(tmp, "exp.json"), "w") as f:
                json.dump(dict(EXPERIMENT, workload={"trace": "diamond.json", "baseline": "none"}), f)
            outs = []
            for n in ("a", "b"):
                tl = os.path.join(tmp, n, "trace", "timeline.json")
                p = subprocess.run([SPRITESIM, "run", os.path.join(tmp, "exp.json"), "--out", os.path.join(tmp, n),
                                    "--timeline", tl], capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                outs.append(tl)
            self.assertEqual(read_bytes(outs[0]), read_bytes(outs[1]), "timeline not deterministic")
            with open(outs[0]) as f:
                doc = json.load(f)
            self.assertEqual(doc["displayTimeUnit"], "ms")
            events = doc["traceEvents"]
            names = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
            jobs = {j["job_id"]: j for j in rows(os.path.join(tmp, "a", "jobs.csv"))}
            spans = [e for e in events if e["ph"] == "X" and e["cat"] != "migration"]
            self.assertEqual(sorted(e["name"] for e in spans), sorted(jobs))
            for e in spans:
                j = jobs[e["name"]]
                self.assertEqual(names[e["pid"]], j["exec_host"])
                self.assertAlmostEqual(e["ts"], float(j["start_s"]) * 1e6, delta=1)
                self.assertAlmostEqual(e["dur"], (float(j["end_s"]) - float(j["start_s"])) * 1e6, delta=1)
            migrations = rows(os.path.join(tmp, "a", "migrations.csv"))
            moved = [e for e in events if e.get("cat") == "migration"]
            self.assertEqual(len(moved), len(migrations))
            for e in moved:
                self.assertEqual(names[e["pid"]], e["args"]["from"])
                self.assertEqual(set(e["args"]), {"kind", "job_id", "from", "to", "bytes", "duration_s"})


if __name__ == "__main__":
    run_script("test_sweep.py", globals())
