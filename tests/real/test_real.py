#!/usr/bin/env python3
# Scenario tests of real mode on loopback: three agents (each with its own owner-control file and its own 0600
# secret file) and a coordinator run as child processes; commands go through `spritesim rexec` and must behave as if
# run here (stdout, stderr, stdin and exit status byte for byte); an owner returning evicts a long command (killed
# and rerun at home under the sprite policy, suspended and resumed under condor) within 100 ms of the agent
# noticing, and the user sees exactly one complete attempt; hostile clients are refused with a reason while the
# daemons keep serving; a killed agent loses no command, a restarted migd keeps its records; a C build through
# make's SHELL shim, with an owner returning mid-build, gives the same files as a plain make. Skips (exit 77) only
# when loopback sockets are unavailable.
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
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import (free_port, read, rows, run_tests, skip_without_loopback, spritesim_from_argv,  # noqa: E402
                     wait_for)  # tests/lib/testlib.py

SPRITESIM = None  # set from argv in main()
SECRET = b"test-real-shared-secret-0123456789"
PROTOCOL_VERSION = 2  # real/protocol.hpp


class Cluster:
    """Three agents and a coordinator under a temporary directory."""

    def __init__(self, policy="sprite", params=None, run_as=("--allow-root",)):
        self.dir = tempfile.mkdtemp(prefix="spritesim-real-")
        self.procs = []
        self.loadavg = self.path("loadavg")
        with open(self.loadavg, "w") as f:
            f.write("0.00 0.00 0.00 1/100 1\n")  # a quiet host whatever this machine's load
        self.agents = []
        for i in range(3):
            name = f"h{i}"
            secret = self.path(f"secret-{name}")
            with open(secret, "wb") as f:
                f.write(SECRET + b"\n")
            os.chmod(secret, 0o600)
            owner = self.path(f"owner-{name}")  # absent: idle since boot (condor's start rule needs that)
            port = free_port()
            self.start([f"agent", "--port", str(port), "--secret", secret, "--owner-control", owner, "--name", name,
                        "--loadavg", self.loadavg, *run_as, "--poll-ms", "2"], f"agent-{name}.log")
            self.agents.append({"name": name, "port": port, "owner": owner, "log": self.path(f"agent-{name}.log")})
        for a in self.agents:
            wait_for(lambda: "listening" in read(a["log"]), f"agent {a['name']} to listen")
        self.secret = self.path("secret-h0")
        self.port = free_port()
        self.out = self.path("out")
        args = ["migd", "--port", str(self.port), "--secret", self.secret, "--agents",
                ",".join(f"127.0.0.1:{a['port']}" for a in self.agents), "--policy", policy, "--input-threshold", "0",
                "--out", self.out, "--state", self.path("state.json")]
        if params:
            args += ["--policy-params", json.dumps(params)]
        self.migd_args = args
        self.start_migd()

    def start_migd(self):
        self.start(self.migd_args, "migd.log")
        self.migd = self.procs[-1]
        self.migd_log = self.path("migd.log")
        live = sum(self.procs[i].poll() is None for i in range(len(self.agents)))  # test_6 kills one
        wait_for(lambda: read(self.migd_log).count("watching agent") == live, "migd to watch the agents")

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, args, log):
        with open(self.path(log), "w") as f:
            self.procs.append(subprocess.Popen([SPRITESIM] + args, stdout=f, stderr=subprocess.STDOUT))

    def rexec(self, cmd, stdin=b"", **kw):
        return subprocess.run([SPRITESIM, "rexec", "--migd", f"127.0.0.1:{self.port}", "--secret", self.secret,
                               "--quiet", "--"] + cmd, input=stdin, capture_output=True, **kw)

    def rexec_async(self, cmd, **kw):
        return subprocess.Popen([SPRITESIM, "rexec", "--migd", f"127.0.0.1:{self.port}", "--secret", self.secret,
                                 "--quiet", "--"] + cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **kw)

    def kill_agent_under(self, cmd):
        """Starts cmd through rexec, waits until it runs on an agent, and SIGKILLs that agent. Returns the rexec
        process, the job's exec row of migrations.csv and the agent."""
        migrations = os.path.join(self.out, "migrations.csv")
        before = len(rows(migrations))
        p = self.rexec_async(cmd)
        wait_for(lambda: len(rows(migrations)) > before, "the job placed")
        job = rows(migrations)[-1]
        assert job["kind"] == "exec", job
        agent = self.agent(job["to_host"])
        wait_for(lambda: f"job {job['job_id'].rsplit('-', 1)[1]} attempt 1 started" in read(agent["log"]),
                 "the job to start remotely")
        proc = self.procs[self.agents.index(agent)]
        proc.kill()
        proc.wait(timeout=10)
        return p, job, agent

    def agent(self, name):
        return next(a for a in self.agents if a["name"] == name)

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def recv_frame(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf
    head = exact(4)
    if head is None:
        return None
    body = exact(struct.unpack(">I", head)[0])
    return json.loads(body) if body is not None else None


def hostile(port, send):
    """Runs one hostile exchange; returns (the error message received, whether the daemon closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        reply = send(s)
        try:
            closed = s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            closed = True
        return reply, closed


def small_c_project(files):
    """A C program of `files` functions and a main, and a Makefile whose compiles last at least 0.2 s each (so
    that an owner can come back while one runs on their host)."""
    src = {f"f{i}.c": f"int f{i}(int x) {{ int s = 0; for (int k = 0; k < x; ++k) s += k * {i + 1}; return s; }}\n"
           for i in range(files)}
    src["main.c"] = "".join(f"int f{i}(int);\n" for i in range(files)) + \
        "#include <stdio.h>\nint main(void) { long t = 0;\n" + \
        "".join(f"  t += f{i}(10);\n" for i in range(files)) + '  printf("%ld\\n", t); return 0; }\n'
    objs = " ".join(f"{n[:-2]}.o" for n in sorted(src))
    return src, f"prog: {objs}\n\tcc -o prog {objs}\n%.o: %.c\n\tsleep 0.2; cc -O2 -c $< -o $@\n"


def write_tree(d, src, makefile):
    os.makedirs(d, exist_ok=True)
    for name, text in list(src.items()) + [("Makefile", makefile)]:
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


def authenticated(port, first):
    """A client that knows the secret: hello, challenge (checked), auth with `first` right after it; returns the
    socket once welcomed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    nonce = secrets.token_hex(32)
    s.sendall(frame(json.dumps({"type": "hello", "version": PROTOCOL_VERSION, "name": "test", "nonce": nonce}).encode()))
    ch = recv_frame(s)
    server = hmac.new(SECRET, f"server|{nonce}|{ch['nonce']}".encode(), hashlib.sha256).hexdigest()
    assert ch["mac"] == server, "the daemon does not know the secret"
    mac = hmac.new(SECRET, f"client|{ch['nonce']}|{nonce}".encode(), hashlib.sha256).hexdigest()
    s.sendall(frame(json.dumps({"type": "auth", "mac": mac}).encode()) + frame(json.dumps(first).encode()))
    assert recv_frame(s)["type"] == "welcome"
    return s


def until(s, type_):
    """Frames from s up to the first of the given type (reports in between are skipped)."""
    while True:
        m = recv_frame(s)
        if m is None or m["type"] == type_:
            return m


class WithCluster(unittest.TestCase):
    """Test classes sharing one cluster (a fresh one per class)."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()


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
        env = self.c.rexec(["sh", "-c", "echo $SPRITESIM_TEST_VAR"], env=dict(os.environ, SPRITESIM_TEST_VAR="shipped"))
        self.assertEqual(env.stdout, b"shipped\n")
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
        script = "echo start; i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.02; done; echo end"
        expected = subprocess.run(["sh", "-c", script], capture_output=True).stdout
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
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"mode 0644", p.stderr)


    def test_5_migd_restart_reloads_its_state(self):
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        n0 = len(rows(jobs_csv))
        self.assertEqual(self.c.rexec(["echo", "before"]).returncode, 0)
        wait_for(lambda: any(j["job_id"].startswith("echo-") for j in rows(jobs_csv)[n0:]), "the job's record")
        before = rows(jobs_csv)
        self.c.migd.terminate()
        self.c.migd.wait(timeout=10)
        self.c.procs.remove(self.c.migd)
        # A coordinator killed in the middle of an append leaves a torn last line in the records journal: it was
        # never acknowledged, and goes.
        with open(self.c.path("state.json.records.jsonl"), "a") as f:
            f.write('{"record": "job", "id": "torn-')
        self.c.start_migd()
        self.assertIn("reloaded", read(self.c.migd_log))
        self.assertIn("dropping a torn last line", read(self.c.migd_log))
        r = self.c.rexec(["echo", "after"])
        self.assertEqual((r.returncode, r.stdout), (0, b"after\n"))
        wait_for(lambda: len(rows(jobs_csv)) >= len(before) + 1, "the new job's record")
        after = rows(jobs_csv)
        self.assertEqual(after[:len(before)], before, "records from before the restart were lost")
        last = lambda js: max(int(j["job_id"].rsplit("-", 1)[1]) for j in js)
        self.assertGreater(last(after), last(before), "job ids were reused after the restart")

    def test_6_agent_killed_mid_job_reruns_at_home(self):
        script = "echo start; i=0; while [ $i -lt 30 ]; do echo line $i; i=$((i+1)); sleep 0.02; done; echo end"
        expected = subprocess.run(["sh", "-c", script], capture_output=True).stdout
        migrations = os.path.join(self.c.out, "migrations.csv")
        p, job, agent = self.c.kill_agent_under(["sh", "-c", script])  # its command's pipes close with it
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, expected, "the user must see exactly one complete attempt")
        wait_for(lambda: any(m["kind"] == "restart" and m["job_id"] == job["job_id"] for m in rows(migrations)),
                 "the rerun at home recorded")
        wait_for(lambda: "lost" in read(self.c.migd_log), "migd to notice the agent is gone")

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
                    if m["kind"] == "restart" and m["from_host"] == victim["name"] and m["job_id"].startswith("sh-")]
        self.assertGreaterEqual(len(restarts), 1, "the owner's return evicted nothing")
        evictions = os.path.join(self.c.out, "evictions.csv")
        wait_for(lambda: [e for e in rows(evictions) if e["host"] == victim["name"]], "the eviction's record")
        ev = [float(e["duration_s"]) for e in rows(evictions) if e["host"] == victim["name"]]
        self.assertTrue(all(d < 0.100 for d in ev), f"evictions took {ev} s after the agent noticed")

    def test_8_migd_killed_mid_jobs_loses_and_repeats_nothing(self):
        # Commands run remotely and at home when migd is killed (SIGKILL: no goodbye, its last checkpoint may lag);
        # more arrive while it is down. After the restart each runs exactly once and has exactly one record.
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        migrations = os.path.join(self.c.out, "migrations.csv")
        number = lambda job_id: int(job_id.rsplit("-", 1)[1])
        before = {r["job_id"] for r in rows(jobs_csv)}
        log = self.c.path("runs-8.log")
        script = 'echo "$0" >> ' + log + '; sleep 1; echo "$0 finished"'
        first = [self.c.rexec_async(["sh", "-c", script, f"early{i}"]) for i in range(6)]
        wait_for(lambda: len(read(log).split()) == 6, "the first commands to start")
        self.c.migd.kill()
        self.c.migd.wait(timeout=10)
        self.c.procs.remove(self.c.migd)
        late = [self.c.rexec_async(["sh", "-c", script, f"late{i}"]) for i in range(3)]
        time.sleep(0.5)
        self.c.start_migd()
        for i, p in enumerate(first + late):
            out, err = p.communicate(timeout=30)
            tag = f"early{i}" if i < 6 else f"late{i - 6}"
            self.assertEqual((p.returncode, out), (0, f"{tag} finished\n".encode()), err)
        runs = read(log).split()
        self.assertEqual(sorted(runs), sorted([f"early{i}" for i in range(6)] + [f"late{i}" for i in range(3)]),
                         "a command ran twice or not at all")
        new = lambda: [r for r in rows(jobs_csv) if r["job_id"] not in before]
        wait_for(lambda: len(new()) >= 9, "the records of the 9 commands")
        recorded = new()
        self.assertEqual(len(recorded), 9, f"records: {[r['job_id'] for r in recorded]}")
        self.assertEqual(len({r["job_id"] for r in recorded}), 9, "a command was recorded twice")
        self.assertEqual(sum(r["remote"] == "1" for r in recorded) >= 1, True, "nothing ran remotely")
        execs = [m["job_id"] for m in rows(migrations) if m["kind"] == "exec" and m["job_id"] not in before]
        self.assertEqual(len(execs), len(set(execs)), "a remote placement was recorded twice")
        self.assertGreater(min(number(r["job_id"]) for r in recorded), 0)

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
        new = lambda: [j for j in rows(jobs_csv) if j["job_id"] not in before and j["job_id"].startswith("sh-")]
        wait_for(lambda: len(new()) >= 8, "the recipes' records")
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


class AgentDeath(WithCluster):
    def test_a_killed_agent_takes_its_commands_with_it(self):
        # A command that writes nothing to its output would outlive a SIGKILLed agent and run beside its rerun at
        # home; the agent's commands die with it, children included (its reaper kills their process groups), so
        # the marker gets exactly one line (the rerun's).
        marker = self.c.path("marker-6b")
        # The subshell is a child of the command's shell (the way a compiler runs under a recipe's shell).
        p, _, _ = self.c.kill_agent_under(["sh", "-c", f"(sleep 1; echo once >> {marker}); echo ok"])
        out, err = p.communicate(timeout=30)
        self.assertEqual((p.returncode, out), (0, b"ok\n"), err)
        time.sleep(1.2)  # the remote attempt, had it survived, would have written by now
        self.assertEqual(read(marker), "once\n", "the killed agent's command ran on beside its rerun")


class Relay:
    """A TCP relay in front of an agent, so that a test can break some connections through it (migd's watch link)
    while the agent and the other connections live on."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.pairs = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self, pairs):
        """Breaks the connections made through the relay among the first `pairs` (those already closed stay so)."""
        for pair in self.pairs[:pairs]:
            for x in pair:
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


class WatchLinkLost(unittest.TestCase):
    def test_a_job_moved_home_while_its_agent_lived_is_killed_there(self):
        # migd's watch link to h0 breaks while h0 and its command live on: migd records the command's restart at
        # home; when the link is back and h0 still lists the command, migd kills it there, so that it runs once
        # more only at home, as the records say, and not also to its end on h0.
        c = Cluster()
        relay = None
        try:
            c.migd.terminate()
            c.migd.wait(timeout=10)
            c.procs.remove(c.migd)
            h0 = c.agent("h0")
            relay = Relay(h0["port"])
            c.migd_args = [a.replace(f"127.0.0.1:{h0['port']}", f"127.0.0.1:{relay.port}") for a in c.migd_args]
            for other in ("h1", "h2"):  # only h0 takes foreign work
                with open(c.agent(other)["owner"], "w") as f:
                    f.write("active\n")
            c.start_migd()
            marker = c.path("marker-watch")
            watch_links = len(relay.pairs)  # migd's, made before any command's
            p = c.rexec_async(["sh", "-c", f"sleep 1.5; echo once >> {marker}; echo ok"])
            wait_for(lambda: "attempt 1 started" in read(h0["log"]), "the command to start on h0")
            relay.cut(watch_links)
            wait_for(lambda: "lost" in read(c.migd_log), "migd to lose its watch link to h0")
            out, err = p.communicate(timeout=30)
            self.assertEqual((p.returncode, out), (0, b"ok\n"), err)
            self.assertIn("evicted by kill", read(h0["log"]), "the command ran on to its end on h0")
            self.assertIn("though it was moved home: killed", read(c.migd_log))
            time.sleep(0.3)
            self.assertEqual(read(marker), "once\n")
            jobs = os.path.join(c.out, "jobs.csv")
            wait_for(lambda: any(j["job_id"].startswith("sh-") for j in rows(jobs)), "the job's record")
            self.assertEqual([j["exec_host"] for j in rows(jobs) if j["job_id"].startswith("sh-")], ["home"])
        finally:
            if relay:
                relay.close()
            c.close()


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
            self.assertEqual(r.returncode, 2)
            self.assertIn("refusing to run other users' commands as root", r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class Suspend(unittest.TestCase):
    def test_condor_suspends_and_resumes(self):
        c = Cluster(policy="condor", params={"start_idle_s": 1, "max_suspend_s": 600})
        try:
            script = "echo start; i=0; while [ $i -lt 30 ]; do echo line $i; i=$((i+1)); sleep 0.02; done; echo end"
            expected = subprocess.run(["sh", "-c", script], capture_output=True).stdout
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


def main():
    global SPRITESIM
    SPRITESIM = spritesim_from_argv("test_real.py")
    skip_without_loopback()
    sys.exit(0 if run_tests() else 1)


if __name__ == "__main__":
    main()
