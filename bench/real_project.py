#!/usr/bin/env python3
"""Real mode on a make project: per-recipe overhead against plain make and distcc, capture's cost, and the
simulator's prediction of the real run (issue 16; bench/README.md, "real_project.py").

The project is the generated C project (tests/lib/c_project.py, 50 recipes) or --project DIR, any make project
whose build starts from the tree as given (each build runs on a fresh copy of it). First `spritesim host-profile`
measures this machine (real mode's remote path through a local agent and migd included). Then, for each -jN of
--jobs, builds of each variant run interleaved, --reps of each, the order turned around every repetition:

  plain      make -jN
  spritesim  spritesim make -jN, through 3 agents and migd on loopback (sprite policy, no owner returning)
  distcc     make -jN with PATH starting at distcc's masquerade directory, so cc and gcc go to one distccd on
             loopback (where distcc is installed; --variants to leave it out)
  capture    spritesim trace capture --profile (the profile measured) -- make -jN (the cost of capturing)

It prints median walls, the median over rounds of (variant - plain) / recipe lines in wall and in CPU (the CPU of
the command and everything it waited for: not what agents or distccd ran), migd's and the agents' own CPU per line
during each variant's builds (they run beside every variant; not the commands they ran), capture's own CPU per line (its
summary: the shims' and its own), and whether every variant built the same files as plain make; then
times one more spritesim build with SPRITESIM_REXEC_TIMING set and prints the median of each phase of a remote
recipe line (docs/real-mode.md, "Where a recipe's time goes"). Unless --no-predict, the simulator then replays the
capture of that make -jN whose wall time is the median, set up as the real runs were (docs/capture.md, "Predicting a real-mode build") and
the table at the end gives predicted against measured, for plain make and for spritesim make.

Not a test: figures for bench/README.md. Agents, migd and distccd share the machine's CPUs with the build, so the
overheads include the daemons' CPU. The simulator predicts an idle machine: judge it on a quiet one.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import c_project  # noqa: E402
from real_hosts import HOSTS, Cluster  # noqa: E402  (the build test's test hosts, on loopback here)
from testlib import free_port, wait_for  # noqa: E402

DISTCC_MASQUERADE = "/usr/lib/distcc"
PHASES = ["start", "placed", "agent_connected", "exec_sent", "exit_received", "ran", "reported", "end"]


def process_cpu(pid):
    """CPU seconds of a running process's threads (utime + stime of /proc/PID/stat, not its children's)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def tree_digest(directory):
    """Path -> sha256 of every regular file under directory (what a build left behind)."""
    out = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                out[os.path.relpath(path, directory)] = hashlib.sha256(f.read()).hexdigest()
    return out


class Project:
    """A pristine tree to copy for each build: --project DIR, or the generated C project."""

    def __init__(self, work, source):
        self.pristine = os.path.join(work, "pristine")
        if source:
            shutil.copytree(source, self.pristine, symlinks=True)
            self.name = os.path.basename(os.path.normpath(source))
        else:
            c_project.write_project(self.pristine)
            self.name = "generated C project (tests/lib/c_project.py)"
        self.work = work
        self.copies = 0
        dry = subprocess.run(["make", "-n"], cwd=self.fresh_copy(), capture_output=True, text=True, check=True)
        self.recipe_lines = sum(1 for line in dry.stdout.splitlines() if line.strip())

    def fresh_copy(self):
        self.copies += 1
        dest = os.path.join(self.work, f"b{self.copies:03d}")
        shutil.copytree(self.pristine, dest, symlinks=True)
        return dest


