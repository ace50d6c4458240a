#!/usr/bin/env python3
# Real mode with an external policy (docs/external-policies.md) on loopback (tests/lib/real_cluster.py): migd runs
# examples/policies/sprite.py given as --policy JSON, and a command is placed on an agent by it; a policy process
# that dies makes migd stop with status 2, an error naming the policy's command, and its records written. Skips
# (exit 77) only when loopback sockets are unavailable.
# Usage: python3 test_real_external.py /path/to/spritesim
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from real_cluster import Cluster, run_cluster_script  # noqa: E402
from testlib import processes_mentioning, read, rows, wait_for  # noqa: E402

SPRITESIM = None  # set from argv by run_script
EXAMPLES = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                                         "policies"))
PYTHON = "/usr/bin/python3"


class ExternalInRealMode(unittest.TestCase):
    def test_python_sprite_places_a_command(self):
        # The extra argument (ignored by the script) tells its process from other tests' runs of the same script.
        marker = f"--marker=real-external-{os.getpid()}"
        c = Cluster(policy=json.dumps({"name": "external",
                                       "command": [PYTHON, os.path.join(EXAMPLES, "sprite.py"), marker]}))
        try:
            r = c.rexec(["sh", "-c", "cat /dev/null; echo placed"], timeout=60)  # not print-only: placed
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"placed\n")
            migrations = os.path.join(c.out, "migrations.csv")
            wait_for(lambda: any(m["kind"] == "exec" for m in rows(migrations)), "the exec-time placement")
            self.assertIn("external", read(os.path.join(c.out, "config.resolved.json")))
        finally:
            c.close()
        wait_for(lambda: not processes_mentioning(marker), "the policy process to go with migd")

    def test_a_dead_policy_stops_migd_with_an_error(self):
        # Answers the hello, then exits with status 5 at its first call.
        bad = [PYTHON, "-c", "import sys; sys.stdin.readline(); "
               "print('{\"type\":\"hello\",\"protocol\":1,\"name\":\"dies\"}', flush=True); sys.stdin.readline(); "
               "sys.exit(5)"]
        c = Cluster(policy=json.dumps({"name": "external", "command": bad, "timeout_s": 5}))
        try:
            c.rexec(["sh", "-c", "cat /dev/null; echo x"], timeout=60)
            c.migd.wait(timeout=30)
            self.assertEqual(c.migd.returncode, 4, read(c.migd_log))  # a peer's bad input
            log = read(c.migd_log)
            self.assertIn("migd: error: external policy [" + PYTHON + " -c import sys;", log)
            self.assertIn("exited with status 5", log)
            self.assertIn("records written", log)
        finally:
            c.close()


if __name__ == "__main__":
    run_cluster_script("test_real_external.py", globals())
