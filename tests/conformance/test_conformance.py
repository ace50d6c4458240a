#!/usr/bin/env python3
# Conformance: one scripted sequence of host states and job arrivals, played through the simulator's backend and
# through the real backend (three agents on loopback, a coordinator, commands through rexec), must give the same
# decisions from the same policy code. The script: three hosts whose owners leave their consoles 1.2 s apart (so
# the longest-idle order is fixed whatever the agents' report phase), every job from a home that runs no agent;
# jobs arrive 1 s apart and run 8 s; the owner of the second host comes back 1.5 s after the last arrival. Processes are not migratable in
# real mode, so the simulator is told the same (migration.processes_migratable = false).
# Usage: python3 test_conformance.py /path/to/spritesim. Skips (exit 77) when loopback sockets are unavailable.
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import (free_port, read, rows, run_script, skip_without_loopback,  # noqa: E402
                     wait_for)  # tests/lib/testlib.py

SPRITESIM = None
SECRET = b"conformance-shared-secret-0123456789"
ARRIVALS = [4.0, 5.0, 6.0]  # seconds after the start
RUN_S = 8
OWNER_BACK_S = 7.5
HOSTS = ["ws00", "ws01", "ws02"]
OWNER_LEAVES_S = [0.2, 1.4, 2.6]  # per host, further apart than an agent's 1 s report period
OWNER_HOST = "ws01"


def decision_sequence(path, home_names):
    """(event, kind, host) in order, with the process named by its arrival number; the home host mapped to 'home'."""
    order, out = {}, []
    for d in rows(path):
        if d["kind"] in ("return_host", "wake_at"):
            continue
        p = d["process"]
        if p and p not in order:
            order[p] = len(order)
        host = "home" if d["host"] in home_names else d["host"]
        out.append((d["event"], d["kind"], host, order.get(p, -1)))
    return out


class Conformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="spritesim-conformance-")

    def simulated(self):
        owners = os.path.join(self.tmp, "owners.csv")
        with open(owners, "w") as f:
            f.write("host,start_s,end_s,cpu_share\n")
            f.write("ws03,0,1000,0\n")  # the jobs' home: its owner is always there, as for a client without agent
            for h, t in zip(HOSTS, OWNER_LEAVES_S):
                f.write(f"{h},0,{t},0\n")
            f.write(f"{OWNER_HOST},{OWNER_BACK_S},1000,0\n")
        config = os.path.join(self.tmp, "script.json")
        with open(config, "w") as f:
            json.dump({"name": "conformance", "platform": {"workstations": 4},
                       "workload": {"kind": "processes", "duration_s": 60, "baseline": "none",
                                    "script": [{"arrival_s": t, "home": 3, "cpu_s": RUN_S} for t in ARRIVALS]},
                       "owners": {"model": "trace", "trace": owners, "idle_rule": {"input_threshold_s": 0}},
                       "migration": {"processes_migratable": False},
                       "policy": {"name": "sprite"}}, f)
        out = os.path.join(self.tmp, "sim")
        p = subprocess.run([SPRITESIM, "run", config, "--out", out], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return decision_sequence(os.path.join(out, "decisions.csv"), {"ws03"})

    def real(self):
        procs = []

        def start(args, log):
            with open(os.path.join(self.tmp, log), "w") as f:
                procs.append(subprocess.Popen([SPRITESIM, *args], stdout=f, stderr=subprocess.STDOUT))

        try:
            loadavg = os.path.join(self.tmp, "loadavg")
            with open(loadavg, "w") as f:
                f.write("0.00 0.00 0.00 1/100 1\n")
            secret = os.path.join(self.tmp, "secret")
            with open(secret, "wb") as f:
                f.write(SECRET + b"\n")
            os.chmod(secret, 0o600)
            ports = []
            for name in HOSTS:
                port = free_port()
                ports.append(port)
                with open(os.path.join(self.tmp, f"owner-{name}"), "w") as f:
                    f.write("active\n")
                start(["agent", "--port", str(port), "--secret", secret, "--owner-control",
                       os.path.join(self.tmp, f"owner-{name}"), "--name", name, "--loadavg", loadavg,
                       "--allow-root", "--poll-ms", "2"], f"agent-{name}.log")
            for name in HOSTS:
                wait_for(lambda: "listening" in read(os.path.join(self.tmp, f"agent-{name}.log")), f"agent {name}",
                         timeout=15)
            port = free_port()
            out = os.path.join(self.tmp, "real")
            start(["migd", "--port", str(port), "--secret", secret, "--agents",
                   ",".join(f"127.0.0.1:{p}" for p in ports), "--policy", "sprite", "--input-threshold", "0",
                   "--out", out], "migd.log")
            wait_for(lambda: read(os.path.join(self.tmp, "migd.log")).count("watching agent") == 3, "migd", timeout=15)
            t0 = time.monotonic()
            for name, t in zip(HOSTS, OWNER_LEAVES_S):
                time.sleep(max(0.0, t - (time.monotonic() - t0)))
                with open(os.path.join(self.tmp, f"owner-{name}"), "w") as f:
                    f.write("idle\n")
            jobs = []
            for t in ARRIVALS:
                time.sleep(max(0.0, t - (time.monotonic() - t0)))
                jobs.append(subprocess.Popen([SPRITESIM, "rexec", "--migd", f"127.0.0.1:{port}", "--secret", secret,
                                              "--quiet", "--no-stdin", "--", "sleep", str(RUN_S)],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            time.sleep(max(0.0, OWNER_BACK_S - (time.monotonic() - t0)))
            with open(os.path.join(self.tmp, f"owner-{OWNER_HOST}"), "w") as f:
                f.write("active\n")
            for j in jobs:
                self.assertEqual(j.wait(timeout=60), 0, j.stderr.read())
            wait_for(lambda: len([r for r in rows(os.path.join(out, "decisions.csv")) if r["kind"] == "place"]) >= 3
                     and os.path.exists(os.path.join(out, "results.json")), "the records", timeout=15)
            time.sleep(0.3)  # the last exits' records
            return decision_sequence(os.path.join(out, "decisions.csv"), {"home"})
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()

    def test_same_decisions_from_both_backends(self):
        sim = self.simulated()
        real = self.real()
        expected_core = [("process_arrived", "place", "ws00", 0), ("process_arrived", "place", "ws01", 1),
                         ("process_arrived", "place", "ws02", 2), ("owner_active", "restart", "", 1)]
        # The script is built so that Sprite's policy must do exactly this; both backends must agree with it.
        self.assertEqual([d for d in sim if d[1] != "revoke_host"], expected_core, f"simulator: {sim}")
        self.assertEqual(sim, real, "the two backends took different decisions")


if __name__ == "__main__":
    run_script("test_conformance.py", globals(), skip_without_loopback, verbosity=1)
