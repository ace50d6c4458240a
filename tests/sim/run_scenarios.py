#!/usr/bin/env python3
# Scenario tests of the simulator: each scenario runs `spritesim run` in a child process (SimGrid cannot be reset
# inside a process) and checks the files it writes against what the model must do (TH90 kernel build, limits of
# one job per remote host, determinism, strict input errors). Usage: python3 run_scenarios.py /path/to/spritesim
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import DIAMOND_TRACE, TempDirCase, run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None  # set from argv in main()
KERNEL = "configs/experiments/kernel-12.json"  # embedded in the binary
HOSTS_4 = ["--set", "platform.workstations=5", "--set", "workload.max_jobs=4"]
SEQUENTIAL = ["--set", "platform.workstations=1", "--set", "workload.migrate=false", "--set", "workload.max_jobs=1"]
KERNEL_JOBS = 277        # 276 compiles and the link (TH90 Table B.1 kernel build)
KERNEL_SEQUENTIAL_S = 1971.0  # the published sequential time the kernel trace is generated from
EPS = 1e-6               # CSV times are written with 6 decimals


def run_spritesim(args, cwd=None, timeout=120):
    return subprocess.run([SPRITESIM, "run", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


class Run:
    """The output files of one successful run."""

    def __init__(self, out):
        self.out = out
        with open(os.path.join(out, "results.json")) as f:
            self.results = json.load(f)
        self.jobs = self._csv("jobs.csv")
        self.migrations = self._csv("migrations.csv")
        self.hosts = self._csv("hosts.csv")

    def _csv(self, name):
        with open(os.path.join(self.out, name), newline="") as f:
            return list(csv.DictReader(f))

    def raw(self, name):
        with open(os.path.join(self.out, name), "rb") as f:
            return f.read()

    def job(self, job_id):
        return next(j for j in self.jobs if j["job_id"] == job_id)


def simulate(args, out, cwd=None):
    p = run_spritesim([*args, "--out", out], cwd=cwd)
    if p.returncode != 0:
        raise AssertionError(f"spritesim run {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return Run(out if cwd is None or os.path.isabs(out) else os.path.join(cwd, out))


class ScenarioCase(TempDirCase):
    TMP_PREFIX = "spritesim-scenario-"


class KernelFourHosts(ScenarioCase):
    """The kernel build with pmake -J 4 on 4 remote hosts plus pmake's own (TH90 Table B.1, 4 hosts)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.run_ = simulate([KERNEL, *HOSTS_4], os.path.join(cls.tmp, "k4"))

    def test_every_job_completed_once(self):
        jobs = self.run_.jobs
        self.assertEqual(len(jobs), KERNEL_JOBS)
        self.assertEqual(len({j["job_id"] for j in jobs}), KERNEL_JOBS, "job ids are not unique")
        for j in jobs:
            ready, start, end = float(j["ready_s"]), float(j["start_s"]), float(j["end_s"])
            self.assertGreaterEqual(start, ready - EPS, j)
            self.assertGreater(end, start, j)
        self.assertEqual(self.run_.results["jobs_total"], KERNEL_JOBS)
        self.assertEqual(self.run_.results["jobs_completed"], KERNEL_JOBS)
        self.assertEqual(sum(1 for j in jobs if j["kind"] == "link"), 1)

    def test_remote_hosts_run_one_job_at_a_time(self):
        by_host = defaultdict(list)
        for j in self.run_.jobs:
            if j["exec_host"] != j["home_host"]:
                by_host[j["exec_host"]].append((float(j["start_s"]), float(j["end_s"]), j["job_id"]))
        self.assertEqual(len(by_host), 4, f"expected the 4 remote hosts to be used, got {sorted(by_host)}")
        for host, intervals in by_host.items():
            intervals.sort()
            for (s0, e0, a), (s1, e1, b) in zip(intervals, intervals[1:]):
                self.assertLessEqual(s1, e1)
                self.assertGreaterEqual(s1, e0 - EPS, f"{host} runs {a} [{s0}, {e0}] and {b} [{s1}, {e1}] at once")

    def test_link_starts_after_every_compile_ended(self):
        link = next(j for j in self.run_.jobs if j["kind"] == "link")
        last_compile = max(float(j["end_s"]) for j in self.run_.jobs if j["kind"] == "compile")
        self.assertGreaterEqual(float(link["ready_s"]), last_compile - EPS)
        self.assertGreaterEqual(float(link["start_s"]), last_compile - EPS)
        # The link is the last job, and the build ends when it does.
        self.assertAlmostEqual(max(float(j["end_s"]) for j in self.run_.jobs), float(link["end_s"]), places=6)

    def test_remote_exec_counts_agree(self):
        remote_jobs = [j for j in self.run_.jobs if j["remote"] == "1"]
        self.assertTrue(all(j["exec_host"] != j["home_host"] for j in remote_jobs))
        self.assertTrue(all(j["exec_host"] == j["home_host"] for j in self.run_.jobs if j["remote"] == "0"))
        execs = [m for m in self.run_.migrations if m["kind"] == "exec"]
        self.assertGreater(len(remote_jobs), 0)
        self.assertEqual(self.run_.results["remote_execs"], len(remote_jobs))
        self.assertEqual(self.run_.results["remote_jobs"], len(remote_jobs))
        self.assertEqual(len(execs), len(remote_jobs))
        self.assertEqual({m["job_id"] for m in execs}, {j["job_id"] for j in remote_jobs})
        for m in execs:
            job = self.run_.job(m["job_id"])
            self.assertEqual(m["to_host"], job["exec_host"])
            self.assertEqual(m["from_host"], job["home_host"])
            self.assertGreater(float(m["duration_s"]), 0)
            self.assertGreater(int(m["bytes"]), 0)

    def test_speedup_between_2_and_4(self):
        r = self.run_.results
        self.assertIsNotNone(r["speedup"])
        self.assertGreater(r["speedup"], 2.0)
        self.assertLess(r["speedup"], 4.0)
        self.assertAlmostEqual(r["speedup"], r["baseline_makespan_s"] / r["makespan_s"], places=4)

    def test_host_utilizations(self):
        makespan = self.run_.results["makespan_s"]
        roles = defaultdict(int)
        for h in self.run_.hosts:
            roles[h["role"]] += 1
            u = float(h["utilization"])
            self.assertGreaterEqual(u, 0.0, h)
            self.assertLessEqual(u, 1.0, h)
            self.assertAlmostEqual(u, float(h["busy_s"]) / makespan, places=4)
        self.assertEqual(dict(roles), {"pmake": 1, "workstation": 4, "file_server": 1, "network": 1})
        # hosts.csv counts the jobs each host ran, as jobs.csv says.
        ran = defaultdict(int)
        for j in self.run_.jobs:
            ran[j["exec_host"]] += 1
        for h in self.run_.hosts:
            if h["role"] in ("pmake", "workstation"):
                self.assertEqual(int(h["jobs"]), ran[h["host"]], h)

    def test_file_server_busy_as_measured(self):
        # TH90: the file server spends 290-350 CPU seconds per kernel build.
        fs = [h for h in self.run_.hosts if h["role"] == "file_server"]
        self.assertEqual(len(fs), 1)
        self.assertGreater(float(fs[0]["busy_s"]), 250.0)
        self.assertLess(float(fs[0]["busy_s"]), 400.0)


class KernelSequential(ScenarioCase):
    """The kernel build on one host without migration: the trace's published sequential time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.run_ = simulate([KERNEL, *SEQUENTIAL], os.path.join(cls.tmp, "seq"))

    def test_no_remote_jobs(self):
        r = self.run_
        self.assertEqual(r.results["remote_execs"], 0)
        self.assertEqual(r.results["remote_jobs"], 0)
        self.assertEqual(r.migrations, [])
        self.assertEqual(len(r.jobs), KERNEL_JOBS)
        self.assertTrue(all(j["remote"] == "0" and j["exec_host"] == j["home_host"] for j in r.jobs))

    def test_one_job_at_a_time(self):
        intervals = sorted((float(j["start_s"]), float(j["end_s"])) for j in self.run_.jobs)
        for (s0, e0), (s1, e1) in zip(intervals, intervals[1:]):
            self.assertGreaterEqual(s1, e0 - EPS)

    def test_makespan_matches_published_sequential_time(self):
        m = self.run_.results["makespan_s"]
        self.assertLess(abs(m - KERNEL_SEQUENTIAL_S) / KERNEL_SEQUENTIAL_S, 0.02, f"makespan {m} s")
        # A sequential run is its own baseline.
        self.assertAlmostEqual(self.run_.results["speedup"], 1.0, places=6)


class SpeedupGrowsWithHosts(ScenarioCase):
    def test_makespan_decreases_from_1_to_2_to_4_to_8_hosts(self):
        makespans = []
        for hosts in (1, 2, 4, 8):
            args = [KERNEL, "--set", "workload.baseline=none", "--set", f"workload.max_jobs={hosts}",
                    "--set", f"platform.workstations={1 if hosts == 1 else hosts + 1}"]
            if hosts == 1:
                args += ["--set", "workload.migrate=false"]
            r = simulate(args, os.path.join(self.tmp, f"h{hosts}"))
            self.assertIsNone(r.results["speedup"], "baseline none must not report a speedup")
            self.assertEqual(r.results["jobs_completed"], KERNEL_JOBS)
            makespans.append(r.results["makespan_s"])
        for (a, ma), (b, mb) in zip(zip((1, 2, 4, 8), makespans), zip((2, 4, 8), makespans[1:])):
            self.assertLess(mb, ma, f"{b} hosts ({mb} s) not faster than {a} hosts ({ma} s): {makespans}")


class Determinism(ScenarioCase):
    def test_same_seed_gives_identical_outputs(self):
        a = simulate([KERNEL, *HOSTS_4, "--seed", "5"], os.path.join(self.tmp, "a"))
        b = simulate([KERNEL, *HOSTS_4, "--seed", "5"], os.path.join(self.tmp, "b"))
        self.assertEqual(a.raw("results.json"), b.raw("results.json"))
        self.assertEqual(a.raw("jobs.csv"), b.raw("jobs.csv"))
        self.assertEqual(a.raw("migrations.csv"), b.raw("migrations.csv"))
        self.assertEqual(a.results["seed"], 5)

    def test_different_seed_changes_jobs(self):
        a = simulate([KERNEL, *HOSTS_4, "--seed", "5"], os.path.join(self.tmp, "c"))
        b = simulate([KERNEL, *HOSTS_4, "--seed", "6"], os.path.join(self.tmp, "d"))
        self.assertNotEqual(a.raw("jobs.csv"), b.raw("jobs.csv"))
        self.assertEqual(b.results["seed"], 6)
        with open(os.path.join(b.out, "config.resolved.json")) as f:
            self.assertEqual(json.load(f)["seed"], 6, "the resolved config must record the --seed used")


class BadInputs(ScenarioCase):
    """Every bad input is exit status 4 (a wrong command line 2; not a signal), a message naming the file and JSON
    path, and no results."""

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def assert_input_error(self, args, *mentions, status=4):
        out = tempfile.mkdtemp(dir=self.tmp, prefix="out-")
        p = run_spritesim([*args, "--out", out])
        self.assertEqual(p.returncode, status, f"args {args}: exit {p.returncode}, stderr:\n{p.stderr}")
        self.assertTrue(p.stderr.strip(), f"args {args}: no message on stderr")
        for m in mentions:
            self.assertIn(m, p.stderr, f"args {args}: stderr does not mention {m!r}:\n{p.stderr}")
        for bad in ("terminate called", "Aborted", "core dumped", "Assertion"):
            self.assertNotIn(bad, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "results.json")), f"args {args}: results.json written")
        return p

    def test_truncated_json(self):
        path = self.write("trunc.json", '{"name": "x", "platform": {"workstations": 3,')
        self.assert_input_error([path], path, "line 1", "column")

    def test_unknown_key(self):
        path = self.write("unknown.json", '{"name": "x", "platform": {"workstatons": 3}}')
        self.assert_input_error([path], path, "$.platform.workstatons", "unknown key")

    def test_wrong_type(self):
        path = self.write("type.json", '{"name": "x", "seed": "x"}')
        self.assert_input_error([path], path, "$.seed")

    def test_out_of_range(self):
        path = self.write("range.json", '{"name": "x", "platform": {"workstations": 0}}')
        self.assert_input_error([path], path, "$.platform.workstations")

    def test_missing_config_file(self):
        path = os.path.join(self.tmp, "no-such-config.json")
        self.assert_input_error([path], path)

    def test_unknown_policy(self):
        path = self.write("policy.json", '{"name": "x", "policy": {"name": "no-such-policy"}}')
        self.assert_input_error([path], path, "$.policy.name", "no-such-policy", "sprite")

    def test_unknown_policy_without_baseline(self):
        path = self.write("policy2.json", '{"name": "x", "workload": {"baseline": "none"}, '
                                          '"policy": {"name": "no-such-policy"}}')
        self.assert_input_error([path], path, "$.policy.name", "no-such-policy")

    def test_unknown_builtin_trace(self):
        self.assert_input_error([KERNEL, "--set", "workload.trace=builtin:nosuch"], KERNEL, "$.workload.trace")

    def test_missing_trace_file(self):
        path = self.write("notrace.json", '{"name": "x", "workload": {"trace": "no-such-trace.json"}}')
        self.assert_input_error([path], "no-such-trace.json")

    def test_set_unknown_path(self):
        self.assert_input_error([KERNEL, "--set", "platform.nosuch=3"], "--set platform.nosuch=3", KERNEL,
                                "$.platform.nosuch")

    def test_set_wrong_type(self):
        self.assert_input_error([KERNEL, "--set", "platform.workstations=abc"], "--set platform.workstations=abc",
                                KERNEL, "$.platform.workstations")
        self.assert_input_error([KERNEL, "--set", "workload.migrate=7"], "--set workload.migrate=7",
                                "$.workload.migrate")

    def test_error_in_the_file_names_the_file_not_a_set(self):
        path = self.write("range2.json", '{"name": "x", "platform": {"workstations": 0}}')
        p = self.assert_input_error([path, "--set", "workload.max_jobs=2"], path, "$.platform.workstations")
        self.assertNotIn("--set", p.stderr)

    def test_values_the_engine_cannot_simulate(self):
        small = [KERNEL, "--set", "platform.workstations=3", "--set", "workload.max_jobs=2"]
        for kv, path in [("costs.workstation.cpu_mips=0", "$.costs.workstation.cpu_mips"),
                         ("costs.workstation.fs_block_bytes=0", "$.costs.workstation.fs_block_bytes"),
                         ("costs.workstation.page_bytes=0", "$.costs.workstation.page_bytes"),
                         ("costs.workstation.rpc_fs_bandwidth_KBps=0", "$.costs.workstation.rpc_fs_bandwidth_KBps"),
                         ("costs.workstation.cores=0.5", "$.costs.workstation.cores"),
                         ("costs.file_server.cores=0", "$.costs.file_server.cores"),
                         ("costs.file_server.cpu_mips=0", "$.costs.file_server.cpu_mips"),
                         ("platform.network.latency_us=1e-308", "$.platform.network.latency_us"),
                         ("platform.network.bandwidth_Mbps=0", "$.platform.network.bandwidth_Mbps")]:
            with self.subTest(kv):
                self.assert_input_error([*small, "--set", kv], "--set " + kv, path)
        huge = self.write("huge.json", json.dumps({
            "format": "spritesim-trace", "version": 2, "name": "huge", "reference_profile": "ss1",
            "jobs": [{"id": "a", "cpu_s": 1e308}]}))
        self.assert_input_error([*small, "--set", "workload.trace=" + huge], huge, "$.jobs[0].cpu_s")

    def test_keys_that_the_kind_does_not_read(self):
        procs = {"kind": "processes", "duration_s": 100, "script": [{"arrival_s": 0, "home": 0, "cpu_s": 1}]}
        for name, doc, path in [
                ("k1", {"workload": {**procs, "trace": "builtin:kernel"}}, "$.workload.trace"),
                ("k2", {"workload": {**procs, "max_jobs": 3}}, "$.workload.max_jobs"),
                ("k3", {"workload": {**procs, "baseline": "sequential"}}, "$.workload.baseline"),
                ("k4", {"workload": {"duration_s": 100}}, "$.workload.duration_s"),
                ("k5", {"workload": {**procs, "builds": {}}}, "$.workload.builds"),
                ("k6", {"owners": {"model": "none", "params": {}}}, "$.owners.params"),
                ("k7", {"owners": {"model": "stochastic", "trace": "x.csv"}}, "$.owners.trace")]:
            with self.subTest(name):
                path_ = self.write(name + ".json", json.dumps({"name": name, **doc}))
                self.assert_input_error([path_], path_, path)

    def test_a_workload_without_jobs_is_refused(self):
        path = self.write("nojobs.json", json.dumps({
            "name": "nojobs", "workload": {"kind": "processes", "duration_s": 3600, "processes": {}}}))
        self.assert_input_error([path], path, "$.workload", "no job")

    def test_output_paths_are_checked_before_the_simulation(self):
        afile = self.write("a-file", "x")
        # The full 12-host kernel build with its baseline takes seconds; a refusal before it starts does not.
        cases = [(["--out", afile], "not a directory"),
                 (["--out", os.path.join(self.tmp, "tl-out"), "--timeline", self.tmp], "--timeline"),
                 (["--out", os.path.join(afile, "sub")], "--out")]
        if os.geteuid() != 0:  # root writes anywhere
            ro = os.path.join(self.tmp, "ro")
            os.mkdir(ro, 0o500)
            cases.append((["--out", os.path.join(ro, "x")], "--out"))
        for args, mention in cases:
            with self.subTest(args):
                p = run_spritesim([KERNEL, *args], timeout=10)
                self.assertEqual(p.returncode, 4, p.stderr)
                self.assertIn(mention, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "tl-out", "results.json")))

    def test_ninja_import_with_its_defaults_replays(self):
        log = self.write(".ninja_log", "# ninja log v5\n0\t1500\t0\tfoo.o\t1\n1500\t2500\t0\tbar.o\t2\n")
        trace = os.path.join(self.tmp, "ninja.json")
        p = subprocess.run([SPRITESIM, "trace", "import-ninja", log, "--out", trace], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = simulate([KERNEL, "--set", "platform.workstations=3", "--set", "workload.trace=" + trace],
                       os.path.join(self.tmp, "ninja-run"))
        self.assertEqual(run.results["jobs_completed"], 2)
        bad = self.write("badprof.json", json.dumps({
            "format": "spritesim-trace", "version": 2, "name": "b", "reference_profile": "this-machine",
            "jobs": [{"id": "a", "cpu_s": 1}]}))
        p = subprocess.run([SPRITESIM, "trace", "info", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("$.reference_profile", p.stderr)
        self.assert_input_error([KERNEL, "--set", "workload.trace=" + bad], bad, "$.reference_profile",
                                "this-machine")

    def test_set_through_a_non_object(self):
        self.assert_input_error([KERNEL, "--set", "seed.x=1"], "--set seed.x=1", "$.seed")

    def test_set_without_value(self):
        self.assert_input_error([KERNEL, "--set", "platform.workstations"], "--set platform.workstations")

    def test_bad_seed(self):
        for seed in ("x", "-1", "2147483648", "", "3.5"):
            self.assert_input_error([KERNEL, "--seed", seed], "--seed", f'"{seed}"', status=2)


class ResolvedConfig(ScenarioCase):
    def test_resolved_config_reruns_to_the_same_results(self):
        a = simulate([KERNEL, *HOSTS_4, "--seed", "3"], os.path.join(self.tmp, "a"))
        resolved = os.path.join(a.out, "config.resolved.json")
        b = simulate([resolved], os.path.join(self.tmp, "b"))
        self.assertEqual(a.raw("results.json"), b.raw("results.json"))
        self.assertEqual(a.raw("jobs.csv"), b.raw("jobs.csv"))
        # Resolving is idempotent.
        self.assertEqual(json.loads(a.raw("config.resolved.json")), json.loads(b.raw("config.resolved.json")))


class UserTrace(ScenarioCase):
    """A hand-written diamond trace (a -> b, c -> d) named by a config with a path relative to the config."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.makedirs(os.path.join(cls.tmp, "cfg"))
        with open(os.path.join(cls.tmp, "cfg", "diamond.json"), "w") as f:
            json.dump(DIAMOND_TRACE, f, indent=1)
        config = {"name": "diamond-2", "seed": 3, "platform": {"workstations": 3},
                  "workload": {"trace": "diamond.json", "max_jobs": 2}}
        with open(os.path.join(cls.tmp, "cfg", "exp.json"), "w") as f:
            json.dump(config, f, indent=1)
        # Run from the temp dir: the trace is found next to the config, not in the working directory.
        cls.run_ = simulate(["cfg/exp.json"], "out", cwd=cls.tmp)

    def test_all_jobs_completed(self):
        r = self.run_
        self.assertEqual(r.results["jobs_total"], 4)
        self.assertEqual(r.results["jobs_completed"], 4)
        self.assertEqual(r.results["trace"], "diamond")
        self.assertEqual(sorted(j["job_id"] for j in r.jobs), ["a", "b", "c", "d"])
        for j in r.jobs:
            self.assertGreater(float(j["end_s"]), float(j["start_s"]))

    def test_dependencies_respected(self):
        a, b, c, d = (self.run_.job(x) for x in "abcd")
        for x in (b, c):
            self.assertGreaterEqual(float(x["start_s"]), float(a["end_s"]) - EPS)
        self.assertGreater(float(d["end_s"]), float(b["end_s"]))
        self.assertGreater(float(d["end_s"]), float(c["end_s"]))
        self.assertGreaterEqual(float(d["start_s"]), max(float(b["end_s"]), float(c["end_s"])) - EPS)
        self.assertAlmostEqual(float(d["ready_s"]), max(float(b["end_s"]), float(c["end_s"])), places=6)

    def test_b_and_c_run_in_parallel_on_two_hosts(self):
        b, c = self.run_.job("b"), self.run_.job("c")
        self.assertNotEqual(b["exec_host"], c["exec_host"])
        self.assertLess(max(float(b["start_s"]), float(c["start_s"])), min(float(b["end_s"]), float(c["end_s"])))
        self.assertLess(self.run_.results["makespan_s"], self.run_.results["baseline_makespan_s"])

    def test_cpu_seconds_taken_from_the_trace(self):
        # Workstations are the trace's reference profile (ss1), so no scaling applies.
        for tj in DIAMOND_TRACE["jobs"]:
            self.assertAlmostEqual(float(self.run_.job(tj["id"])["cpu_s"]), tj["cpu_s"], places=6)

    def test_resolved_config_with_relative_trace_reruns(self):
        # config.resolved.json lives in the output folder; its trace path must still name the same trace file.
        resolved = os.path.join(self.run_.out, "config.resolved.json")
        again = simulate([resolved], os.path.join(self.tmp, "again"), cwd=self.tmp)
        self.assertEqual(self.run_.raw("results.json"), again.raw("results.json"))


if __name__ == "__main__":
    run_script("run_scenarios.py", globals())