class Distcc:
    """One distccd on loopback, as many jobs as make's -j."""

    def __init__(self, work, jobs):
        self.dir = os.path.join(work, "distcc")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.log = os.path.join(self.dir, "distccd.log")
        cmd = ["distccd", "--no-detach", "--daemon", "--allow", "127.0.0.1", "--listen", "127.0.0.1", "--port",
               str(self.port), "--jobs", str(jobs), "--log-file", self.log]
        if os.geteuid() == 0:
            cmd += ["--user", "nobody"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self._listening(), "distccd to listen")
        self.hosts = f"127.0.0.1:{self.port}/{jobs}"

    def _listening(self):
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def env(self, base):
        env = dict(base)
        env["PATH"] = DISTCC_MASQUERADE + ":" + env.get("PATH", "/usr/bin:/bin")
        env["DISTCC_HOSTS"] = self.hosts
        env["DISTCC_DIR"] = self.dir
        env["DISTCC_FALLBACK"] = "0"  # a failed remote compile is an error, not a silent local one
        return env

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def timed_build(directory, cmd, env):
    """Wall seconds of one build, the CPU seconds (user + system) of the command and every process it waited for
    (make and the recipes it ran here; not what agents or distccd ran for it), and its output."""
    log = os.path.join(directory, os.pardir, os.path.basename(directory) + ".log")
    with open(log, "wb") as out:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    with open(log, errors="replace") as f:
        output = f.read()
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}) in {directory}:\n{output[-3000:]}")
    os.remove(log)
    return elapsed, usage.ru_utime + usage.ru_stime, output


def phase_medians(timing_file):
    """Median seconds of each step between phases, over the remote recipes of a timing file."""
    steps = {}
    remote = local = 0
    with open(timing_file) as f:
        for line in f:
            rec = json.loads(line)
            if "agent_connected" not in rec["phases"]:
                local += 1
                continue
            remote += 1
            t = rec["phases"]
            names = [p for p in PHASES if p in t]
            for a, b in zip(names, names[1:]):
                steps.setdefault(f"{a} -> {b}", []).append(t[b] - t[a])
    return remote, local, {k: statistics.median(v) for k, v in steps.items()}


