#!/usr/bin/env python3
# Scenario test of the agent's idleness probes on loopback: three agents, one watching terminal access times
# (--idle-probe tty:DIR, files whose times the test sets), one asking a command (--idle-probe command:...), one asking
# logind (a stand-in loginctl first in PATH), and a coordinator. For each, an owner coming back through that probe
# evicts the foreign command running there, and the user still sees exactly one complete run. Bad probe specs make
# the agent exit with status 4 (bad input) and say what was expected. Skips (exit 77) only when loopback sockets are unavailable.
# Usage: python3 test_idle_probes.py /path/to/spritesim
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import (free_port, numbered_script, read, rows, run_script, skip_without_loopback,  # noqa: E402
                     wait_for)  # tests/lib/testlib.py

SPRITESIM = None  # set from argv by run_script
SECRET = b"test-idle-probes-secret-0123456789"
# A command that runs about 4 s, printing as it goes: long enough for the command and logind probes (sampled once a
# second) to see the owner come back while it runs.
LONG, LONG_OUTPUT = numbered_script(40, 0.1)
FAKE_LOGINCTL = """#!/bin/sh
# Stands in for loginctl: one graphical session whose IdleHint and IdleSinceHint are the words of $STATE.
case "$1" in
  list-sessions) echo "      3 1000 owner seat0 tty2" ;;
  show-session) touch "$STATE.read"
                set -- $(cat "$STATE")
                printf 'Id=3\\nType=x11\\nClass=user\\nIdleHint=%s\\nIdleSinceHint=%s\\n' "$1" "$2" ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class Case(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="spritesim-probes-")
        cls.procs = []
        cls.secret = cls.path("secret")
        with open(cls.secret, "wb") as f:
            f.write(SECRET + b"\n")
        os.chmod(cls.secret, 0o600)
        cls.loadavg = cls.path("loadavg")
        write(cls.loadavg, "0.00 0.00 0.00 1/100 1\n")  # a quiet host whatever this machine's load
        # tty: one terminal, last used long ago.
        cls.ttys = cls.path("ttys")
        os.mkdir(cls.ttys)
        cls.tty = os.path.join(cls.ttys, "pts0")
        write(cls.tty, "")
        cls.set_tty(-1000)
        # command: the owner's state is whatever this file says.
        cls.cmd_state = cls.path("command-state")
        write(cls.cmd_state, "active\n")
        # logind: a fake loginctl earlier in PATH.
        cls.logind_state = cls.path("logind-state")
        write(cls.logind_state, "no 0\n")
        cls.bin = cls.path("bin")
        os.mkdir(cls.bin)
        fake = os.path.join(cls.bin, "loginctl")
        write(fake, FAKE_LOGINCTL)
        os.chmod(fake, stat.S_IRWXU)
        logind_env = dict(os.environ, PATH=cls.bin + os.pathsep + os.environ.get("PATH", ""),
                          STATE=cls.logind_state)
        cls.agents = {}
        for name, spec, env in [("tty", f"tty:{cls.ttys}", None), ("cmd", f"command:touch {cls.cmd_state}.read && cat {cls.cmd_state}", None),
                                ("logind", "logind", logind_env)]:
            port = free_port()
            log = cls.path(f"agent-{name}.log")
            cls.start(["agent", "--port", str(port), "--secret", cls.secret, "--idle-probe", spec, "--name", name,
                       "--loadavg", cls.loadavg, "--allow-root", "--poll-ms", "2"], log, env)
            cls.agents[name] = {"port": port, "log": log}
        for name, a in cls.agents.items():
            wait_for(lambda: "listening" in read(a["log"]), f"agent {name} to listen")
        cls.port = free_port()
        cls.out = cls.path("out")
        cls.start(["migd", "--port", str(cls.port), "--secret", cls.secret, "--agents",
                   ",".join(f"127.0.0.1:{a['port']}" for a in cls.agents.values()), "--policy", "sprite",
                   "--input-threshold", "0", "--out", cls.out, "--state", cls.path("state.json")], "migd.log")
        wait_for(lambda: read(cls.path("migd.log")).count("watching agent") == 3, "migd to watch the agents")

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.terminate()
        for p in cls.procs:
            p.wait(timeout=10)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    @classmethod
    def start(cls, args, log, env=None):
        with open(log if os.path.isabs(log) else cls.path(log), "w") as f:
            cls.procs.append(subprocess.Popen([SPRITESIM] + args, stdout=f, stderr=subprocess.STDOUT, env=env))

    @classmethod
    def set_tty(cls, offset_s):
        t = time.time() + offset_s
        os.utime(cls.tty, (t, t))

    def evicted_by_owner(self, host, owner_returns):
        """Runs LONG where migd places it, which must be `host` (the only idle one); owner_returns() brings its owner
        back mid-run. The user sees one complete run; the eviction is recorded for that host."""
        expected = LONG_OUTPUT
        migrations = os.path.join(self.out, "migrations.csv")
        before = len([m for m in rows(migrations) if m["kind"] == "exec"]) if os.path.exists(migrations) else 0
        p = subprocess.Popen([SPRITESIM, "rexec", "--migd", f"127.0.0.1:{self.port}", "--secret", self.secret,
                              "--quiet", "--", "sh", "-c", LONG], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        wait_for(lambda: os.path.exists(migrations) and
                 len([m for m in rows(migrations) if m["kind"] == "exec"]) > before, "the long job placed")
        job = [m for m in rows(migrations) if m["kind"] == "exec"][-1]
        self.assertEqual(job["to_host"], host, "the job must go to the only idle host")
        log = self.agents[host]["log"]
        wait_for(lambda: f"job {job['job_id'].split('-')[-1]} attempt 1 started" in read(log),
                 "the long job to start remotely")
        time.sleep(0.3)  # let it print part of its output remotely
        owner_returns()
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, expected, "the user must see exactly one complete attempt")
        self.assertIn("owner active", read(log))
        self.assertIn("evicted by kill", read(log))
        evictions = os.path.join(self.out, "evictions.csv")
        wait_for(lambda: [e for e in rows(evictions) if e["host"] == host] if os.path.exists(evictions) else [],
                 f"{host}'s eviction record")
        ev = [e for e in rows(evictions) if e["host"] == host]
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["reason"], "owner")

    def test_1_tty_probe(self):
        self.evicted_by_owner("tty", lambda: self.set_tty(0))  # a keystroke on pts0: its access time is now
        self.set_tty(3600)  # "input" for the next hour: tty stays busy for the other cases

    def probe_sees(self, state_file, text):
        """Writes a sampled probe's state, then waits for a run of the probe that started after the write (each
        touches STATE.read before reading STATE); the agent reports a change of owner state at once."""
        write(state_file, text)
        marker = state_file + ".read"
        if os.path.exists(marker):
            os.unlink(marker)
        wait_for(lambda: os.path.exists(marker), f"the probe to read {os.path.basename(state_file)} again")
        time.sleep(0.1)  # the agent's report crossing loopback to migd

    def test_2_command_probe(self):
        self.probe_sees(self.cmd_state, "idle\n")
        self.evicted_by_owner("cmd", lambda: write(self.cmd_state, "active\n"))

    def test_3_logind_probe(self):
        since_us = int((time.time() - 600) * 1e6)  # the desktop went idle 10 minutes ago
        self.probe_sees(self.logind_state, f"yes {since_us}\n")
        self.evicted_by_owner("logind", lambda: write(self.logind_state, f"no {since_us}\n"))

    def test_4_bad_specs_exit_2_with_a_reason(self):
        empty = self.path("no-devices")
        os.mkdir(empty)
        failing = self.path("failing-bin")
        os.mkdir(failing)
        write(os.path.join(failing, "loginctl"), "#!/bin/sh\necho 'Failed to connect to bus: Host is down' >&2\n"
                                                 "exit 1\n")
        os.chmod(os.path.join(failing, "loginctl"), stat.S_IRWXU)
        bad_path = dict(os.environ, PATH=failing + os.pathsep + os.environ.get("PATH", ""))
        for spec, why, env in [("bogus", "expected file:PATH, tty", None),
                               ("file:", "nothing after", None),
                               ("command:", "nothing after", None),
                               ("tty:/nonexistent/dir", "not a directory", None),
                               (f"input:{empty}", "no event* device", None),
                               ("logind", "Failed to connect to bus", bad_path)]:
            with self.subTest(spec=spec):
                r = subprocess.run([SPRITESIM, "agent", "--port", "0", "--secret", self.secret, "--allow-root",
                                    "--idle-probe", spec], capture_output=True, text=True, timeout=30, env=env)
                self.assertEqual(r.returncode, 4, r.stderr)  # bad input
                self.assertIn("--idle-probe", r.stderr)
                self.assertIn(why, r.stderr)
        r = subprocess.run([SPRITESIM, "agent", "--port", "0", "--secret", self.secret, "--allow-root",
                            "--idle-probe", "tty", "--owner-control", self.path("owner")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)  # a usage error
        self.assertIn("exactly one of --idle-probe", r.stderr)


if __name__ == "__main__":
    run_script("test_idle_probes.py", globals(), skip_without_loopback)
