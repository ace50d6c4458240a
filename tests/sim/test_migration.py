#!/usr/bin/env python3
# Scenario tests of the full migration path, owners and eviction (issue 3): an evicted process finishes once, at
# home, with its CPU conserved; a host's eviction takes the sum of its processes' calibrated costs; no foreign
# process stays on a host longer than its eviction takes once the owner is back; fairness reclaims take from the
# biggest holder and never leave it below the requester. Each simulation runs in its own child process.
# Usage: python3 test_migration.py /path/to/spritesim
import json
import os
import random
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import TempDirCase, rows, run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None
EPS = 2e-6  # CSV times carry 6 decimals


def spritesim(*args, timeout=120):
    p = subprocess.run([SPRITESIM, *args], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"spritesim {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


class Case(TempDirCase):
    TMP_PREFIX = "spritesim-migration-"

    @classmethod
    def calibration(cls):
        out = os.path.join(cls.tmp, "cal")
        spritesim("calibrate", "--profile", "ss1", "--out", out)
        return {r["benchmark"]: float(r["simulated_ms"]) / 1000 for r in rows(os.path.join(out, "calibration.csv"))}


class EvictedMidRun(Case):
    """One 100 s compile exported to ws01, whose owner sits down at t = 40 s (an owner trace)."""

    CPU_S = 100.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.tmp
        write_json(os.path.join(t, "one.json"), {
            "format": "spritesim-trace", "version": 2, "name": "one", "reference_profile": "ss1",
            "tool": {"scan_cpu_s": 0, "scan_lookups": 0, "job_cpu_s": 1.1, "exec_arg_bytes": 0, "script_bytes": 0},
            "jobs": [{"id": "long.o", "kind": "compile", "argv": ["cc", "-c", "long.c"], "cpu_s": cls.CPU_S,
                      "files_opened": 4}]})
        with open(os.path.join(t, "owners.csv"), "w") as f:
            f.write("host,start_s,end_s,cpu_share\nws01,40,400,0\n")
        write_json(os.path.join(t, "exp.json"), {
            "name": "evict-one", "platform": {"workstations": 2},
            "workload": {"trace": "one.json", "max_jobs": 1, "baseline": "none"},
            "owners": {"model": "trace", "trace": "owners.csv"},
            "migration": {"demand_paging": False}})
        cls.out = os.path.join(t, "run")
        spritesim("run", os.path.join(t, "exp.json"), "--out", cls.out)
        cls.jobs = rows(os.path.join(cls.out, "jobs.csv"))
        cls.migs = rows(os.path.join(cls.out, "migrations.csv"))
        cls.evictions = rows(os.path.join(cls.out, "evictions.csv"))
        cls.cal = cls.calibration()

    def test_finishes_once_at_home(self):
        self.assertEqual(len(self.jobs), 1)
        j = self.jobs[0]
        self.assertEqual(j["exec_host"], "ws00", "an evicted process finishes at home")
        self.assertEqual(j["remote"], "1", "it was started remotely")
        self.assertEqual([m["kind"] for m in self.migs], ["exec", "evict"])
        self.assertEqual((self.migs[1]["from_host"], self.migs[1]["to_host"]), ("ws01", "ws00"))

    def test_cpu_conserved(self):
        self.assertAlmostEqual(float(self.jobs[0]["cpu_s"]), self.CPU_S, delta=1e-5)

    def test_elapsed_is_cpu_plus_migration_costs(self):
        j = self.jobs[0]
        elapsed = float(j["end_s"]) - float(j["start_s"])
        exec_s, evict_s = (float(m["duration_s"]) for m in self.migs)
        # The rest: fork at home, exec and exit on the hosts, wait at home (the calibrated local invocation).
        rest = elapsed - self.CPU_S - exec_s - evict_s
        self.assertGreaterEqual(rest, -EPS)
        self.assertLess(rest, self.cal["local exec: fork, exec a null process locally, wait"] + 1e-3)

    def test_eviction_costs_what_calibrate_reports(self):
        self.assertEqual(len(self.evictions), 1)
        e = self.evictions[0]
        self.assertEqual((e["host"], e["reason"], e["processes"]), ("ws01", "owner", "1"))
        self.assertAlmostEqual(float(e["time_s"]), 40.0, delta=EPS)
        one = self.cal["evict one typical process (37 dirty pages, 1 dirty block, 4 open files)"]
        self.assertAlmostEqual(float(e["duration_s"]), one, delta=EPS)


class HostEvictionIsTheSum(Case):
    def test_three_processes_take_three_times_one(self):
        cal = self.calibration()
        one = cal["evict one typical process (37 dirty pages, 1 dirty block, 4 open files)"]
        host = cal["evict a host of 3 typical processes (owner input to host free)"]
        self.assertAlmostEqual(host, 3 * one, delta=1e-6)
        paged = cal["evict a host of 3 typical processes, page-ins at home overlapping"]
        self.assertGreater(paged, host, "page-ins at home compete with the rest of the eviction")


def residencies(migrations, jobs):
    """Per process: (host, arrive, leave) spells, from the exec and move records and the exit times."""
    spells = defaultdict(list)
    where = {}
    for m in sorted(migrations, key=lambda m: float(m["time_s"])):
        t0, t1 = float(m["time_s"]), float(m["time_s"]) + float(m["duration_s"])
        p = m["job_id"]
        if p in where:
            host, since = where.pop(p)
            spells[p].append((host, since, t1))  # it occupies the source until the move ends
        if m["kind"] != "restart":
            where[p] = (m["to_host"], t0)
    ends = {j["job_id"]: float(j["end_s"]) for j in jobs}
    for p, (host, since) in where.items():
        spells[p].append((host, since, ends[p]))
    return spells


class OwnersAndEvictions(Case):
    """Background processes on 6 hosts for 6 hours with owners from a trace: Sprite's policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = random.Random(7)
        cls.periods = defaultdict(list)
        with open(os.path.join(cls.tmp, "owners.csv"), "w") as f:
            f.write("host,start_s,end_s,cpu_share\n")
            for h in range(6):
                t = rng.uniform(0, 1800)
                while t < 6 * 3600:
                    end = t + rng.expovariate(1 / 600)
                    f.write(f"ws{h:02d},{t:.3f},{end:.3f},0.05\n")
                    cls.periods[f"ws{h:02d}"].append((round(t, 3), round(end, 3)))
                    t = end + 30 + rng.expovariate(1 / 1500)
        write_json(os.path.join(cls.tmp, "exp.json"), {
            "name": "owners", "seed": 5, "platform": {"workstations": 6},
            "workload": {"kind": "processes", "duration_s": 6 * 3600, "baseline": "none",
                         "processes": {"arrivals_per_host_hour": 6, "min_cpu_s": 10, "max_cpu_s": 3600}},
            "owners": {"model": "trace", "trace": "owners.csv"}})
        cls.out = os.path.join(cls.tmp, "run")
        spritesim("run", os.path.join(cls.tmp, "exp.json"), "--out", cls.out)
        cls.jobs = rows(os.path.join(cls.out, "jobs.csv"))
        cls.migs = rows(os.path.join(cls.out, "migrations.csv"))
        cls.evictions = rows(os.path.join(cls.out, "evictions.csv"))

    def test_there_were_evictions(self):
        self.assertGreater(len(self.evictions), 3)
        self.assertTrue(all(e["reason"] == "owner" for e in self.evictions))

    def test_every_process_finished_once(self):
        ids = [j["job_id"] for j in self.jobs]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertTrue(all(float(j["end_s"]) > 0 for j in self.jobs))

    def test_no_foreign_process_outstays_the_eviction(self):
        evictions = defaultdict(list)
        for e in self.evictions:
            evictions[e["host"]].append((float(e["time_s"]), float(e["duration_s"])))
        longest = max(d for v in evictions.values() for _, d in v)
        checked = 0
        for p, spells in residencies(self.migs, self.jobs).items():
            for host, arrive, leave in spells:
                home = next(j["home_host"] for j in self.jobs if j["job_id"] == p)
                if host == home:
                    continue
                for start, end in self.periods[host]:
                    if arrive >= end or leave <= start:
                        continue
                    checked += 1
                    self.assertLess(arrive, start + EPS, f"{p} placed on {host} while its owner was at the console")
                    self.assertLessEqual(leave, start + longest + EPS,
                                         f"{p} stayed on {host} {leave - start:.3f} s after the owner came back")
        self.assertGreater(checked, 0, "no process met a returning owner; the scenario tests nothing")


class SuspendThenVacate(Case):
    """Condor suspends a foreign process when ws01's owner returns at 100 s, then vacates it 20 s later: home
    (EVICT) or, with vacate_migrate, to ws02, whose owner left at 50 s. Either way the process runs again where it
    is moved and finishes once with its CPU conserved (before the fix it waited for a RESUME that never came)."""

    CPU_S = 300.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(cls.tmp, "owners.csv"), "w") as f:
            f.write("host,start_s,end_s,cpu_share\nws02,0,50,0\nws01,100,1000,0\n")
        cls.runs = {}
        for migrate in (False, True):
            name = f"vacate-{'migrate' if migrate else 'home'}"
            write_json(os.path.join(cls.tmp, name + ".json"), {
                "name": name, "platform": {"workstations": 3},
                "workload": {"kind": "processes", "duration_s": 10, "baseline": "none",
                             "script": [{"arrival_s": 0, "home": 0, "cpu_s": cls.CPU_S}]},
                "owners": {"model": "trace", "trace": "owners.csv"},
                "policy": {"name": "condor", "params": {"start_idle_s": 0, "max_suspend_s": 20,
                                                        "vacate_migrate": migrate}}})
            out = os.path.join(cls.tmp, name)
            spritesim("run", os.path.join(cls.tmp, name + ".json"), "--out", out)
            cls.runs[migrate] = (rows(os.path.join(out, "jobs.csv")), rows(os.path.join(out, "migrations.csv")),
                                 rows(os.path.join(out, "decisions.csv")))

    def check(self, migrate, where):
        jobs, migs, decisions = self.runs[migrate]
        self.assertEqual(len(jobs), 1)
        job = jobs[0]
        self.assertEqual(job["exec_host"], where)
        self.assertAlmostEqual(float(job["cpu_s"]), self.CPU_S, delta=1e-3)
        kinds = [d["kind"] for d in decisions]
        self.assertIn("suspend", kinds)
        self.assertNotIn("resume", kinds, "the owner never left: nothing may resume it")
        self.assertTrue(any(m["kind"] == "exec" and m["to_host"] == "ws01" for m in migs), migs)
        # Suspended for the 20 s before the vacate: it cannot finish before its CPU plus that wait.
        self.assertGreater(float(job["end_s"]), self.CPU_S + 20)

    def test_vacated_home_runs_there(self):
        self.check(False, "ws00")

    def test_vacated_to_another_host_runs_there(self):
        self.check(True, "ws02")


class FairnessReclaim(Case):
    """Many pmake users asking for many hosts on 8 workstations: hosts move between clients by fairness."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        write_json(os.path.join(cls.tmp, "exp.json"), {
            "name": "fairness", "seed": 11, "platform": {"workstations": 8},
            "workload": {"kind": "mixed", "duration_s": 4 * 3600, "baseline": "none",
                         "builds": {"sessions_per_host_hour": 8, "single_host_share": 0.2, "mean_request": 5,
                                    "max_request": 12, "start_at_active_owner": False}}})
        cls.out = os.path.join(cls.tmp, "run")
        spritesim("run", os.path.join(cls.tmp, "exp.json"), "--out", cls.out)
        cls.decisions = rows(os.path.join(cls.out, "decisions.csv"))
        with open(os.path.join(cls.out, "results.json")) as f:
            cls.results = json.load(f)

    def test_reclaims_happen_and_respect_fairness(self):
        held = defaultdict(set)
        reclaims = 0
        rows = self.decisions
        for i, d in enumerate(rows):
            c = int(d["client"])
            if d["kind"] == "grant_host":
                held[c].add(d["host"])
            elif d["kind"] == "revoke_host":
                before = {k: len(v) for k, v in held.items()}
                held[c].discard(d["host"])
                if d["event"] != "host_request":
                    continue
                reclaims += 1
                # The revoked host goes to the requester in the same answer.
                grant = next((g for g in rows[i + 1:i + 3] if g["kind"] == "grant_host" and g["host"] == d["host"]
                              and g["time_s"] == d["time_s"]), None)
                self.assertIsNotNone(grant, f"reclaimed {d['host']} was not handed to the requester")
                requester = int(grant["client"])
                self.assertEqual(before[c], max(before.values()), "the victim was not the biggest holder")
                self.assertGreaterEqual(before[c] - 1, before.get(requester, 0) + 1,
                                        "the victim was left with fewer hosts than the requester")
            elif d["kind"] == "return_host":
                held[c].discard(d["host"])
        self.assertGreater(reclaims, 0, "no fairness reclaim happened; the scenario tests nothing")
        self.assertEqual(self.results["usage"]["revoked_fairness"], reclaims)


if __name__ == "__main__":
    run_script("test_migration.py", globals(), verbosity=1)
