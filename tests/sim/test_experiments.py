#!/usr/bin/env python3
# Scenario tests of the experiments layer (experiments/): ^C (SIGINT to the sweep alone, as a terminal sends it to
# the foreground process) stops every run, leaves no process behind, keeps every finished run whole, and the sweep
# resumes; the sequential baseline is simulated once per experiment and seed and the runs read it from the cache
# (OUT/baselines/), giving the bytes a run that simulates its own gives; a reproduction figure file runs as a sweep
# whose runs are the point runs reproduce made before figures were sweeps, and `run FIGURE --cell N` runs one of
# them; every verb and subverb answers --help and -h with its own usage, on stdout, exit 0; --version names the
# version, the git commit and SimGrid's; `validate` passes good configs, sweeps and traces (JSON and JSON Lines) and
# refuses bad ones with the error `run` gives, exit 4; a usage error (2), bad input (4) and an invalid run (3) exit
# with distinct statuses; the bash completion names every option of every --help, and nothing else.
# Usage: python3 test_experiments.py /path/to/spritesim
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import DIAMOND_TRACE, processes_mentioning, rows, run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None  # set from argv in main()


def write(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def finished(out):
    return sorted(glob.glob(os.path.join(out, "runs", "*", "*", "results.json")))


class Experiments(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="spritesim-experiments-")
        self.tmp = self._tmp.name
        write(os.path.join(self.tmp, "diamond.json"), DIAMOND_TRACE)

    def tearDown(self):
        self._tmp.cleanup()

    def sweep_file(self, baseline, policies, hosts, seeds):
        write(os.path.join(self.tmp, "exp.json"), {"name": "diamond", "platform": {"workstations": 3},
                                                   "workload": {"trace": "diamond.json", "baseline": baseline}})
        path = os.path.join(self.tmp, "sweep.json")
        write(path, {"name": "t", "experiment": "exp.json",
                     "axes": [{"path": "policy.name", "values": policies},
                              {"path": "platform.workstations", "values": hosts}],
                     "seeds": seeds})
        return path

    def test_sigint_stops_every_run_and_keeps_finished_ones(self):
        sweep = self.sweep_file("none", ["sprite", "random"], [2, 3, 4], {"first": 1, "count": 5})
        out = os.path.join(self.tmp, "out")
        with open(os.path.join(self.tmp, "log"), "w") as log:
            p = subprocess.Popen([SPRITESIM, "sweep", sweep, "--out", out, "--jobs", "2"], stdout=log, stderr=log)
            deadline = time.monotonic() + 60
            while len(finished(out)) < 4 and p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(p.pid, signal.SIGINT)  # the sweep alone: its runs are in process groups of their own
            status = p.wait(timeout=30)
        with open(os.path.join(self.tmp, "log")) as f:
            text = f.read()
        self.assertEqual(status, 128 + signal.SIGINT, text)
        self.assertIn("stopped by signal 2", text)
        self.assertEqual(processes_mentioning(out), [], "runs outlived the interrupted sweep")
        kept = finished(out)
        self.assertGreaterEqual(len(kept), 4)
        self.assertLess(len(kept), 30, "the sweep finished before it was interrupted")
        for f in kept:  # whole: written to a temporary file and renamed
            with open(f) as r:
                self.assertIn("makespan_s", json.load(r))
            self.assertEqual(glob.glob(os.path.join(os.path.dirname(f), "*.tmp.*")), [], f)
        mtimes = {f: os.stat(f).st_mtime_ns for f in kept}
        resumed = subprocess.run([SPRITESIM, "sweep", sweep, "--out", out, "--jobs", "2"], capture_output=True,
                                 text=True, timeout=120)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertIn(f"{len(kept)} finished already", resumed.stderr)
        self.assertEqual(len(rows(os.path.join(out, "sweep.csv"))), 30)
        for f, m in mtimes.items():
            self.assertEqual(os.stat(f).st_mtime_ns, m, f"{f} was redone")

    def test_baseline_is_simulated_once_per_experiment_and_seed(self):
        # 2 policies x 2 host counts x 2 seeds: 8 runs share 2 baselines (hosts and policy do not matter on one host;
        # with 2 hosts a run would be sequential itself, its own baseline).
        sweep = self.sweep_file("sequential", ["sprite", "random"], [3, 4], [1, 2])
        out = os.path.join(self.tmp, "out")
        r = subprocess.run([SPRITESIM, "sweep", sweep, "--out", out, "--jobs", "2"], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 sequential baseline(s) to simulate", r.stderr)
        cached = sorted(glob.glob(os.path.join(out, "baselines", "*.json")))
        self.assertEqual(len(cached), 2, cached)
        by_seed = {}
        for f in cached:
            with open(f) as c:
                doc = json.load(c)
            self.assertEqual(doc["experiment"]["platform"]["workstations"], 1)
            by_seed[doc["experiment"]["seed"]] = float(doc["makespan_s"])
        self.assertEqual(sorted(by_seed), [1, 2])
        table = rows(os.path.join(out, "sweep.csv"))
        self.assertEqual(len(table), 8)
        for row in table:
            with open(os.path.join(out, "runs", row["cell"], f"seed-{row['seed']}", "results.json")) as f:
                res = json.load(f)
            self.assertEqual(res["baseline_makespan_s"], round(by_seed[int(row["seed"])], 6))
            self.assertGreater(float(row["speedup"]), 1)
        # A run that simulates its own baseline gives the bytes the cached one gave.
        alone = os.path.join(self.tmp, "alone")
        r = subprocess.run([SPRITESIM, "run", os.path.join(self.tmp, "exp.json"), "--seed", "2", "--set",
                            'policy.name="random"', "--set", "platform.workstations=3", "--out", alone],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(alone, "results.json"), "rb") as a, \
                open(os.path.join(out, "runs", "policy.name=random+platform.workstations=3", "seed-2",
                                  "results.json"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertFalse([x for x in os.listdir(alone) if "baseline" in x], "the run left its scratch baseline")
        # A run given a cache file reads it rather than simulating: a doctored makespan shows in its speedup.
        seed1 = [f for f in cached if json.load(open(f))["experiment"]["seed"] == 1][0]
        with open(seed1) as f:
            doc = json.load(f)
        doc["makespan_s"] = "1000"
        doctored = os.path.join(self.tmp, "doctored.json")
        write(doctored, doc)
        r = subprocess.run([SPRITESIM, "run", os.path.join(self.tmp, "exp.json"), "--seed", "1", "--out",
                            os.path.join(self.tmp, "d"), "--baseline-file", doctored],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.tmp, "d", "results.json")) as f:
            self.assertEqual(json.load(f)["baseline_makespan_s"], 1000)
        # A cache file of another seed is refused, not used.
        r = subprocess.run([SPRITESIM, "run", os.path.join(self.tmp, "exp.json"), "--seed", "2", "--out",
                            os.path.join(self.tmp, "e"), "--baseline-file", seed1],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("not the sequential baseline of this experiment and seed", r.stderr)
        # Rerunning the finished sweep simulates nothing, baselines included.
        r = subprocess.run([SPRITESIM, "sweep", sweep, "--out", out], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("sequential baseline", r.stderr)

    def test_a_figure_file_runs_as_a_sweep_and_its_runs_are_the_old_point_runs(self):
        # What `spritesim reproduce` makes of a figure is this sweep (its folder DIR/runs/FIGURE).
        out = os.path.join(self.tmp, "fig")
        r = subprocess.run([SPRITESIM, "sweep", "configs/reproduction/comp88-local.json", "--out", out],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        table = rows(os.path.join(out, "sweep.csv"))
        self.assertEqual([(row["compiles"], row["band"]) for row in table],
                         [(str(n), b) for n in range(1, 5) for b in ("central", "server-lookup-2.12ms")])
        # The band's run is the point's run with the band's override last, as reproduce ran points before sweeps.
        alone = os.path.join(self.tmp, "alone")
        sets = ["workload.baseline=none", "workload.max_jobs=2", "workload.generator.build.files=2",
                "platform.workstations=1", "workload.migrate=false", "workload.local_first=false",
                "workload.max_local=2", "costs.file_server.lookup_cpu_ms=2.12"]
        r = subprocess.run([SPRITESIM, "run", "configs/experiments/comp88-compiles.json", "--out", alone,
                            *[a for s in sets for a in ("--set", s)]], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("results.json", "jobs.csv", "config.resolved.json"):
            with open(os.path.join(alone, name), "rb") as a, \
                    open(os.path.join(out, "runs", "compiles=2+band=server-lookup-2.12ms", "seed-1", name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        # `run FIGURE --cell 4` runs that same cell (the fourth in the sweep's order) at the sweep's seed.
        cell = os.path.join(self.tmp, "cell")
        r = subprocess.run([SPRITESIM, "run", "configs/reproduction/comp88-local.json", "--cell", "4", "--out", cell],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("cell 4 of 8 (compiles=2+band=server-lookup-2.12ms) at seed 1", r.stderr)
        for name in ("results.json", "jobs.csv", "config.resolved.json"):
            with open(os.path.join(cell, name), "rb") as a, open(os.path.join(alone, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        for args, message, status in ((["--cell", "9"], "expected a cell in [1, 8], got 9", 4),
                                      (["--cell", "0"], "--cell expects an integer in [1, 1000000000]", 2)):
            r = subprocess.run([SPRITESIM, "run", "configs/reproduction/comp88-local.json", *args, "--out",
                                os.path.join(self.tmp, "no")], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, status, r.stderr)
            self.assertIn(message, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))

    VERBS = ("run", "sweep", "reproduce", "calibrate", "policies", "host-profile", "trace", "trace info",
             "trace generate", "trace import-ninja", "trace convert", "trace capture", "agent", "migd", "rexec",
             "make", "status", "validate", "baseline", "columns")

    def help_text(self, verb, flag="--help"):
        r = subprocess.run([SPRITESIM, *verb.split(), flag], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, f"{verb} {flag}: {r.stderr}")
        return r.stdout

    def test_every_verb_answers_help(self):
        for verb in self.VERBS:
            for flag in ("--help", "-h"):
                out = self.help_text(verb, flag)
                self.assertTrue(out.startswith(f"usage: spritesim {verb}"), f"{verb} {flag}: {out[:80]!r}")
        top = self.help_text("", "--help")
        for code in range(6):
            self.assertRegex(top, rf"\n  {code}  \w", "spritesim --help lists every exit status")
        r = subprocess.run([SPRITESIM], capture_output=True, text=True, timeout=10)
        self.assertEqual((r.returncode, r.stdout, "usage: spritesim" in r.stderr), (2, "", True))

    def test_version(self):
        r = subprocess.run([SPRITESIM, "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^spritesim \d+\.\d+\.\d+ \(git [0-9a-z.-]+\), with SimGrid \d+\.\d+\.\d+\n$")
        rexec = os.path.join(os.path.dirname(SPRITESIM), "spritesim-rexec")
        r = subprocess.run([rexec, "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^spritesim-rexec \d+\.\d+\.\d+ \(git [0-9a-z.-]+\), without SimGrid\n$")

    def validate(self, *args):
        return subprocess.run([SPRITESIM, "validate", *args], capture_output=True, text=True, timeout=60)

    def test_validate(self):
        diamond = os.path.join(self.tmp, "diamond.json")
        jsonl = os.path.join(self.tmp, "diamond.jsonl")
        r = subprocess.run([SPRITESIM, "trace", "convert", diamond, jsonl], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        config = os.path.join(self.tmp, "diamond-run.json")
        write(config, {"name": "d", "platform": {"workstations": 3}, "workload": {"trace": "diamond.json"}})
        sweep = os.path.join(self.tmp, "sweep.json")
        write(sweep, {"name": "s", "experiment": "diamond-run.json", "seeds": [1, 2],
                      "axes": [{"path": "platform.workstations", "values": [2, 3]}]})
        kinds = {"configs/experiments/kernel-12.json": "config", config: "config", sweep: "sweep",
                 diamond: "trace", jsonl: "trace"}
        r = self.validate(*kinds)
        self.assertEqual(r.returncode, 0, r.stderr)
        for path, kind in kinds.items():
            self.assertIn(f"{path}: ok ({kind} ", r.stdout)
        self.assertIn("1 axis, 2 cells, 4 runs", r.stdout)
        # Bad files of each kind: the error `run` (or `trace info`) gives, naming the file and the JSON path; exit 4.
        bad_trace = os.path.join(self.tmp, "bad-trace.json")
        write(bad_trace, {**DIAMOND_TRACE, "jobs": [{"id": "a", "cpu_s": -1}]})
        bad_config = os.path.join(self.tmp, "bad-config.json")
        write(bad_config, {"name": "x", "platfrom": {}})
        names_bad_trace = os.path.join(self.tmp, "names-bad-trace.json")
        write(names_bad_trace, {"name": "y", "workload": {"trace": "bad-trace.json"}})
        bad_sweep = os.path.join(self.tmp, "bad-sweep.json")
        write(bad_sweep, {"name": "s", "experiment": "diamond-run.json", "seeds": [1],
                          "axes": [{"path": "platform.workstations", "values": [2, -3]}]})
        for path, mention, command in ((bad_config, "$.platfrom", "run"), (names_bad_trace, "bad-trace.json", "run"),
                                       (bad_sweep, "$.axes[0].values[1]", "sweep"),
                                       (bad_trace, "$.jobs[0].cpu_s", "trace info")):
            r = self.validate(path)
            self.assertEqual(r.returncode, 4, r.stderr)
            self.assertIn(path, r.stderr)
            self.assertIn(mention, r.stderr)
            out = ["--out", os.path.join(self.tmp, "no")] if command != "trace info" else []
            ran = subprocess.run([SPRITESIM, *command.split(), path, *out], capture_output=True, text=True, timeout=60)
            self.assertEqual(ran.returncode, 4, ran.stderr)
            self.assertEqual(r.stderr.split(": error: ", 1)[1], ran.stderr.split(": error: ", 1)[1])
        r = self.validate("--kind", "sweep", config)
        self.assertEqual(r.returncode, 4, r.stderr)
        r = self.validate(config, bad_config)  # every file is checked; the good one is still said ok
        self.assertEqual((r.returncode, f"{config}: ok" in r.stdout), (4, True), r.stderr)
        self.assertEqual(self.validate("--kind", "table", config).returncode, 2)
        self.assertEqual(self.validate().returncode, 2)

    def test_exit_statuses_are_distinct(self):
        bad = os.path.join(self.tmp, "bad.json")
        write(bad, {"name": "x", "platfrom": {}})
        usage = subprocess.run([SPRITESIM, "run", "--no-such-flag"], capture_output=True, text=True, timeout=10)
        self.assertEqual(usage.returncode, 2)
        self.assertIn('usage error: unknown option "--no-such-flag" (see spritesim run --help)', usage.stderr)
        extra = subprocess.run([SPRITESIM, "run", bad, "more"], capture_output=True, text=True, timeout=10)
        self.assertEqual(extra.returncode, 2)
        self.assertIn('unexpected argument "more"', extra.stderr)
        r = subprocess.run([SPRITESIM, "run", bad], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 4, r.stderr)

    def test_completion_names_every_option(self):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "completion",
                            "spritesim.bash")
        with open(path) as f:
            text = f.read()
        table = dict(re.findall(r'^  \[([a-z -]+)\]="([^"]*)"$', text, re.M))
        verbs = re.search(r'^_spritesim_verbs="([^"]*)"$', text, re.M).group(1).split()
        subverbs = re.search(r'^_spritesim_trace_subverbs="([^"]*)"$', text, re.M).group(1).split()
        shown = [v for v in self.VERBS if v not in ("trace", "baseline", "columns")]
        self.assertEqual(sorted(table), sorted(shown))
        self.assertEqual(sorted(verbs), sorted({v.split()[0] for v in shown}))
        self.assertEqual(sorted(subverbs), sorted(v.split()[1] for v in shown if v.startswith("trace ")))
        for verb in shown:
            # Options are words that start with "--" in the usage ("--" alone, before a command, is not one).
            named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", self.help_text(verb))) - {"--help"}
            self.assertEqual(set(table[verb].split()), named, f"completion of {verb} vs its --help")


if __name__ == "__main__":
    run_script("test_experiments.py", globals())
