#!/usr/bin/env python3
# Scenario tests of real mode on loopback (tests/lib/real_cluster.py): commands go through `spritesim rexec` and must
# behave as if run here (stdout, stderr, stdin and exit status byte for byte, signals, CPU recorded); an owner
# returning evicts a long command (killed and rerun at home under the sprite policy, suspended and resumed under
# condor) within 100 ms of the agent noticing, and the user sees exactly one complete attempt; hostile clients are
# refused with a reason while the daemons keep serving; a C build through make's SHELL shim, with an owner returning
# mid-build, gives the same files as a plain make, and one captured through real mode replays in the simulator;
# commands run as the agent's unprivileged user. Failures and restarts are in test_real_failures.py. Skips (exit 77)
# only when loopback sockets are unavailable.
# Usage: python3 test_real.py /path/to/spritesim
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from real_cluster import (PROTOCOL_VERSION, SECRET, Cluster, WithCluster, authenticated,  # noqa: E402
                          frame, hostile, recv_frame, run_cluster_script, small_c_project, until, write_tree)
from testlib import numbered_script, read, rows, wait_for  # noqa: E402

SPRITESIM = None  # set from argv by run_script


class Case(WithCluster):

    def test_1_output_status_and_stdin_byte_for_byte(self):
        script = ("printf 'out\\000\\377 bytes\\n'; printf 'err line\\n' >&2; head -c 5; echo; "
                  "printf '%s' \"$PWD\"; exit 3")
        local = subprocess.run(["sh", "-c", script], input=b"12345678", capture_output=True, cwd=self.c.dir)
        remote = self.c.rexec(["sh", "-c", script], stdin=b"12345678", cwd=self.c.dir)
        self.assertEqual(remote.stdout, local.stdout)
        self.assertEqual(remote.stderr, local.stderr)
        self.assertEqual(remote.returncode, 3)
        big = os.urandom(300_000)  # several stdin and output chunks
        r = self.c.rexec(["cat"], stdin=big)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, big)
        env = self.c.rexec(["printenv", "SPRITESIM_TEST_VAR"], env=dict(os.environ, SPRITESIM_TEST_VAR="shipped"))
        self.assertEqual(env.stdout, b"shipped\n")
        # A line that only prints runs at home, asking migd nothing (core/child_process: prints_only).
        self.assertEqual(self.c.rexec(["sh", "-c", "echo \"$SPRITESIM_TEST_VAR\" here"],
                                      env=dict(os.environ, SPRITESIM_TEST_VAR="at home")).stdout, b"at home here\n")
        self.assertEqual(self.c.rexec(["false"]).returncode, 1)
        self.assertEqual(self.c.rexec(["sh", "-c", "kill -TERM $$"]).returncode, 128 + 15)
        self.assertEqual(self.c.rexec(["/nonexistent/program"]).returncode, 127)
        # The --out files are rewritten one after the other (every 0.2 s at most): wait until both have caught up.
        execs = lambda: [m for m in rows(os.path.join(self.c.out, "migrations.csv")) if m["kind"] == "exec"]
        wait_for(lambda: len(rows(os.path.join(self.c.out, "jobs.csv"))) >= 6 and len(execs()) >= 6,
                 "jobs.csv and migrations.csv to list the commands, run remotely")
        execs = execs()
        self.assertTrue(all(m["to_host"] in ("h0", "h1", "h2") for m in execs))
        jobs = rows(os.path.join(self.c.out, "jobs.csv"))
        self.assertTrue(all(j["remote"] == "1" for j in jobs))
        time.sleep(0.5)  # past the next rewrite of the --out files: the echo line never became a job
        self.assertEqual(len(rows(os.path.join(self.c.out, "jobs.csv"))), 6)

    def test_1b_signals_are_forwarded(self):
        ready = self.c.path("trap-ready")  # the file system is shared: the remote shell says when its trap is set
        script = f'trap "echo got INT; exit 7" INT; echo ready; touch {ready}; while :; do sleep 0.01; done'
        migrations = os.path.join(self.c.out, "migrations.csv")
        before = len(rows(migrations)) if os.path.exists(migrations) else 0
        p = self.c.rexec_async(["sh", "-c", script])
        wait_for(lambda: len(rows(migrations)) > before, "the job placed")
        job = rows(migrations)[-1]
        agent = self.c.agent(job["to_host"])
        wait_for(lambda: f"job {job['job_id'].rsplit('-', 1)[1]} attempt 1 started" in read(agent["log"]),
                 "the job to start remotely")
        wait_for(lambda: os.path.exists(ready), "the remote shell's trap")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertEqual((p.returncode, out), (7, b"ready\ngot INT\n"), err)

    def test_1b2_timing_mode_writes_each_phase_in_order(self):
        # SPRITESIM_REXEC_TIMING: one JSON line per command, the seconds from rexec's start to each phase.
        timing = os.path.join(self.c.dir, "timing.jsonl")
        env = dict(os.environ, SPRITESIM_REXEC_TIMING=timing)
        for cmd in (["true"], ["sh", "-c", "exit 4"]):
            self.c.rexec(cmd, env=env)
        with open(timing) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual([line["argv0"] for line in lines], ["true", "sh"])
        self.assertEqual([line["status"] for line in lines], [0, 4])
        for line in lines:
            phases = line["phases"]
            self.assertTrue(line["host"], line)  # both ran on an agent: every phase is there
            self.assertEqual(list(phases), ["start", "placed", "agent_connected", "exec_sent", "exit_received", "ran",
                                            "reported", "end"])
            times = list(phases.values())
            self.assertEqual(times, sorted(times), line)
            self.assertEqual(times[0], 0)

    def test_1c_cpu_time_is_recorded(self):
        # jobs.csv's cpu_s: the finished attempt's user + system CPU (wait4), remote or at home.
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        before = {r["job_id"] for r in rows(jobs_csv)}
        busy = "i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done"
        t0 = os.times()
        local = subprocess.run(["sh", "-c", busy])
        t1 = os.times()
        local_cpu = (t1.children_user + t1.children_system) - (t0.children_user + t0.children_system)
        self.assertEqual(local.returncode, 0)
        self.assertEqual(self.c.rexec(["env", "sh", "-c", busy]).returncode, 0)  # its record is "env-N"
        mine = lambda: [r for r in rows(jobs_csv) if r["job_id"] not in before and r["job_id"].startswith("env-")]
        wait_for(mine, "the job's record")
        job = mine()[0]
        cpu = float(job["cpu_s"])
        self.assertGreater(cpu, 0.3 * local_cpu, f"{job}")
        self.assertLess(cpu, 3 * local_cpu + 0.05, f"{job}")

    def test_2_owner_return_evicts_and_one_attempt_is_seen(self):
        script, expected = numbered_script(40, 0.02)
        p = self.c.rexec_async(["sh", "-c", script])
        migrations = os.path.join(self.c.out, "migrations.csv")

        before = len([m for m in rows(migrations) if m["kind"] == "exec"])
        wait_for(lambda: len([m for m in rows(migrations) if m["kind"] == "exec"]) > before, "the long job placed")
        job = [m for m in rows(migrations) if m["kind"] == "exec"][-1]
        agent = self.c.agent(job["to_host"])
        wait_for(lambda: f"job {job['job_id'].split('-')[-1]} attempt 1 started" in read(agent["log"]),
                 "the long job to start remotely")
        time.sleep(0.2)  # let it print part of its output remotely
        with open(agent["owner"], "w") as f:
            f.write("active\n")
        out, err = p.communicate(timeout=30)
        with open(agent["owner"], "w") as f:
            f.write("idle\n")
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, expected, "the user must see exactly one complete attempt")
        self.assertEqual(err, b"")
        self.assertIn("evicted by kill", read(agent["log"]))
        wait_for(lambda: os.path.exists(os.path.join(self.c.out, "evictions.csv")) and
                 rows(os.path.join(self.c.out, "evictions.csv")), "evictions.csv")
        ev = [e for e in rows(os.path.join(self.c.out, "evictions.csv")) if e["host"] == agent["name"]]
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["reason"], "owner")
        self.assertLess(float(ev[0]["duration_s"]), 0.100, "eviction took more than 100 ms after the agent noticed")
        restarts = [m for m in rows(migrations) if m["kind"] == "restart" and m["job_id"] == job["job_id"]]
        self.assertEqual(len(restarts), 1)
        self.assertEqual(restarts[0]["from_host"], agent["name"])
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        wait_for(lambda: [j for j in rows(jobs_csv) if j["job_id"] == job["job_id"]], "the evicted job's record")
        done = [j for j in rows(jobs_csv) if j["job_id"] == job["job_id"]]
        self.assertEqual(done[0]["exec_host"], "home")
        def restarts():
            # write_run_outputs removes results.json while it rewrites the other files: read it once it is back.
            text = read(os.path.join(self.c.out, "results.json"))
            return json.loads(text)["restarts"] if text else 0
        wait_for(lambda: restarts() >= 1, "results.json to count the restart")

    def test_3_hostile_clients_are_refused_and_the_daemons_keep_serving(self):
        def garbage(s):
            s.sendall(frame(b"\x00\x01 definitely not json"))
            return recv_frame(s)

        def oversized(s):
            s.sendall(struct.pack(">I", 64 << 20) + b"{")
            return recv_frame(s)

        def wrong_secret(s):
            nonce = secrets.token_hex(32)
            s.sendall(frame(json.dumps({"type": "hello", "version": PROTOCOL_VERSION, "name": "intruder",
                                        "nonce": nonce}).encode()))
            ch = recv_frame(s)
            mac = hmac.new(b"not-the-secret-at-all", f"client|{ch['nonce']}|{nonce}".encode(), hashlib.sha256)
            s.sendall(frame(json.dumps({"type": "auth", "mac": mac.hexdigest()}).encode()))
            return recv_frame(s)

        def wrong_version(s):
            s.sendall(frame(json.dumps({"type": "hello", "version": 99, "name": "x",
                                        "nonce": secrets.token_hex(32)}).encode()))
            return recv_frame(s)

        expected = {garbage: "not valid JSON", oversized: "exceeds the maximum", wrong_secret: "authentication failed",
                    wrong_version: "protocol version 99 is not supported"}
        for port, log in [(self.c.port, self.c.migd_log), (self.c.agents[1]["port"], self.c.agents[1]["log"])]:
            for attack, reason in expected.items():
                reply, closed = hostile(port, attack)
                self.assertIsNotNone(reply, f"{attack.__name__}: no error message")
                self.assertEqual(reply["type"], "error")
                self.assertIn(reason, reply["reason"])
                self.assertTrue(closed, f"{attack.__name__}: the peer was not dropped")
                wait_for(lambda: reason in read(log), f"the daemon to log '{reason}'")
            self.assertIn("dropped 127.0.0.1:", read(log))
        r = self.c.rexec(["echo", "still serving"])
        self.assertEqual((r.returncode, r.stdout), (0, b"still serving\n"))
        for p in self.c.procs:
            self.assertIsNone(p.poll(), "a daemon died")

    def test_3b_a_stop_that_overtakes_the_exec_still_suspends_the_command(self):
        # migd's `stop` can reach the agent before the command's exec does; the command must then start stopped.
        agent = self.c.agents[2]
        job = 987654
        with authenticated(agent["port"], {"type": "watch"}) as watch:
            watch.sendall(frame(json.dumps({"type": "control", "job": job, "action": "stop"}).encode()))
            self.assertTrue(until(watch, "control_done")["ok"])
            with authenticated(agent["port"], {"type": "exec", "job": job, "attempt": 1,
                                               "argv": ["sh", "-c", "sleep 0.2; echo done"], "cwd": self.c.dir,
                                               "env": ["PATH=/usr/bin:/bin"]}) as run:
                run.sendall(frame(json.dumps({"type": "stdin_eof"}).encode()))
                run.settimeout(0.8)
                with self.assertRaises(socket.timeout, msg="the command ran although it was suspended"):
                    recv_frame(run)
                run.settimeout(10)
                watch.sendall(frame(json.dumps({"type": "control", "job": job, "action": "cont"}).encode()))
                out = until(run, "output")
                self.assertEqual(base64.b64decode(out["data"]), b"done\n")
                self.assertEqual(until(run, "exit")["code"], 0)

    def test_3c_only_its_client_may_resume_a_job(self):
        # Every client knows the shared secret; a job's token (from its `placed`) is what lets a client re-attach
        # it after a restart. Another job's number with a made-up token is refused, and migd keeps serving.
        p = self.c.rexec_async(["sleep", "1"])
        migrations = os.path.join(self.c.out, "migrations.csv")
        wait_for(lambda: "sleep-" in read(os.path.join(self.c.out, "decisions.csv")), "the job placed")
        number = max(int(d["process"].rsplit("-", 1)[1]) for d in rows(os.path.join(self.c.out, "decisions.csv"))
                     if d["process"].startswith("sleep-"))
        resume = {"type": "resume", "job": number, "name": "sleep", "home": "home", "addr": "",
                  "elapsed_s": 0.5, "token": "0" * 64}
        with authenticated(self.c.port, resume) as s:
            reply = until(s, "error")
        self.assertIn("wrong token", reply["reason"])
        wait_for(lambda: "wrong token" in read(self.c.migd_log), "migd to log the refusal")
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertFalse([m for m in rows(migrations) if m["job_id"] == f"sleep-{number}" and m["kind"] == "restart"],
                         "the refused resume moved the job")

    def test_4_secret_file_must_be_private(self):
        loose = self.c.path("loose-secret")
        with open(loose, "wb") as f:
            f.write(SECRET)
        os.chmod(loose, 0o644)
        p = subprocess.run([SPRITESIM, "migd", "--port", "0", "--secret", loose, "--agents", "127.0.0.1:1"],
                           capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 4)  # bad input: the secret file
        self.assertIn(b"mode 0644", p.stderr)


    def test_7_make_build_through_the_shell_shim_is_byte_identical(self):
        if not shutil.which("make") or not shutil.which("cc"):
            self.skipTest("make or cc missing")
        files = 12
        src, makefile = small_c_project(files)
        trees = {}
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        number = lambda job_id: int(job_id.rsplit("-", 1)[1])
        # Every job placed so far has a number at most this; the build's recipes come after (records of earlier
        # commands may still be on their way).
        last = max(number(r["job_id"]) for r in rows(jobs_csv) + rows(os.path.join(self.c.out, "migrations.csv")))
        for kind in ("plain", "real"):
            d = self.c.path(f"build-{kind}")
            os.makedirs(d)
            write_tree(d, src, makefile)
            cmd = ["make", "-j4"]
            if kind == "real":  # the shim: make runs `spritesim rexec ... -- /bin/sh -c RECIPE` for each recipe
                cmd += [f"SHELL={SPRITESIM}",
                        f".SHELLFLAGS=rexec --migd 127.0.0.1:{self.c.port} --secret {self.c.secret} --no-stdin "
                        "--quiet -- /bin/sh -c"]
            logs = {a["name"]: len(read(a["log"])) for a in self.c.agents}
            p = subprocess.Popen(cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
            if kind == "real":  # the owner of the first host that gets a recipe comes back mid-build
                def started():
                    return [a for a in self.c.agents if self.c.procs[self.c.agents.index(a)].poll() is None
                            and "started" in read(a["log"])[logs[a["name"]]:]]
                wait_for(lambda: started(), "a recipe to start on an agent")
                victim = started()[0]
                with open(victim["owner"], "w") as f:
                    f.write("active\n")
            out, err = p.communicate(timeout=60)
            if kind == "real":
                with open(victim["owner"], "w") as f:
                    f.write("idle\n")
            r = subprocess.CompletedProcess(cmd, p.returncode, out, err)
            self.assertEqual(r.returncode, 0, r.stderr)
            trees[kind] = {}
            for n in sorted(os.listdir(d)):
                with open(os.path.join(d, n), "rb") as f:
                    trees[kind][n] = f.read()
            trees[kind]["make's output"] = sorted(r.stdout.splitlines())  # recipes start in completion order
        self.assertEqual(trees["real"], trees["plain"], "real mode's build differs from a plain make")
        recipes = lambda: [j for j in rows(jobs_csv) if number(j["job_id"]) > last]
        wait_for(lambda: len(recipes()) >= files + 2, "the recipes' records")
        jobs = recipes()
        self.assertEqual(len(jobs), files + 2, "every recipe runs once (an evicted one reruns within its job)")
        self.assertGreaterEqual(sum(j["remote"] == "1" for j in jobs), 2, "the recipes did not run remotely")
        restarts = [m for m in rows(os.path.join(self.c.out, "migrations.csv"))
                    if m["kind"] == "restart" and m["from_host"] == victim["name"]
                    and m["job_id"] in {j["job_id"] for j in jobs}]
        self.assertGreaterEqual(len(restarts), 1, "the owner's return evicted nothing")
        evictions = os.path.join(self.c.out, "evictions.csv")
        wait_for(lambda: [e for e in rows(evictions) if e["host"] == victim["name"]], "the eviction's record")
        ev = [float(e["duration_s"]) for e in rows(evictions) if e["host"] == victim["name"]]
        self.assertTrue(all(d < 0.100 for d in ev), f"evictions took {ev} s after the agent noticed")

    def test_9_a_captured_real_mode_build_replays_in_the_simulator(self):
        if not shutil.which("make") or not shutil.which("cc"):
            self.skipTest("make or cc missing")
        src, makefile = small_c_project(6)
        d = self.c.path("build-capture")
        write_tree(d, src, makefile)
        trace = self.c.path("real-build.json")
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        before = {r["job_id"] for r in rows(jobs_csv)}
        r = subprocess.run([SPRITESIM, "trace", "capture", "--out", trace, "--quiet", "--migd",
                            f"127.0.0.1:{self.c.port}", "--secret", self.c.secret, "--", "make", "-j4"],
                           cwd=d, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(subprocess.run(["./prog"], cwd=d, capture_output=True).returncode, 0)
        with open(trace) as f:
            jobs = json.load(f)["jobs"]
        self.assertEqual(len(jobs), 8, [j.get("target") for j in jobs])  # 7 compiles and the link
        new = lambda: [j for j in rows(jobs_csv) if j["job_id"] not in before]
        wait_for(lambda: len(new()) >= 8, "the recipes' records")
        # Named after their targets, as under spritesim make (the shim passes $@ on to rexec).
        self.assertEqual(sorted(j["job_id"].rsplit("-", 1)[0] for j in new()),
                         sorted(j["id"] for j in jobs))
        self.assertGreaterEqual(sum(j["remote"] == "1" for j in new()), 1, "no recipe ran remotely")
        # The compiles' CPU was measured where they ran (remotely or not) and reaches the trace.
        self.assertTrue(all(j["cpu_s"] > 0.001 for j in jobs), [j["cpu_s"] for j in jobs])
        config = self.c.path("replay.json")
        with open(config, "w") as f:
            json.dump({"name": "replay", "platform": {"workstations": 4, "profile": "host"},
                       "workload": {"kind": "pmake", "trace": trace, "max_jobs": 4}}, f)
        out = self.c.path("replay-out")
        r = subprocess.run([SPRITESIM, "run", config, "--out", out], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "results.json")) as f:
            results = json.load(f)
        self.assertEqual(results["jobs_completed"], 8)


class RunAsUser(unittest.TestCase):
    """An agent started as root runs foreign commands as the unprivileged --user, never as root."""

    def test_commands_run_as_the_unprivileged_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (an agent dropping privileges)")
        try:
            import pwd
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user nobody")
        c = Cluster(run_as=("--user", "nobody"))
        try:
            # The command runs in the client's directory: one that nobody may enter.
            r = subprocess.run([SPRITESIM, "rexec", "--migd", f"127.0.0.1:{c.port}", "--secret", c.secret, "--quiet",
                                "--", "id", "-u"], capture_output=True, cwd="/", timeout=30)
            self.assertEqual((r.returncode, r.stdout), (0, f"{nobody.pw_uid}\n".encode()), r.stderr)
            jobs = os.path.join(c.out, "jobs.csv")
            wait_for(lambda: any(j["job_id"].startswith("id-") for j in rows(jobs)), "the job's record")
            self.assertEqual([j["remote"] for j in rows(jobs) if j["job_id"].startswith("id-")], ["1"],
                             "the command did not run on an agent")
        finally:
            c.close()

    def test_root_without_a_user_is_refused(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        d = tempfile.mkdtemp(prefix="spritesim-real-")
        try:
            secret = os.path.join(d, "secret")
            with open(secret, "wb") as f:
                f.write(SECRET + b"\n")
            os.chmod(secret, 0o600)
            r = subprocess.run([SPRITESIM, "agent", "--port", "0", "--secret", secret, "--owner-control",
                                os.path.join(d, "owner")], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 4)
            self.assertIn("refusing to run other users' commands as root", r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class Suspend(unittest.TestCase):
    def test_condor_suspends_and_resumes(self):
        c = Cluster(policy="condor", params={"start_idle_s": 1, "max_suspend_s": 600})
        try:
            script, expected = numbered_script(30, 0.02)
            p = c.rexec_async(["sh", "-c", script])
            migrations = os.path.join(c.out, "migrations.csv")
            wait_for(lambda: os.path.exists(migrations) and rows(migrations), "the job placed")
            job = rows(migrations)[-1]
            agent = c.agent(job["to_host"])
            wait_for(lambda: "attempt 1 started" in read(agent["log"]), "the job to start remotely")
            time.sleep(0.1)
            with open(agent["owner"], "w") as f:
                f.write("active\n")
            decisions = os.path.join(c.out, "decisions.csv")
            wait_for(lambda: any(d["kind"] == "suspend" for d in rows(decisions)), "a suspend decision")
            with open(agent["owner"], "w") as f:
                f.write("idle\n")
            out, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)
            self.assertEqual(out, expected)
            wait_for(lambda: any(d["kind"] == "resume" for d in rows(decisions)), "the resume recorded")
            self.assertNotIn("evicted by kill", read(agent["log"]))
            ev = rows(os.path.join(c.out, "evictions.csv"))
            self.assertEqual(ev[0]["reason"], "owner")
            self.assertLess(float(ev[0]["duration_s"]), 0.100)
        finally:
            c.close()


class Status(WithCluster):
    def status(self, *extra):
        return subprocess.run([SPRITESIM, "status", "--migd", f"127.0.0.1:{self.c.port}", "--secret", self.c.secret,
                               *extra], capture_output=True, text=True, timeout=30)

    def test_status_shows_hosts_and_where_each_job_runs(self):
        # A command running on an agent appears on that host and in the job list; an owner's return shows as the
        # host's state with its reason, and the evicted job moves home; the text form names the same.
        p = self.c.rexec_async(["sleep", "30"])
        try:
            def running():
                r = self.status("--json")
                self.assertEqual(r.returncode, 0, r.stderr)
                report = json.loads(r.stdout)
                jobs = [j for j in report["jobs"] if j["name"].startswith("sleep-")]
                return report, jobs
            wait_for(lambda: running()[1] and running()[1][0]["host"] != "home", "the job placed on an agent")
            report, jobs = running()
            hosts = {h["host"]: h for h in report["hosts"]}
            self.assertEqual(sorted(hosts), sorted(a["name"] for a in self.c.agents))
            where = jobs[0]["host"]
            self.assertEqual(hosts[where]["foreign"], 1)
            self.assertEqual(jobs[0]["state"], "running")
            text = self.status()
            self.assertEqual(text.returncode, 0, text.stderr)
            self.assertIn(jobs[0]["name"], text.stdout)
            with open(self.c.agent(where)["owner"], "w") as f:
                f.write("active\n")
            wait_for(lambda: {h["host"]: h for h in running()[0]["hosts"]}[where]["state"] == "owner",
                     "the owner's return in the report")
            host = {h["host"]: h for h in running()[0]["hosts"]}[where]
            self.assertIn("owner", host["why"])
            wait_for(lambda: running()[1][0]["host"] == "home", "the job evicted home")
        finally:
            p.terminate()  # rexec hands SIGTERM to the command, here at home since the eviction
            p.communicate(timeout=30)
            with open(self.c.agent(where)["owner"], "w") as f:
                f.write("idle\n")

    def test_results_and_hosts_of_a_real_run_mean_what_they_say(self):
        # results.json: makespan_s spans the recorded work (not migd's uptime, which is elapsed_s), no seed;
        # hosts.csv: every agent and the clients' machines, their commands and CPU adding up to jobs.csv's.
        for _ in range(3):
            self.assertEqual(self.c.rexec(["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"]).returncode,
                             0)
        results = os.path.join(self.c.out, "results.json")
        jobs_csv = os.path.join(self.c.out, "jobs.csv")

        def settled():  # results.json is removed while the outputs are rewritten, and written last
            try:
                with open(results) as f:
                    r = json.load(f)
                out = r, rows(jobs_csv), rows(os.path.join(self.c.out, "hosts.csv"))
            except (FileNotFoundError, ValueError):
                return None
            return out if r["jobs_completed"] == len(out[1]) >= 3 and out[2] else None
        seen = []
        wait_for(lambda: seen.append(settled()) or seen[-1] is not None, "the outputs rewritten")
        r, jobs, hosts = seen[-1]
        self.assertIsNone(r["seed"])
        span = max(float(j["end_s"]) for j in jobs) - min(float(j["start_s"]) for j in jobs)
        self.assertAlmostEqual(r["makespan_s"], span, places=3)
        self.assertLessEqual(r["makespan_s"], r["elapsed_s"])
        self.assertEqual(sorted(h["host"] for h in hosts), sorted([a["name"] for a in self.c.agents] + ["home"]))
        self.assertEqual(sum(int(h["jobs"]) for h in hosts), len(jobs))
        self.assertAlmostEqual(sum(float(h["busy_s"]) for h in hosts), sum(float(j["cpu_s"]) for j in jobs), places=3)
        for h in hosts:
            self.assertEqual(h["role"], "home" if h["host"] == "home" else "workstation")
            mine = [j for j in jobs if j["exec_host"] == h["host"]]
            self.assertEqual(int(h["jobs"]), len(mine), h)

    def test_status_refuses_a_wrong_secret_and_needs_a_coordinator(self):
        bad = os.path.join(self.c.dir, "wrong-secret")
        with open(bad, "w") as f:
            f.write("not-the-secret-0123456789abcdef0123456789\n")
        os.chmod(bad, 0o600)
        r = subprocess.run([SPRITESIM, "status", "--migd", f"127.0.0.1:{self.c.port}", "--secret", bad],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("secret", r.stderr)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPRITESIM_")}
        r = subprocess.run([SPRITESIM, "status"], capture_output=True, text=True, timeout=30, env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--migd", r.stderr)


class HostProfile(unittest.TestCase):
    def test_remote_path_is_measured_through_a_local_agent(self):
        # host-profile starts an agent and a migd here and times spritesim-rexec of a null program through them; the
        # profile must load, the placement, the end's report and the rest of a remote exec must be measured (their
        # sources say so, as must the CPU of the whole path), and a remote null exec must cost more than a local one.
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "host.json")
            r = subprocess.run([SPRITESIM, "host-profile", "--out", out], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                params = json.load(f)["params"]
            for key in ("mig_obtain_ms", "mig_release_ms", "fork_exec_wait_remote_ms", "remote_path_cpu_ms",
                        "rpc_null_rtt_ms"):
                self.assertTrue(params[key]["source"].startswith("measured by `spritesim host-profile`"), params[key])
                self.assertGreater(params[key]["value"], 0, key)
            whole = sum(params[k]["value"] for k in ("mig_obtain_ms", "mig_release_ms", "fork_exec_wait_remote_ms"))
            self.assertGreater(whole, params["fork_exec_wait_local_ms"]["value"])
            self.assertIn("value of profile ss1", params["null_migration_ms"]["source"])
            self.assertEqual(os.listdir(d), ["host.json"])  # nothing left behind here
            r = subprocess.run([SPRITESIM, "host-profile", "--no-remote-path"], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["params"]["mig_obtain_ms"]["value"], 11)  # ss1's, as asked

    def test_lean_executables_load_no_shared_library(self):
        # make starts spritesim-rexec and spritesim-capture-shim once per recipe line: each shared library they load
        # costs milliseconds per line (tools/meson.build), so they are linked statically; so is spritesim, which
        # runs trace capture, make and the daemons (only spritesim-sim, for the simulating verbs, loads SimGrid).
        tools = os.path.dirname(os.path.abspath(SPRITESIM))
        for name in ("spritesim-rexec", "spritesim-capture-shim", "spritesim"):
            r = subprocess.run(["readelf", "-d", os.path.join(tools, name)], capture_output=True, text=True)
            if r.returncode != 0:
                self.skipTest(f"readelf unavailable: {r.stderr}")
            needed = [line for line in r.stdout.splitlines() if "(NEEDED)" in line]
            if any("libasan" in line or "libubsan" in line for line in needed):
                self.skipTest("a sanitizer build links dynamically (tools/meson.build)")
            self.assertEqual(needed, [], name)


if __name__ == "__main__":
    run_cluster_script("test_real.py", globals())
