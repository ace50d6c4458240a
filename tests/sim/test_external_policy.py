#!/usr/bin/env python3
# The external policy protocol (docs/external-policies.md), end to end in the simulator: examples/policies/sprite.py,
# the built-in "sprite" policy rewritten in Python, gives the built-in's outputs byte for byte over a 3-seed sweep
# with owners coming back and several builds competing for hosts (evictions and fairness reclaims happen); a policy
# process that crashes, hangs, answers garbage, speaks another protocol or decides the impossible ends the run with
# an error naming its command and what went wrong, never a hang, and leaves no process behind.
# Usage: python3 test_external_policy.py /path/to/spritesim
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import TempDirCase, processes_mentioning, rows, run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None  # set from argv in main()
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
EXAMPLES = os.path.realpath(os.path.join(ROOT, "examples", "policies"))
PYTHON = "/usr/bin/python3"

# Build sessions (pmakes asking for hosts: grants and fairness reclaims), independent processes (exec-time
# placement) and busy stochastic owners (evictions) on 6 workstations for two simulated hours: seeds 1-3 have
# 34 owner evictions and a fairness reclaim between them.
EXPERIMENT = {
    "name": "mixed-6",
    "platform": {"workstations": 6},
    "owners": {"model": "stochastic",
               "params": {"start_of_week_s": 208800, "weekday_idle_share": 0.5, "mean_idle_period_s": 600}},
    "workload": {
        "kind": "mixed",
        "duration_s": 7200,
        "baseline": "none",
        "builds": {"sessions_per_host_hour": 2, "single_host_share": 0, "mean_request": 3, "max_request": 5},
        "processes": {"arrivals_per_host_hour": 6, "min_cpu_s": 60, "max_cpu_s": 3600, "pareto_alpha": 1},
    },
    "policy": {"name": "sprite"},
}
EXTERNAL_SPRITE = {"name": "external", "command": [PYTHON, os.path.join(EXAMPLES, "sprite.py")]}
# The files whose policy naming differs between the two: results.json is compared without its "policy" key.
CONFIG_ECHO = {"config.resolved.json"}


