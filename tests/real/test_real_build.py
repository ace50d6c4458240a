#!/usr/bin/env python3
# Real mode on a real build: a generated C project of ~50 files (tests/lib/c_project.py) built by `spritesim make`
# on 3 test hosts must give the same files and make output as a plain local make, each recipe running once or again
# only after an eviction recorded as such: (A) undisturbed, (B) an owner returning mid-build, (C) an agent killed
# mid-build, (D) migd killed (SIGKILL) and restarted mid-build. The hosts are network namespaces joined by veth
# links to a bridge when this runs as root with CAP_SYS_ADMIN, else agents on distinct loopback ports; the mode is
# printed. Also: recipes with quotes, $$, continuation lines, @ - + prefixes and .ONESHELL behave as with plain
# make, and spritesim make's usage errors.
# Usage: python3 test_real_build.py /path/to/spritesim   (spritesim-rexec must be next to it)
import atexit
import collections
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import c_project  # noqa: E402  (tests/lib/c_project.py)
from real_hosts import Cluster  # noqa: E402  (tests/lib/real_hosts.py)
from testlib import (read, rows, run_script, skip_without_loopback,  # noqa: E402
                     wait_for)  # tests/lib/testlib.py

SPRITESIM = None  # set from argv by run_script
DELAY_S = "0.3"  # each compile sleeps this long first, so that recipes overlap and spread over the hosts
CLUSTER = None
BUILDING = None  # the make running now, if any
REFERENCE = None  # the plain build: {"files": {target: bytes}, "stdout": sorted lines, "recipes": n}


def build(directory, real, jobs, during=None):
    """Generates the project in directory and builds it (spritesim make through CLUSTER when real, else plain make);
    `during(proc)` runs while the build does. Returns (CompletedProcess, targets, directory); the recipe log is
    directory + ".recipes"."""
    targets = c_project.write_project(directory)
    log = directory + ".recipes"
    env = dict(os.environ, RECIPE_LOG=log, C_PROJECT_DELAY_S=DELAY_S)
    cmd = ["make", f"-j{jobs}"]
    if real:
        cmd = [SPRITESIM, "make", "--migd", f"127.0.0.1:{CLUSTER.port}", "--secret", CLUSTER.secret, f"-j{jobs}"]
    global BUILDING
    # make, its rexecs and its recipes in a process group of their own, to be killed together if need be
    p = BUILDING = subprocess.Popen(cmd, cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
    if during:
        try:
            during(p)
        except BaseException:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
    out, err = p.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, p.returncode, out, err), targets, directory


def setUpModule():
    global CLUSTER, REFERENCE
    CLUSTER = Cluster(SPRITESIM)
    print(f"test hosts: {CLUSTER.mode}")
    atexit.register(tearDownModule)  # also when setUpModule or a scenario fails halfway
    r, targets, d = build(CLUSTER.path("plain"), real=False, jobs=4)
    assert r.returncode == 0, r.stderr.decode()
    REFERENCE = {"files": c_project.outputs(d, targets), "stdout": sorted(r.stdout.splitlines()),
                 "recipes": len(c_project.recipe_log(d + ".recipes"))}
    assert REFERENCE["recipes"] == len(targets) and all(v is not None for v in REFERENCE["files"].values())


def tearDownModule():
    global CLUSTER
    if CLUSTER:
        CLUSTER.close()
        CLUSTER = None


def processes(field, values):
    """The processes whose parent (field "ppid") or process group (field "pgrp") is in values."""
    index = {"ppid": 1, "pgrp": 2}[field]
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = read(f"/proc/{entry}/stat")
            if stat and int(stat.rsplit(")", 1)[1].split()[index]) in values:
                found.append(int(entry))
    return found


def describe(pid):
    """"NAME:STATE" of a process, from /proc (Z: a zombie, not reaped yet)."""
    stat = read(f"/proc/{pid}/stat")
    return stat[stat.find("(") + 1:stat.rfind(")")] + ":" + stat[stat.rfind(")") + 2:][:1]


def started_minus_ended(h, offset):
    text = read(h["log"])[offset:]
    return text.count(" started: ") - text.count(" ended")


