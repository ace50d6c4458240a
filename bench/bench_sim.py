#!/usr/bin/env python3
"""bench-sim (issue 13): how fast and how big spritesim is over a grid of jobs x hosts (synthetic build, processes
workload), on the month-long run and on `spritesim reproduce`, each cell beside bare_reference (one SimGrid actor per
host, one execute per job) as the floor. Wall and CPU seconds and peak RSS come from wait4 on the child; writes
bench-sim.csv, bench-sim.md and the figure (plot_bench_sim.py). Not a test; see bench/README.md."""
import argparse
import csv
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MONTH_CONFIG = ROOT / "configs" / "experiments" / "day-in-the-life.json"

# Grids: (jobs, hosts, per-cell timeout in wall seconds). A cell is skipped, not run, when the same workload and
# hosts with fewer jobs timed out or took so long that scaling its wall time by the job ratio passes the timeout
# (cost is linear in jobs: issue 13). The full grid reaches 1e6 x 1000 (about 75 minutes before issue 13).
GRIDS = {
    "quick": ([1_000, 10_000], [10, 100], 60),
    "default": ([1_000, 10_000, 100_000], [10, 100, 1_000], 180),
    "full": ([1_000, 10_000, 100_000, 1_000_000], [10, 100, 1_000], 7200),
}
# Processes workload: arrivals per host-hour giving each host an offered load of about 0.5 with the default Pareto
# lifetimes (min 1 s, max 3600 s, alpha 1: mean 1 + ln 3600 = 9.19 s); duration_s is then chosen for N arrivals.
PROC_RATE = 200.0

FIELDS = ["workload", "jobs_asked", "hosts", "workstations", "jobs", "status", "wall_s", "cpu_s", "user_s", "sys_s",
          "jobs_per_wall_s", "jobs_per_cpu_s", "peak_rss_mib", "bare_status", "bare_wall_s", "bare_cpu_s",
          "bare_peak_rss_mib", "ratio_wall", "ratio_cpu", "runs", "load_before", "load_after"]


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def timed(cmd, log, timeout):
    """Runs cmd in its own process group; returns (status, wall_s, rusage or None). status: ok, failed, timeout."""
    with open(log, "w") as out:
        t0 = time.monotonic()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        got = {}

        def reap():
            _, status, usage = os.wait4(child.pid, 0)  # includes the descendants it waited for (reproduce's pool)
            got.update(end=time.monotonic(), status=status, usage=usage)

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        waiter.join(timeout)
        if waiter.is_alive():
            for sig, grace in ((signal.SIGINT, 10), (signal.SIGKILL, 30)):
                try:
                    os.killpg(child.pid, sig)
                except ProcessLookupError:
                    pass
                waiter.join(grace)
                if not waiter.is_alive():
                    break
            child.returncode = 0  # reaped by wait4; keep Popen from waiting again
            return "timeout", timeout, None
        child.returncode = 0
        ok = os.WIFEXITED(got["status"]) and os.WEXITSTATUS(got["status"]) == 0
        return ("ok" if ok else "failed"), got["end"] - t0, got["usage"]


def measure(row, prefix, cmd, log, timeout):
    """One more sample of cmd into row: the row's fields become the medians of its samples so far."""
    status, wall, ru = timed(cmd, log, timeout)
    samples = row.setdefault("samples", {}).setdefault(prefix, [])
    if status == "ok":
        samples.append({"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime,
                        "sys_s": ru.ru_stime, "peak_rss_mib": ru.ru_maxrss / 1024})  # Linux: kilobytes
    if row.get(prefix + "status", "ok") == "ok":
        row[prefix + "status"] = status
    if status != "ok" or row[prefix + "status"] != "ok":
        return False
    for key in ("wall_s", "cpu_s", "peak_rss_mib") + (("user_s", "sys_s") if not prefix else ()):
        row[prefix + key] = round(statistics.median(x[key] for x in samples), 1 if key == "peak_rss_mib" else 3)
    return True


def write_config(path, cfg):
    path.write_text(json.dumps(cfg, indent=1) + "\n")
    return path