def run(args, timeout=120, cwd=None):
    return subprocess.run([SPRITESIM, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def files_under(folder):
    out = {}
    for root, _, names in os.walk(folder):
        for n in names:
            path = os.path.join(root, n)
            out[os.path.relpath(path, folder)] = path
    return out


class SameAsBuiltIn(TempDirCase):
    TMP_PREFIX = "spritesim-external-"

    def test_python_sprite_gives_the_built_in_results_byte_for_byte(self):
        exp = os.path.join(self.tmp, "exp.json")
        with open(exp, "w") as f:
            json.dump(EXPERIMENT, f)
        sweep = {"name": "same", "experiment": "exp.json",
                 "axes": [{"name": "impl", "points": [
                     {"value": "builtin", "set": {"policy": {"name": "sprite"}}},
                     {"value": "python", "set": {"policy": EXTERNAL_SPRITE}}]}],
                 "seeds": [1, 2, 3]}
        with open(os.path.join(self.tmp, "sweep.json"), "w") as f:
            json.dump(sweep, f)
        out = os.path.join(self.tmp, "out")
        r = run(["sweep", os.path.join(self.tmp, "sweep.json"), "--out", out, "--jobs", "2"], timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        runs = os.path.join(out, "runs")
        builtin = {k: v for k, v in files_under(runs).items() if k.startswith("impl=builtin")}
        self.assertEqual(len([k for k in builtin if k.endswith("results.json")]), 3, sorted(builtin))
        fairness = owner = 0
        for rel, path in sorted(builtin.items()):
            other = os.path.join(runs, rel.replace("impl=builtin", "impl=python", 1))
            with self.subTest(file=rel):
                self.assertTrue(os.path.exists(other), other)
                name = os.path.basename(rel)
                if name in CONFIG_ECHO or name.endswith(".log"):
                    continue
                if name == "results.json":
                    mine, theirs = [load_json(p) for p in (path, other)]
                    mine.pop("policy", None), theirs.pop("policy", None)
                    self.assertEqual(mine, theirs)
                else:
                    with open(path, "rb") as a, open(other, "rb") as b:
                        self.assertEqual(a.read(), b.read(), f"{rel} differs")
            if name == "evictions.csv":
                reasons = [row["reason"] for row in rows(path)]
                fairness += reasons.count("fairness")
                owner += reasons.count("owner")
        # The sweep exercises what the policy decides: owners' returns and fairness reclaims.
        self.assertGreater(owner, 0, "no owner eviction in the sweep: make it busier")
        self.assertGreater(fairness, 0, "no fairness reclaim in the sweep: make it busier")

    def test_python_sprite_keeps_to_the_home_architecture_as_the_built_in_does(self):
        # Sprite's 1990 cluster (two architecture pools): the same decisions, so the same placements and moves.
        config = os.path.join(ROOT, "configs", "experiments", "sprite-1990-cluster.json")
        outs = {}
        for impl, policy in (("builtin", {"name": "sprite"}), ("python", EXTERNAL_SPRITE)):
            outs[impl] = os.path.join(self.tmp, impl)
            r = run(["run", config, "--out", outs[impl], "--set", "policy=" + json.dumps(policy)], timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for name in ("decisions.csv", "jobs.csv", "migrations.csv"):
            with open(os.path.join(outs["builtin"], name), "rb") as a, open(os.path.join(outs["python"], name), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"{name} differs")
        self.assertGreater(sum(row["remote"] == "1" for row in rows(os.path.join(outs["builtin"], "jobs.csv"))), 10)

    def test_relative_command_is_beside_the_config(self):
        folder = os.path.join(self.tmp, "rel")
        os.makedirs(folder)
        os.symlink(EXAMPLES, os.path.join(folder, "policies"))
        exp = dict(EXPERIMENT, workload=dict(EXPERIMENT["workload"], duration_s=1800),
                   policy={"name": "external", "command": [PYTHON, "policies/random_hosts.py"],
                           "params": {"seed": 3}})
        with open(os.path.join(folder, "exp.json"), "w") as f:
            json.dump(exp, f)
        out = os.path.join(self.tmp, "rel-out")
        r = run(["run", os.path.join(folder, "exp.json"), "--out", out], cwd=self.tmp)  # not the config's folder
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        policy = load_json(os.path.join(out, "config.resolved.json"))["policy"]
        self.assertEqual(policy["command"], [PYTHON, os.path.join(folder, "policies", "random_hosts.py")])
        self.assertEqual(policy["timeout_s"], 10)
        self.assertEqual(policy["params"], {"seed": 3})


# Misbehaving policies: the sprite example until call 3, then the misbehaviour.
BAD = r'''
import os, sys, time
sys.path.insert(0, {examples!r})
import sprite, spritesim_policy as sp
inner = None
def make(params):
    global inner
    inner = sprite.make({{}})
    calls = [0]
    def decide(view, events):
        calls[0] += 1
        if calls[0] == 3:
            {action}
        return inner(view, events)
    return decide
sp.main(make, "bad")
'''
ACTIONS = {
    "crash": ("sys.exit(7)", ["ended without answering call 3", "exited with status 7"]),
    "hang": ("time.sleep(3600)", ["no answer to call 3 within timeout_s = 1 s", "killed"]),
    "garbage": ("sys.__stdout__.write('this is not json\\n'); sys.__stdout__.flush(); time.sleep(3600)",
                ["answer to call 3 is not a JSON line", "this is not json"]),
    "unknown-kind": ("return [{'kind': 'teleport', 'proc': 1}]",
                     ["call 3", "$.decisions[0].kind", "teleport"]),
    "illegal": ("return [sp.place(123456, 0)]",
                ["policy decision place", "unknown process", "refused"]),
}


class Misbehaving(TempDirCase):
    TMP_PREFIX = "spritesim-external-bad-"

    def check_fails(self, policy, expected, marker):
        exp = dict(EXPERIMENT, workload=dict(EXPERIMENT["workload"], duration_s=3600), policy=policy)
        path = os.path.join(self.tmp, f"{marker}.json")
        with open(path, "w") as f:
            json.dump(exp, f)
        start = time.monotonic()
        r = run(["run", path, "--out", os.path.join(self.tmp, f"{marker}-out")], timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertLess(time.monotonic() - start, 30)
        self.assertIn("external policy [", r.stderr)
        self.assertIn(marker, r.stderr)  # the command is named
        for text in expected:
            self.assertIn(text, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, f"{marker}-out", "results.json")))
        time.sleep(0.2)
        self.assertEqual(processes_mentioning(marker), [], "a policy process outlived its run")
        return r

    def test_each_misbehaviour_ends_the_run_naming_the_command(self):
        for action, (code, expected) in ACTIONS.items():
            with self.subTest(action=action):
                script = os.path.join(self.tmp, f"bad_{action}.py")
                with open(script, "w") as f:
                    f.write(BAD.format(examples=EXAMPLES, action=code))
                r = self.check_fails({"name": "external", "command": [PYTHON, script], "timeout_s": 1},
                                     expected, f"bad_{action}.py")
                self.assertEqual(r.returncode, 3, r.stderr)  # a broken policy fails the run's audit

    def test_a_protocol_mismatch_or_a_missing_program_fails_at_the_start(self):
        script = os.path.join(self.tmp, "old_protocol.py")
        with open(script, "w") as f:
            f.write("import sys, json\nsys.stdin.readline()\n"
                    "print(json.dumps({'type': 'hello', 'protocol': 0, 'name': 'old'}), flush=True)\n"
                    "sys.stdin.readline()\n")
        r = self.check_fails({"name": "external", "command": [PYTHON, script]},
                             ["speaks protocol 0, this spritesim speaks 1"], "old_protocol.py")
        self.assertEqual(r.returncode, 4, r.stderr)  # a peer's bad input (docs/outputs.md "Exit status")
        exp = dict(EXPERIMENT, policy={"name": "external", "command": ["/nonexistent/policy-program"]})
        path = os.path.join(self.tmp, "missing.json")
        with open(path, "w") as f:
            json.dump(exp, f)
        r = run(["run", path, "--out", os.path.join(self.tmp, "missing-out")])
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("$.policy.command", r.stderr)
        self.assertIn("/nonexistent/policy-program", r.stderr)

    def test_config_errors(self):
        for policy, where in [({"name": "external"}, "$.policy.command"),
                              ({"name": "external", "command": []}, "$.policy.command"),
                              ({"name": "external", "command": [1]}, "$.policy.command[0]"),
                              ({"name": "sprite", "command": ["x"]}, "$.policy.command"),
                              ({"name": "external", "command": ["x"], "timeout_s": 0}, "$.policy.timeout_s")]:
            with self.subTest(policy=policy):
                path = os.path.join(self.tmp, "cfg.json")
                with open(path, "w") as f:
                    json.dump(dict(EXPERIMENT, policy=policy), f)
                r = run(["run", path, "--out", os.path.join(self.tmp, "cfg-out")])
                self.assertEqual(r.returncode, 4, r.stderr)
                self.assertIn(where, r.stderr)

    def test_policies_lists_external_with_its_keys(self):
        r = run(["policies", "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        # Apart from the built-in policies, which run by their name alone: a tool trying each of those (as
        # ../shared/checks/7-no-lost-jobs does) must not pick one that needs a command.
        self.assertNotIn("external", [p["name"] for p in doc["policies"]])
        self.assertEqual(doc["external"]["name"], "external")
        self.assertEqual([k["name"] for k in doc["external"]["params"]], ["command", "params", "timeout_s"])


if __name__ == "__main__":
    run_script(__file__, globals())