class BuildScenario(unittest.TestCase):
    """What every scenario checks of a build through real mode."""

    def setUp(self):
        CLUSTER.revive()
        self.base = CLUSTER.start_migd(self.id().split(".")[-2])
        self.offsets = {h["name"]: len(read(h["log"])) for h in CLUSTER.hosts}

    def busy_host(self):
        """A host running a compile recipe now (waits for one). Compiles sleep DELAY_S first, so it will still be
        running a moment later (gen.h's quick recipe might not)."""
        def compiling(h):
            return any("slowcc" in read(f"/proc/{c}/cmdline") for c in processes("ppid", {h["proc"].pid}))

        def busy():
            return [h for h in CLUSTER.hosts if h["proc"].poll() is None and
                    started_minus_ended(h, self.offsets[h["name"]]) > 0 and compiling(h)]
        wait_for(busy, "a compile to run on an agent", timeout=30)
        return busy()[0]

    def check_build(self, r, targets, directory):
        """Same files and make output as the plain build; one jobs.csv row per recipe; every recipe ran once, or
        more often only on hosts that migrations.csv records restarts from, and a restarted job finished at home.
        Returns the hosts each target's recipe ran on (in order) and the restarts by host they were evicted from."""
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stderr, b"", "spritesim make wrote to stderr")
        files = c_project.outputs(directory, targets)
        for t in targets:
            self.assertEqual(files[t], REFERENCE["files"][t], f"{t} differs from the plain build's")
        # -j8 and -j4 start recipes in different orders: make's lines are compared as a multiset.
        self.assertEqual(sorted(r.stdout.splitlines()), REFERENCE["stdout"], "make's output differs")
        jobs_csv = os.path.join(CLUSTER.out, "jobs.csv")
        wait_for(lambda: os.path.exists(jobs_csv) and len(rows(jobs_csv)) >= REFERENCE["recipes"], "jobs.csv")
        jobs = rows(jobs_csv)
        self.assertEqual(len(jobs), REFERENCE["recipes"], "jobs.csv must have one row per recipe")
        # Each job is named after the target its recipe builds (spritesim make passes $@ to rexec).
        self.assertEqual(sorted(j["job_id"].rsplit("-", 1)[0] for j in jobs), sorted(targets))
        migrations = rows(os.path.join(CLUSTER.out, "migrations.csv"))
        restarts = collections.Counter(m["from_host"] for m in migrations if m["kind"] == "restart")
        finished_at = {j["job_id"]: j["exec_host"] for j in jobs}
        for m in migrations:
            if m["kind"] == "restart":
                self.assertEqual(finished_at.get(m["job_id"]), "home", f"restarted {m['job_id']} did not rerun at home")
        runs = collections.defaultdict(list)
        for target, _pid, ppid in c_project.recipe_log(directory + ".recipes"):
            runs[target].append(CLUSTER.host_of(ppid))
        self.assertEqual(sorted(runs), sorted(targets), "a recipe never ran (or something else logged)")
        extra = collections.Counter()  # runs beyond the one that counted, by host
        for target, hosts in runs.items():
            if len(hosts) > 1:
                # The run that counted is the last; every earlier one must be an attempt that was restarted.
                for h in hosts[:-1]:
                    extra[h] += 1
                self.assertTrue(all(restarts[h] > 0 for h in hosts[:-1]),
                                f"{target} ran on {hosts} but migrations.csv records no restart from {hosts[:-1]}")
        for h, n in extra.items():
            self.assertLessEqual(n, restarts[h], f"more reruns of recipes from {h} than restarts recorded")
        where = collections.Counter(h for hosts in runs.values() for h in hosts)
        print(f"\n  {self.id().split('.')[-2]}: recipe runs by host {dict(sorted(where.items()))}, restarts by host "
              f"{dict(restarts)}", flush=True)
        remote = {h for hosts in runs.values() for h in hosts if h != "home"}
        self.assertGreaterEqual(len(remote), 2, f"recipes ran remotely on {sorted(remote)} only")
        self.assertGreaterEqual(len({m["to_host"] for m in migrations if m["kind"] == "exec"}), 2)
        return runs, restarts


class TestA_Build(BuildScenario):
    def test_build_is_byte_identical_and_each_recipe_runs_once(self):
        r, targets, d = build(os.path.join(self.base, "src"), real=True, jobs=8)
        runs, restarts = self.check_build(r, targets, d)
        self.assertEqual(sum(restarts.values()), 0, "no owner came back, no agent died: nothing may restart")
        self.assertTrue(all(len(h) == 1 for h in runs.values()), "a recipe ran twice")


