#!/usr/bin/env python3
# Real mode's failures and restarts on loopback (tests/lib/real_cluster.py): migd stopped and restarted keeps its
# records and never reuses a job number; migd SIGKILLed under running commands (and with more arriving while it is
# down) loses none and records none twice; an agent killed mid-command: the command reruns at home and the user sees
# one complete attempt, and nothing of it (children included) runs on beside the rerun; a watch link that breaks
# while its agent lives: the command migd moved home is killed on the agent. Skips (exit 77) only when loopback
# sockets are unavailable.
# Usage: python3 test_real_failures.py /path/to/spritesim
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from real_cluster import Cluster, Relay, WithCluster, run_cluster_script  # noqa: E402
from testlib import numbered_script, read, rows, wait_for  # noqa: E402

SPRITESIM = None  # set from argv by run_script


class Restarts(WithCluster):
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

    def test_5b_state_files_are_private(self):
        # The state file holds the job-token key: it and its journal are the coordinator's user's only, whatever
        # the umask (this script's is the usual 022, under which they used to be 0644).
        self.assertEqual(self.c.rexec(["true"]).returncode, 0)
        journal = self.c.path("state.json.records.jsonl")
        wait_for(lambda: os.path.exists(journal), "the records journal")
        for path in (self.c.path("state.json"), journal):
            self.assertEqual(oct(os.stat(path).st_mode & 0o777), oct(0o600), path)

    def test_6_agent_killed_mid_job_reruns_at_home(self):
        script, expected = numbered_script(30, 0.02)
        migrations = os.path.join(self.c.out, "migrations.csv")
        p, job, agent = self.c.kill_agent_under(["sh", "-c", script])  # its command's pipes close with it
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, expected, "the user must see exactly one complete attempt")
        wait_for(lambda: any(m["kind"] == "restart" and m["job_id"] == job["job_id"] for m in rows(migrations)),
                 "the rerun at home recorded")
        wait_for(lambda: "lost" in read(self.c.migd_log), "migd to notice the agent is gone")

    def test_8_migd_killed_mid_jobs_loses_and_repeats_nothing(self):
        # Commands run remotely and at home when migd is killed (SIGKILL: no goodbye, its last checkpoint may lag);
        # more arrive while it is down. After the restart each runs exactly once and has exactly one record.
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        migrations = os.path.join(self.c.out, "migrations.csv")
        number = lambda job_id: int(job_id.rsplit("-", 1)[1])
        log = self.c.path("runs-8.log")
        script = 'echo "$0" >> ' + log + '; sleep 1; echo "$0 finished"'
        first = [self.c.rexec_async(["env", "sh", "-c", script, f"early{i}"]) for i in range(6)]
        wait_for(lambda: len(read(log).split()) == 6, "the first commands to start")
        self.c.migd.kill()
        self.c.migd.wait(timeout=10)
        self.c.procs.remove(self.c.migd)
        late = [self.c.rexec_async(["env", "sh", "-c", script, f"late{i}"]) for i in range(3)]
        time.sleep(0.5)
        self.c.start_migd()
        for i, p in enumerate(first + late):
            out, err = p.communicate(timeout=30)
            tag = f"early{i}" if i < 6 else f"late{i - 6}"
            self.assertEqual((p.returncode, out), (0, f"{tag} finished\n".encode()), err)
        runs = read(log).split()
        self.assertEqual(sorted(runs), sorted([f"early{i}" for i in range(6)] + [f"late{i}" for i in range(3)]),
                         "a command ran twice or not at all")
        new = lambda: [r for r in rows(jobs_csv) if r["job_id"].startswith("env-")]  # records: "env-N"
        wait_for(lambda: len(new()) >= 9, "the records of the 9 commands")
        recorded = new()
        self.assertEqual(len(recorded), 9, f"records: {[r['job_id'] for r in recorded]}")
        self.assertEqual(len({r["job_id"] for r in recorded}), 9, "a command was recorded twice")
        self.assertEqual(sum(r["remote"] == "1" for r in recorded) >= 1, True, "nothing ran remotely")
        execs = [m["job_id"] for m in rows(migrations) if m["kind"] == "exec" and m["job_id"].startswith("env-")]
        self.assertEqual(len(execs), len(set(execs)), "a remote placement was recorded twice")
        self.assertGreater(min(number(r["job_id"]) for r in recorded), 0)


    def test_8b_an_acknowledged_end_survives_a_snapshot_that_lags(self):
        # migd acknowledges an end once its record is synced to the journal, before the snapshot (which still lists
        # the job as running) is rewritten. Here every snapshot after the placement fails (a directory stands where
        # its temporary file would go), so migd is killed with a snapshot that says "running": the restarted migd
        # must find the end in the journal (one record, nothing reloaded as running).
        jobs_csv = os.path.join(self.c.out, "jobs.csv")
        state = os.path.join(self.c.dir, "state.json")
        mine = lambda: [r for r in rows(jobs_csv) if r["job_id"].startswith("sleep-")]  # records: "sleep-N"
        before = len(mine())
        p = self.c.rexec_async(["sleep", "0.5"])
        wait_for(lambda: '"running"' in read(state), "the placement's snapshot")
        blocker = f"{state}.tmp.{self.c.migd.pid}"
        os.mkdir(blocker)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn('"running"', read(state))  # the snapshot lags the acknowledged end
        self.c.migd.kill()
        self.c.migd.wait(timeout=10)
        self.c.procs.remove(self.c.migd)
        os.rmdir(blocker)
        self.c.start_migd()
        reloaded = [line for line in read(self.c.migd_log).splitlines() if "migd: reloaded" in line]
        self.assertEqual(len(reloaded), 1, read(self.c.migd_log))
        self.assertIn("(0 running jobs", reloaded[0])
        wait_for(lambda: len(mine()) >= before + 1, "the command's record")
        self.assertEqual(len(mine()), before + 1, mine())


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
            # Named after the first word of the shell's script: "sleep-N".
            wait_for(lambda: any(j["job_id"].startswith("sleep-") for j in rows(jobs)), "the job's record")
            self.assertEqual([j["exec_host"] for j in rows(jobs) if j["job_id"].startswith("sleep-")], ["home"])
        finally:
            if relay:
                relay.close()
            c.close()


def any_umask():
    os.umask(0o022)  # test_5b: the daemons' files must be private whatever the umask


if __name__ == "__main__":
    run_cluster_script("test_real_failures.py", globals(), any_umask)