def synthetic_trace(args, out, n):
    trace = out / "traces" / f"synthetic-{n}.jsonl"
    if not trace.exists():
        trace.parent.mkdir(parents=True, exist_ok=True)
        tmp = trace.with_suffix(".tmp.jsonl")
        subprocess.run([args.spritesim, "trace", "generate", "synthetic", "--compiles", str(n), "--libraries",
                        str(max(1, n // 1000)), "--out", str(tmp)], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(trace)
    return trace


def cell_config(args, out, workload, n, hosts):
    """The config of one cell and its number of workstations (the shape of ../shared/checks/9-scale)."""
    if workload == "synthetic":
        cfg = {"name": f"bench-synthetic-{n}x{hosts}", "seed": 1,
               "platform": {"workstations": hosts + 1, "profile": "ds3100"},
               "workload": {"kind": "pmake", "trace": str(synthetic_trace(args, out, n)), "max_jobs": hosts,
                            "max_local": 1, "migrate": True, "baseline": "none"},
               "policy": {"name": "sprite"}}
        return cfg, hosts + 1
    duration = n * 3600.0 / (PROC_RATE * hosts)
    cfg = {"name": f"bench-processes-{n}x{hosts}", "seed": 1,
           "platform": {"workstations": hosts, "profile": "ds3100"},
           "workload": {"kind": "processes", "duration_s": duration, "baseline": "none",
                        "processes": {"arrivals_per_host_hour": PROC_RATE}},
           "policy": {"name": "sprite"}}
    return cfg, hosts


def results_jobs(run_dir):
    try:
        r = json.loads((run_dir / "results.json").read_text())
        return int(r["jobs_total"]), int(r["jobs_completed"])
    except (OSError, ValueError, KeyError):
        return None, None


def repeat(row, args, cmd, cell_dir, timeout, count_jobs, repeats):
    """Runs cmd `repeats` times, each followed by the bare reference with the same jobs and job slots (interleaved,
    so both see the same load); count_jobs(row) reads the job count after the first run. Medians go in the row."""
    for i in range(repeats):
        ok = measure(row, "", cmd, cell_dir / "run.log", timeout)
        if ok and i == 0:
            count_jobs(row)
        jobs = row.get("jobs") or row["jobs_asked"]
        if args.bare and row["hosts"] != "" and jobs:
            measure(row, "bare_", [args.bare, "--jobs", str(jobs), "--hosts", str(row["hosts"])],
                    cell_dir / "bare.log", timeout)
        if row["status"] != "ok":
            break
    if row["status"] == "ok" and row.get("jobs"):
        row["jobs_per_wall_s"] = round(row["jobs"] / row["wall_s"], 1)
        row["jobs_per_cpu_s"] = round(row["jobs"] / max(row["cpu_s"], 1e-3), 1)
        if row.get("bare_status") == "ok":
            row["ratio_wall"] = round(row["wall_s"] / max(row["bare_wall_s"], 1e-3), 1)
            row["ratio_cpu"] = round(row["cpu_s"] / max(row["bare_cpu_s"], 1e-3), 1)
    row["runs"] = len(row["samples"].get("", []))
    row["load_after"] = loadavg()
    return row


def run_cell(args, out, workload, n, hosts, timeout):
    cell_dir = out / "runs" / f"{workload}-{n}x{hosts}"
    cell_dir.mkdir(parents=True, exist_ok=True)
    cfg, workstations = cell_config(args, out, workload, n, hosts)
    config = write_config(cell_dir / "config.json", cfg)
    row = {"workload": workload, "jobs_asked": n, "hosts": hosts, "workstations": workstations,
           "load_before": loadavg()}

    def count_jobs(r):
        r["jobs"], done = results_jobs(cell_dir / "out")
        if r["jobs"] is None or done != r["jobs"]:
            r["status"] = "failed"

    return repeat(row, args, [args.spritesim, "run", str(config), "--out", str(cell_dir / "out")], cell_dir,
                  timeout, count_jobs, args.repeats)


def run_month(args, out, timeout):
    cell_dir = out / "runs" / "month"
    cell_dir.mkdir(parents=True, exist_ok=True)
    ws = json.loads(MONTH_CONFIG.read_text())["platform"]["workstations"]
    row = {"workload": "month (day-in-the-life)", "jobs_asked": "", "hosts": ws, "workstations": ws,
           "load_before": loadavg()}

    def count_jobs(r):
        r["jobs"], _ = results_jobs(cell_dir / "out")

    return repeat(row, args, [args.spritesim, "run", str(MONTH_CONFIG), "--out", str(cell_dir / "out")], cell_dir,
                  timeout, count_jobs, args.repeats)


def run_reproduce(args, out, timeout):
    cell_dir = out / "runs" / "reproduce"
    # From scratch: reproduce resumes the runs it finds, and a second bench in the same directory would time nothing.
    shutil.rmtree(cell_dir / "out", ignore_errors=True)
    cell_dir.mkdir(parents=True, exist_ok=True)
    row = {"workload": f"reproduce (--jobs {args.reproduce_jobs})", "jobs_asked": "", "hosts": "",
           "workstations": "", "load_before": loadavg()}

    def count_jobs(r):
        # Every simulation of the figures and the month; studies and sequential baselines are not counted.
        totals = [results_jobs(p.parent)[0] for p in (cell_dir / "out" / "runs").rglob("results.json")]
        r["jobs"] = sum(t for t in totals if t)

    return repeat(row, args, [args.spritesim, "reproduce", "--out", str(cell_dir / "out"), "--jobs",
                              str(args.reproduce_jobs)], cell_dir, timeout, count_jobs, 1)


def fmt(v, spec=""):
    if v in ("", None):
        return "-"
    return format(v, spec) if isinstance(v, (int, float)) and spec else str(v)


def table(rows):
    head = ("| workload | jobs x hosts | spritesim wall (s) | CPU (s) | jobs per wall-s | jobs per CPU-s "
            "| peak RSS (MiB) | bare wall (s) | bare CPU (s) | wall ratio | CPU ratio | load avg |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        jobs = fmt(r.get("jobs") or r["jobs_asked"], ",")
        size = f"{jobs} x {fmt(r['hosts'], ',')}" if r["hosts"] != "" else f"{jobs} (all runs)"
        if r["status"] != "ok":
            wall = {"timeout": f"timeout ({r.get('timeout_s')} s)",
                    "skipped": f"skipped ({r.get('note')})"}.get(r["status"], r["status"])
            cells = [wall] + ["-"] * 4
        else:
            cells = [fmt(r["wall_s"], ".1f"), fmt(r["cpu_s"], ".1f"), fmt(r.get("jobs_per_wall_s"), ",.0f"),
                     fmt(r.get("jobs_per_cpu_s"), ",.0f"), fmt(r["peak_rss_mib"], ",.0f")]
        bare = [fmt(r.get("bare_wall_s"), ".2f"), fmt(r.get("bare_cpu_s"), ".2f"), fmt(r.get("ratio_wall")),
                fmt(r.get("ratio_cpu"))]
        load = f"{r['load_before']:.2f}-{r['load_after']:.2f}" if r.get("load_after") is not None else \
            f"{r['load_before']:.2f}"
        lines.append("| " + " | ".join([r["workload"], size] + cells + bare + [load]) + " |")
    return "\n".join(lines)


def parse_args():
    env_grid = os.environ.get("BENCH_SIM_GRID", "default")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Environment: BENCH_SIM_GRID (quick, default, full), BENCH_SIM_TIMEOUT "
                                       "(seconds per cell), BENCH_SIM_ONLY (comma list of synthetic, processes, "
                                       "month, reproduce). Run it niced: nice -n 5 ninja -C build bench-sim.")
    p.add_argument("--spritesim", required=True, help="the spritesim binary")
    p.add_argument("--bare", help="the bare_reference binary (no ratios without it)")
    p.add_argument("--out", default="build/bench-sim", help="directory for runs, CSV, table and figure")
    p.add_argument("--grid", choices=sorted(GRIDS), default=env_grid,
                   help="quick: 1e3-1e4 x 10-100, 60 s per cell; default: 1e3-1e5 x 10-1000, 180 s; full: 1e3-1e6 x "
                        "10-1000, 7200 s (hours). A cell whose smaller neighbour (fewer jobs), scaled, would pass "
                        "the timeout is skipped  [env BENCH_SIM_GRID, now %(default)s]")
    p.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_SIM_TIMEOUT", 0)) or None,
                   help="seconds per cell before it is stopped and recorded as timeout (grid's own by default)")
    p.add_argument("--only", default=os.environ.get("BENCH_SIM_ONLY", "synthetic,processes,month,reproduce"),
                   help="comma list of synthetic, processes, month, reproduce  [env BENCH_SIM_ONLY]")
    p.add_argument("--jobs", help="comma list overriding the grid's job counts")
    p.add_argument("--hosts", help="comma list overriding the grid's host counts")
    p.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_SIM_REPEATS", 1)),
                   help="runs of each cell (not reproduce), interleaved with the bare reference; the table gives "
                        "medians  [env BENCH_SIM_REPEATS, default 1]")
    p.add_argument("--reproduce-jobs", type=int, default=2, help="reproduce --jobs (default 2)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    return p.parse_args()


def main():
    args = parse_args()
    jobs, hosts, grid_timeout = GRIDS[args.grid]
    jobs = [int(float(x)) for x in args.jobs.split(",")] if args.jobs else jobs
    hosts = [int(x) for x in args.hosts.split(",")] if args.hosts else hosts
    timeout = args.timeout or grid_timeout
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"bench-sim: grid {args.grid} ({jobs} jobs x {hosts} hosts), "
          f"timeout {timeout:g} s per cell, {sorted(only)}; load average {loadavg():.2f}; out {out}", flush=True)
    rows = []
    plan = [(w, n, h) for w in ("synthetic", "processes") if w in only for n in jobs for h in hosts]
    last = {}  # (workload, hosts) -> (jobs, wall_s or None when it did not finish)
    for w, n, h in plan:
        prev = last.get((w, h))
        predicted = prev[1] * n / prev[0] if prev and prev[1] is not None else None
        if prev and (prev[1] is None or predicted > timeout):
            rows.append({"workload": w, "jobs_asked": n, "hosts": h, "workstations": "", "status": "skipped",
                         "load_before": loadavg(), "note": f"predicted {predicted:.0f} s" if predicted else
                         "a smaller cell did not finish"})
        else:
            rows.append(run_cell(args, out, w, n, h, timeout))
        r = rows[-1]
        last[(w, h)] = (n, r["wall_s"] if r["status"] == "ok" else None)
        report(r, timeout)
    extra = max(timeout, 900)  # reproduce took 6-11 minutes under load before issue 13
    if "month" in only:
        rows.append(run_month(args, out, extra))
        report(rows[-1], extra)
    if "reproduce" in only:
        rows.append(run_reproduce(args, out, extra))
        report(rows[-1], extra)
    with open(out / "bench-sim.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    md = table(rows) + (f"\n\nMedians of {args.repeats} runs of each cell (reproduce: one), each run followed by "
                        "the bare reference's." if args.repeats > 1 else "")
    (out / "bench-sim.md").write_text(md + "\n")
    print("\n" + md + f"\n\nCSV: {out / 'bench-sim.csv'}", flush=True)
    if not args.no_plot:
        plot = [plot_python(), str(Path(__file__).with_name("plot_bench_sim.py")), str(out / "bench-sim.csv"),
                "--out", str(out / "bench-sim.png"), "--title", load_range(rows)]
        if subprocess.run(plot).returncode != 0:
            print("bench-sim: no figure (plot_bench_sim.py failed; is python3-matplotlib installed?)")
    return 0


def load_range(rows):
    loads = [r[k] for r in rows for k in ("load_before", "load_after") if r.get(k) is not None]
    return f"{os.cpu_count()} CPUs, 1-minute load average {min(loads):.1f}-{max(loads):.1f} during the run"


def plot_python():
    """A Python with matplotlib: this one, or Debian's (python3-matplotlib) when this is, say, a pyenv shim."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if os.access(exe, os.X_OK) and subprocess.run([exe, "-c", "import matplotlib"],
                                                        stderr=subprocess.DEVNULL).returncode == 0:
            return exe
    return sys.executable


def report(row, timeout):
    row.setdefault("timeout_s", int(timeout))
    what = row["status"]
    if what == "ok":
        what = f"{row['wall_s']:.1f} s wall, {row['cpu_s']:.1f} s CPU, {row['peak_rss_mib']:.0f} MiB"
        if row.get("bare_status") == "ok":
            what += f"; bare {row['bare_wall_s']:.2f} s, CPU ratio {row.get('ratio_cpu')}"
    if row.get("note"):
        what += f" ({row['note']})"
    print(f"  {row['workload']} {row.get('jobs') or row['jobs_asked']} x {row['hosts']}: {what} "
          f"(load {row['load_before']:.2f})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