class TestB_OwnerReturns(BuildScenario):
    def test_owner_return_mid_build_evicts_within_100_ms(self):
        victim = {}

        def owner_returns(p):
            h = self.busy_host()
            victim.update(h)
            with open(h["owner"], "w") as f:
                f.write("active\n")

        try:
            r, targets, d = build(os.path.join(self.base, "src"), real=True, jobs=8, during=owner_returns)
        finally:
            if victim:
                with open(victim["owner"], "w") as f:
                    f.write("idle\n")
        runs, restarts = self.check_build(r, targets, d)
        self.assertGreaterEqual(restarts[victim["name"]], 1, "the owner's return evicted nothing")
        migrations = rows(os.path.join(CLUSTER.out, "migrations.csv"))
        for m in migrations:
            if m["kind"] == "restart":
                self.assertEqual(m["from_host"], victim["name"], "a restart from a host whose owner stayed away")
        evictions = os.path.join(CLUSTER.out, "evictions.csv")
        wait_for(lambda: os.path.exists(evictions) and rows(evictions), "the eviction's record")
        ev = [e for e in rows(evictions) if e["host"] == victim["name"]]
        self.assertEqual([e["reason"] for e in ev], ["owner"])
        print(f"  eviction on {victim['name']}: {float(ev[0]['duration_s']) * 1e3:.1f} ms", flush=True)
        self.assertLess(float(ev[0]["duration_s"]), 0.100, "eviction took more than 100 ms after the agent noticed")
        self.assertIn("evicted by kill", read(victim["log"])[self.offsets[victim["name"]]:])


class TestC_AgentKilled(BuildScenario):
    def test_agent_killed_mid_build(self):
        victim = {}

        def agent_dies(p):
            # Its running recipes are its children, each the leader of its own process group.
            h = self.busy_host()
            victim.update(h, groups=set(processes("ppid", {h["proc"].pid})))
            h["proc"].kill()
            h["proc"].wait(timeout=10)
            time.sleep(0.05)
            left = [describe(p) for p in processes("pgrp", victim["groups"])]
            print(f"\n  killed agent {h['name']} running {len(victim['groups'])} recipe(s); 50 ms later, processes "
                  f"of their groups still alive: {left}", flush=True)

        r, targets, d = build(os.path.join(self.base, "src"), real=True, jobs=8, during=agent_dies)
        # The agent's recipes die with it, but what they started may live on as orphans (a compiler finishing
        # its output file beside the rerun at home: why the project's recipes write under a temporary name first).
        # Let them end before reading the recipe log.
        wait_for(lambda: not processes("pgrp", victim["groups"]), "the killed agent's recipes' processes to end")
        runs, restarts = self.check_build(r, targets, d)
        self.assertGreaterEqual(restarts[victim["name"]], 1, "the killed agent's recipes were not rerun")
        self.assertEqual(set(restarts), {victim["name"]}, "restarts from a host that did not die")
        wait_for(lambda: "lost" in read(CLUSTER.migd_log), "migd to notice the agent is gone")


class TestD_MigdRestarted(BuildScenario):
    def test_migd_killed_and_restarted_mid_build(self):
        def migd_dies(p):
            for pause in (0.5, 0.2):  # twice, the second time soon after the first restart
                self.busy_host()  # recipes are running on agents
                CLUSTER.kill_migd()
                time.sleep(pause)  # running recipes go on; new ones wait for migd (rexec --migd-wait)
                CLUSTER.restart_migd()

        r, targets, d = build(os.path.join(self.base, "src"), real=True, jobs=8, during=migd_dies)
        # check_build: one jobs.csv row per recipe (none lost, none counted twice), byte-identical outputs.
        runs, restarts = self.check_build(r, targets, d)
        self.assertEqual(sum(restarts.values()), 0, "nothing was evicted: nothing may restart")
        self.assertTrue(all(len(h) == 1 for h in runs.values()), "a recipe ran twice")
        log = read(CLUSTER.migd_log)
        self.assertEqual(log.count("reloaded"), 2)
        print(f"  migd restarted: {log.count('re-attached')} job(s) re-attached from the checkpoint's lag",
              flush=True)


