#!/usr/bin/env python3
# The per-recipe overhead of real mode on a real build: the generated C project (tests/lib/c_project.py, 50
# recipes) built with plain `make -jN` and with `spritesim make -jN` through 3 agents on loopback (sprite policy,
# no owner returning), repetitions interleaved, each on a fresh copy; reports median wall times, their ratio and
# (real - plain) / recipes; and, for comparison, the same build with the full spritesim as make's SHELL (the shim
# of docs/real-mode.md). Also the start-up cost of spritesim-rexec (make's SHELL under spritesim make) next to
# /bin/true and the full spritesim. Not a test: figures for bench/README.md.
# Usage: python3 bench/real_build.py /path/to/spritesim [--jobs N] [--reps R] [--startup-runs K]
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import c_project  # noqa: E402
from testlib import rows, wait_for  # noqa: E402
from real_hosts import Cluster  # noqa: E402  (the build test's test hosts, on loopback here)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def time_runs(cmd, runs, env):
    """Seconds per run of cmd, started and waited for `runs` times in a row."""
    start = time.perf_counter()
    for _ in range(runs):
        subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) / runs


def build(directory, cmd, env):
    c_project.write_project(directory)
    start = time.perf_counter()
    r = subprocess.run(cmd, cwd=directory, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed in {directory}:\n{r.stderr.decode()}")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("spritesim")
    ap.add_argument("--jobs", type=int, default=2, help="make -jN for both builds (default 2)")
    ap.add_argument("--reps", type=int, default=5, help="builds of each kind, interleaved (default 5)")
    ap.add_argument("--startup-runs", type=int, default=200, help="runs of each program timed for start-up")
    a = ap.parse_args()
    spritesim = os.path.abspath(a.spritesim)
    rexec = os.path.join(os.path.dirname(spritesim), "spritesim-rexec")
    print(f"load average at start: {loadavg()} ({os.cpu_count()} CPUs)")

    # Start-up: nothing to ask (no coordinator), so rexec runs /bin/true here; the difference is its own cost.
    quiet = {k: v for k, v in os.environ.items() if not k.startswith("SPRITESIM_")}
    t_true = time_runs(["/bin/true"], a.startup_runs, quiet)
    t_lean = time_runs([rexec, "--", "/bin/true"], a.startup_runs, quiet)
    t_full = time_runs([spritesim, "rexec", "--", "/bin/true"], a.startup_runs, quiet)
    print(f"start-up, {a.startup_runs} runs each: /bin/true {t_true * 1e3:.2f} ms, spritesim-rexec -- /bin/true "
          f"{t_lean * 1e3:.2f} ms (+{(t_lean - t_true) * 1e3:.2f} ms), spritesim rexec -- /bin/true "
          f"{t_full * 1e3:.2f} ms (+{(t_full - t_true) * 1e3:.2f} ms)")

    cluster = Cluster(spritesim, netns=False)
    try:
        cluster.start_migd("bench")
        env = dict(quiet)
        env.pop("C_PROJECT_DELAY_S", None)  # real compiles only
        plain_cmd = ["make", f"-j{a.jobs}"]
        real_cmd = [spritesim, "make", "--migd", f"127.0.0.1:{cluster.port}", "--secret", cluster.secret,
                    f"-j{a.jobs}"]
        recipes = len(c_project.write_project(cluster.path("count")))
        full_cmd = ["make", f"-j{a.jobs}", f"SHELL={spritesim}",
                    f".SHELLFLAGS=rexec --migd 127.0.0.1:{cluster.port} --secret {cluster.secret} --no-stdin --quiet "
                    "-- /bin/sh -c"]
        cmds = {"plain": plain_cmd, "real": real_cmd, "full": full_cmd}
        times = {kind: [] for kind in cmds}
        for rep in range(a.reps):
            order = list(cmds) if rep % 2 == 0 else list(reversed(cmds))
            for kind in order:
                times[kind].append(build(cluster.path(f"{kind}-{rep}"), cmds[kind], env))
        plain, real, full = (statistics.median(times[k]) for k in ("plain", "real", "full"))
        jobs_csv = os.path.join(cluster.out, "jobs.csv")
        try:  # migd's records may lag its state by one write
            wait_for(lambda: len(rows(jobs_csv)) >= 2 * recipes * a.reps, "migd's records of every recipe", timeout=5)
        except AssertionError:
            pass
        jobs = rows(jobs_csv)
        remote = sum(1 for j in jobs if j["remote"] == "1")
        print(f"build of {recipes} recipes, make -j{a.jobs}, {a.reps} of each kind interleaved:")
        print(f"  plain make:     median {plain:.3f} s  (runs {', '.join(f'{t:.3f}' for t in times['plain'])})")
        print(f"  spritesim make: median {real:.3f} s  (runs {', '.join(f'{t:.3f}' for t in times['real'])})")
        print(f"  ratio {real / plain:.2f}x; overhead per recipe (real - plain) / {recipes} = "
              f"{(real - plain) / recipes * 1e3:.1f} ms")
        print(f"  full spritesim as SHELL: median {full:.3f} s  (runs {', '.join(f'{t:.3f}' for t in times['full'])})"
              f"; {(full - plain) / recipes * 1e3:.1f} ms per recipe")
        print(f"  jobs recorded by migd (spritesim make and the full shim): {len(jobs)}, of which remote: {remote}")
    finally:
        cluster.close()
    print(f"load average at end: {loadavg()}")


if __name__ == "__main__":
    main()
