#!/usr/bin/env python3
"""Draws bench-sim's CSV (bench/bench_sim.py): CPU seconds against jobs (one line per workload and host count) and
CPU microseconds per job against hosts (one line per workload and job count), spritesim solid and the bare SimGrid
reference dashed, on log axes. Cells that timed out or were skipped are left out. Needs python3-matplotlib."""
import argparse
import csv
import sys
from collections import defaultdict


def load(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["workload"] not in ("synthetic", "processes") or r["status"] != "ok":
                continue
            r["jobs"], r["hosts"], r["cpu_s"] = float(r["jobs"]), int(r["hosts"]), float(r["cpu_s"])
            r["jobs_asked"] = int(r["jobs_asked"])  # the processes workload's arrivals vary about it
            r["bare_cpu_s"] = float(r["bare_cpu_s"]) if r.get("bare_cpu_s") else None
            rows.append(r)
    return rows


def series(rows, key, by):
    """{(workload, by-value): sorted [(x, spritesim cpu_s, bare cpu_s)]}."""
    out = defaultdict(list)
    for r in rows:
        out[(r["workload"], r[by])].append((r[key], r["cpu_s"], r["bare_cpu_s"], r["jobs"]))
    return {k: sorted(v) for k, v in sorted(out.items())}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("csv", help="bench-sim.csv")
    p.add_argument("--out", default="bench-sim.png", help="figure file (PNG; an SVG is written beside it)")
    p.add_argument("--title", default="", help="a line under the title, e.g. the machine and its load")
    args = p.parse_args()
    rows = load(args.csv)
    if not rows:
        print("plot_bench_sim: no finished grid cell in", args.csv, file=sys.stderr)
        return 1
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, (ax_jobs, ax_hosts) = plt.subplots(1, 2, figsize=(12, 5.5))
    style = {"synthetic": dict(marker="o", linestyle="-"), "processes": dict(marker="s", linestyle="-.")}
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    # Colour = the other axis's value (hosts on the left, job count on the right); the bare reference depends only
    # on jobs and hosts, so it is drawn once per colour, from the synthetic cells (or the processes ones).
    panels = ((ax_jobs, "jobs", "hosts", lambda v: f"{v} hosts", lambda s, n: s),
              (ax_hosts, "hosts", "jobs_asked", lambda v: f"{v:,} jobs", lambda s, n: 1e6 * s / n))
    for ax, key, by, name, y in panels:
        groups = series(rows, key, by)
        colours = {v: cycle[i % len(cycle)] for i, v in enumerate(sorted({v for _, v in groups}))}
        bare_done = set()
        for (wl, v), pts in sorted(groups.items(), key=lambda kv: kv[0][0] != "synthetic"):
            ax.plot([x for x, *_ in pts], [y(s, n) for _, s, _, n in pts], color=colours[v], **style[wl],
                    label=f"{wl}, {name(v)}")
            bare = [(x, y(b, n)) for x, _, b, n in pts if b]
            if bare and v not in bare_done:
                bare_done.add(v)
                ax.plot(*zip(*bare), linestyle="--", color=colours[v], alpha=0.6, label=f"bare, {name(v)}")
    ax_jobs.set(xscale="log", yscale="log", xlabel="jobs", ylabel="CPU seconds (user + system)",
                title="cost against jobs")
    ax_hosts.set(xscale="log", yscale="log", xlabel="hosts (job slots)", ylabel="CPU microseconds per job",
                 title="cost per job against hosts")
    for ax in (ax_jobs, ax_hosts):
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.suptitle("spritesim (synthetic build solid, processes dash-dot) and the bare SimGrid reference (dashed)" +
                 (f"\n{args.title}" if args.title else ""))
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    fig.savefig(args.out.rsplit(".", 1)[0] + ".svg")
    print("plot_bench_sim: wrote", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