class TestMakeSemantics(BuildScenario):
    """Recipes behave under spritesim make as under plain make: the same stdout, stderr and exit status."""

    MAKEFILE = """all: quotes dollars multi prefixes status

quotes:
\techo "double \\"quoted\\" 'single'" 'it'"'"'s' `echo back`; printf '%s|' a "b  c" 'd  e'; echo

dollars:
\tx=5; y=$$x$$x; [ -n "$$$$" ] && echo "$$y" '$$x' $(words a b c) "$$(echo sub)"

multi:
\tfor i in 1 2 3; do \\
\t  echo line $$i; \\
\tdone; \\
\techo "joined \\
\tstring"

prefixes:
\t@echo silent
\t-false
\t@-echo after ignored failure
\t+echo plus

status:
\t@echo out; echo err >&2; exit 0

fail:
\t@echo about to fail; exit 3
"""
    # .ONESHELL works, but make strips @ - + from the inner lines only for a shell it knows as POSIX (by name),
    # which spritesim-rexec is not: inner lines must not carry them (docs/real-mode.md).
    ONESHELL = ".ONESHELL:\nall:\n\t@echo first\n\tx=1\n\techo x=$$x\n\tcd /\n\tpwd\n"

    ERREXIT = ".SHELLFLAGS = -ec\nall:\n\tfalse; echo not reached\n"

    def test_recipes_behave_as_with_plain_make(self):
        d = os.path.join(self.base, "semantics")
        os.makedirs(d)
        with open(os.path.join(d, "Makefile"), "w") as f:
            f.write(self.MAKEFILE)
        with open(os.path.join(d, "oneshell.mk"), "w") as f:
            f.write(self.ONESHELL)
        with open(os.path.join(d, "errexit.mk"), "w") as f:
            f.write(self.ERREXIT)
        for args in [[], ["fail"], ["-k", "fail", "all"], ["-f", "oneshell.mk"], ["-f", "errexit.mk"]]:
            plain = subprocess.run(["make", "-j1"] + args, cwd=d, capture_output=True)
            # A makefile's own .SHELLFLAGS is given to spritesim make as --shell-flags.
            ours = ["--shell-flags", "-ec"] if "errexit.mk" in args else []
            real = subprocess.run([SPRITESIM, "make", "--migd", f"127.0.0.1:{CLUSTER.port}", "--secret",
                                   CLUSTER.secret] + ours + ["-j1"] + args, cwd=d, capture_output=True)
            self.assertEqual((real.returncode, real.stdout, real.stderr),
                             (plain.returncode, plain.stdout, plain.stderr), f"make {args}")
            if not args:
                self.assertIn(b"55 $x 3 sub\nfor i in 1 2 3; do \\\n", plain.stdout)
        wait_for(lambda: any(j["remote"] == "1" for j in rows(os.path.join(CLUSTER.out, "jobs.csv"))),
                 "a recipe to have run remotely")


class TestMakeUsage(unittest.TestCase):
    def test_usage_errors(self):
        def sm(*args, **kw):
            return subprocess.run([SPRITESIM, "make"] + list(args), capture_output=True, text=True,
                                  env={k: v for k, v in os.environ.items() if not k.startswith("SPRITESIM_")}, **kw)
        r = sm("-j2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no coordinator: give --migd", r.stderr)
        r = sm("--migd", "127.0.0.1:1", "-j2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--migd needs --secret", r.stderr)
        r = sm("--migd", "127.0.0.1:1", "--secret", CLUSTER.path("no-such-secret"))
        self.assertEqual((r.returncode, "no-such-secret" in r.stderr), (4, True), r.stderr)  # bad input
        r = sm("--migd", "127.0.0.1:1", "--secret", CLUSTER.secret, "--shell", "/bin/my shell")
        self.assertEqual(r.returncode, 2)
        self.assertIn("white space", r.stderr)
        r = sm("--migd", "127.0.0.1:1", "--secret", CLUSTER.secret, "--make", "/nonexistent/make")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot run --make", r.stderr)
        # make's exit status is spritesim make's (no coordinator listens on port 1: recipes run at home).
        d = CLUSTER.path("usage")
        os.makedirs(d, exist_ok=True)
        r = sm("--migd", "127.0.0.1:1", "--secret", CLUSTER.secret, "-s", "-f", "/dev/null", "--eval",
               "x:\n\t@exit 5", "x", cwd=d)
        self.assertEqual(r.returncode, 2, r.stderr)  # make exits 2 when a recipe fails
        self.assertIn("Error 5", r.stderr)
        # spritesim-rexec reports errors as spritesim does, under its own name.
        rexec = os.path.join(os.path.dirname(SPRITESIM), "spritesim-rexec")
        r = subprocess.run([rexec, "--bogus", "--", "true"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("spritesim-rexec: usage error: unknown option \"--bogus\""), r.stderr)
        r = subprocess.run([rexec, "--", "sh", "-c", "exit 7"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 7)


def on_sigterm(*_):
    """meson stops a test that runs too long with SIGTERM: clean up (build, daemons, namespaces, links) and exit
    at once (unittest would take a SystemExit for a failed test and go on)."""
    if BUILDING and BUILDING.poll() is None:
        os.killpg(BUILDING.pid, signal.SIGKILL)
    tearDownModule()
    os._exit(143)


def before():
    if not shutil.which("make") or not shutil.which("cc") or not shutil.which("ar"):
        print("SKIP: the build test needs make, cc and ar")
        sys.exit(77)
    skip_without_loopback()
    signal.signal(signal.SIGTERM, on_sigterm)


if __name__ == "__main__":
    run_script("test_real_build.py", globals(), before)