def predict(spritesim, work, trace, profile, rtt_ms, jobs, remote):
    """The simulator's makespan of the captured build under make -jN: with `remote`, spritesim make through 3
    agents (4 workstations of `profile` on one machine, pmake with a host per command, migd's load rule out of the
    way as the agents read a quiet load file); else plain make on one workstation."""
    config = {
        "name": f"predict-{'spritesim' if remote else 'plain'}-j{jobs}",
        "platform": {"workstations": HOSTS + 1 if remote else 1, "profile": profile,
                     "machine": {"hosts": HOSTS + 1 if remote else 1},
                     # Loopback, not a 10 Mb/s Ethernet: a one-way trip of half the measured round trip.
                     "network": {"bandwidth_Mbps": 1e5, "latency_us": max(0.001, rtt_ms * 500)}},
        # This machine writes its outputs to its own page cache: the write-back of dirty files to the simulated file
        # server costs no host CPU (as in bench/replay_build.py).
        "costs": {"workstation": {"rpc_fs_bandwidth_KBps": 1e9}},
        "owners": {"idle_rule": {"input_threshold_s": 0, "low": [1e5, 1e5, 1e5], "high": [1e6, 1e6, 1e6]}},
        # Each recipe line asks migd for a host, and runs at home when none is free (no 30-s wait before asking again).
        "workload": {"kind": "pmake", "trace": trace, "max_jobs": jobs, "max_local": jobs, "migrate": remote,
                     "host_per_command": True, "request_retry_s": 0, "baseline": "none"},
    }
    cfg = os.path.join(work, config["name"] + ".json")
    with open(cfg, "w") as f:
        json.dump(config, f, indent=2)
    out = os.path.join(work, config["name"])
    r = subprocess.run([spritesim, "run", cfg, "--out", out], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"spritesim run {cfg} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    with open(os.path.join(out, "results.json")) as f:
        return json.load(f)["makespan_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spritesim")
    ap.add_argument("--project", default=os.environ.get("BENCH_PROJECT"),
                    help="a make project directory (default: $BENCH_PROJECT, else the generated C project)")
    ap.add_argument("--jobs", default="2,4", help="make -jN values, comma-separated (default 2,4)")
    ap.add_argument("--reps", type=int, default=5, help="builds of each variant, interleaved (default 5)")
    ap.add_argument("--variants", default="plain,spritesim,distcc,capture",
                    help="which builds to time (default plain,spritesim,distcc,capture; distcc only if installed)")
    ap.add_argument("--no-predict", action="store_true",
                    help="skip the prediction (host-profile, a -j1 capture and the simulator's runs)")
    ap.add_argument("--work", help="keep the builds here (default: a temporary directory, removed)")
    a = ap.parse_args()
    spritesim = os.path.abspath(a.spritesim)
    variants = [v for v in a.variants.split(",") if v]
    if "distcc" in variants and not (shutil.which("distccd") and os.path.isdir(DISTCC_MASQUERADE)):
        print("distcc is not installed (apt install distcc): its variant is left out")
        variants.remove("distcc")
    work = a.work or tempfile.mkdtemp(prefix="spritesim-real-project-")
    os.makedirs(work, exist_ok=True)
    quiet = {k: v for k, v in os.environ.items() if not k.startswith("SPRITESIM_")}
    quiet.pop("C_PROJECT_DELAY_S", None)  # real compiles only
    print(f"load average at start: {loadavg()} ({os.cpu_count()} CPUs)")
    project = Project(work, a.project)
    print(f"project: {project.name}, {project.recipe_lines} recipe lines (make -n)")

    profile = None
    if not a.no_predict:
        # This machine measured now (real mode's remote path through a local agent included): the profile the
        # captures are taken on and the simulator predicts with.
        profile = os.path.join(work, "host.json")
        subprocess.run([spritesim, "host-profile", "--out", profile], check=True)
        with open(profile) as f:
            params = {k: v["value"] for k, v in json.load(f)["params"].items()}
        print("host-profile: " + ", ".join(f"{k} {params[k]}" for k in (
            "cores", "cpu_mips", "fork_exec_wait_local_ms", "mig_obtain_ms", "mig_release_ms",
            "fork_exec_wait_remote_ms", "remote_path_cpu_ms", "rpc_null_rtt_ms")))

    cluster = Cluster(spritesim, netns=False, poll_ms=None)  # the agents' default polling, as deployed
    distcc = None
    summary = []
    try:
        cluster.start_migd("bench")
        daemon_pids = [cluster.migd.pid] + [h["proc"].pid for h in cluster.hosts]
        for jobs in (int(j) for j in a.jobs.split(",")):
            if distcc:
                distcc.close()
            distcc = Distcc(work, jobs) if "distcc" in variants else None
            capture_out = os.path.join(work, f"capture-j{jobs}.json")  # each rep's is kept as capture-jN-rR.json
            cmds = {
                "plain": (["make", f"-j{jobs}"], quiet),
                "spritesim": ([spritesim, "make", "--migd", f"127.0.0.1:{cluster.port}", "--secret", cluster.secret,
                               f"-j{jobs}"], quiet),
                "distcc": (["make", f"-j{jobs}"], distcc.env(quiet) if distcc else None),
                "capture": ([spritesim, "trace", "capture", "--out", capture_out] +
                            (["--profile", profile] if profile else []) + ["--", "make", f"-j{jobs}"], quiet),
            }
            walls = {v: [] for v in variants}
            cpus = {v: [] for v in variants}
            daemon_cpus = {v: [] for v in variants}  # migd's and the agents' own CPU during each build
            capture_costs = []  # capture's own CPU per recipe line (its summary: the shims' and its own)
            digests = {}
            for rep in range(a.reps):
                order = variants if rep % 2 == 0 else list(reversed(variants))
                for v in order:
                    d = project.fresh_copy()
                    daemons0 = sum(process_cpu(p) for p in daemon_pids)
                    wall, cpu, output = timed_build(d, *cmds[v])
                    daemon_cpus[v].append(sum(process_cpu(p) for p in daemon_pids) - daemons0)
                    if v == "capture":
                        os.replace(capture_out, os.path.join(work, f"capture-j{jobs}-r{rep}.json"))
                        cost = re.search(r"capturing cost ([0-9.]+) ms of CPU per recipe line", output)
                        if cost:
                            capture_costs.append(float(cost.group(1)))
                    walls[v].append(wall)
                    cpus[v].append(cpu)
                    digests.setdefault(v, []).append(tree_digest(d))
                    shutil.rmtree(d)
            med = {v: statistics.median(walls[v]) for v in variants}
            med_cpu = {v: statistics.median(cpus[v]) for v in variants}
            lines = project.recipe_lines
            print(f"\nmake -j{jobs}, {a.reps} builds of each variant interleaved (load average now {loadavg()}):")
            print("| variant | median wall (s) | runs (s) | vs plain | extra wall per recipe line (ms) | "
                  "CPU here (s) | extra CPU here per line (ms) | migd and agents' CPU per line (ms) | same files as plain |")
            print("|---|---|---|---|---|---|---|---|---|")
            for v in variants:
                if "plain" in med:
                    plain, plain_cpu = med["plain"], med_cpu["plain"]
                    vs = f"{med[v] / plain:.2f}x"
                    # Each round built every variant back to back: the median of the rounds' differences is
                    # less disturbed by a machine whose speed drifts than the difference of the medians.
                    extra = f"{statistics.median(w - p for w, p in zip(walls[v], walls['plain'])) / lines * 1e3:+.1f}"
                    extra_cpu = f"{statistics.median(c - p for c, p in zip(cpus[v], cpus['plain'])) / lines * 1e3:+.1f}"
                    same = f"{sum(1 for d in digests[v] if d == digests['plain'][0])} of {a.reps}"
                else:
                    vs = extra = extra_cpu = same = "-"
                daemons = f"{statistics.median(daemon_cpus[v]) / lines * 1e3:.1f}"
                print(f"| {v} | {med[v]:.3f} | {', '.join(f'{t:.2f}' for t in walls[v])} | {vs} | {extra} | "
                      f"{med_cpu[v]:.2f} | {extra_cpu} | {daemons} | {same} |")
            if capture_costs:
                print(f"capture's own CPU per recipe line (the shims' and the capture command's, from its summary): "
                      f"median {statistics.median(capture_costs):.2f} ms ({', '.join(f'{c:.2f}' for c in capture_costs)})")
            if "spritesim" in variants:
                timing = os.path.join(work, f"timing-j{jobs}.jsonl")
                d = project.fresh_copy()
                timed_build(d, cmds["spritesim"][0], dict(quiet, SPRITESIM_REXEC_TIMING=timing))
                shutil.rmtree(d)
                remote, local, steps = phase_medians(timing)
                print(f"phases of a remote recipe line (one more spritesim build with SPRITESIM_REXEC_TIMING; "
                      f"{remote} remote, {local} at home), medians in ms: " +
                      ", ".join(f"{k} {v * 1e3:.2f}" for k, v in steps.items()))
            if profile:
                # From a capture of this very build (make -jN: its commands' CPU as they ran N at a time): the one
                # whose wall time is the median of the captures, as the measured walls are medians.
                if "capture" in variants:
                    order = sorted(range(a.reps), key=lambda r: walls["capture"][r])
                    shutil.copyfile(os.path.join(work, f"capture-j{jobs}-r{order[(a.reps - 1) // 2]}.json"),
                                    capture_out)
                else:
                    d = project.fresh_copy()
                    timed_build(d, *cmds["capture"])
                    shutil.rmtree(d)
                for v, remote in (("plain", False), ("spritesim", True)):
                    if v in med:
                        p = predict(spritesim, work, capture_out, profile, params["rpc_null_rtt_ms"], jobs, remote)
                        summary.append((v, jobs, med[v], p))
    finally:
        if distcc:
            distcc.close()
        cluster.close()
    if summary:
        print(f"\nprediction from the capture of the same make -jN (host-profile measured in this run):")
        print("| build | measured median (s) | predicted (s) | predicted / measured |")
        print("|---|---|---|---|")
        for v, jobs, measured, p in summary:
            print(f"| {v} -j{jobs} | {measured:.3f} | {p:.3f} | {p / measured:.3f} |")
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at end: {loadavg()}")


if __name__ == "__main__":
    main()
