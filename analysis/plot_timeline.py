#!/usr/bin/env python3
"""Draws one run as hosts against time from its jobs.csv and migrations.csv (columns in docs/outputs.md): each job a
bar on the host it ran on (overlapping jobs on one host share its row in lanes), each migration a marker on its
source host with a line to its target; evictions in red. Writes PREFIX.png and PREFIX.svg (default RUN_DIR/timeline).

Usage: plot_timeline.py RUN_DIR [--out PREFIX]"""
import argparse
import csv
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

KIND_COLOURS = {"compile": "tab:blue", "link": "tab:orange", "command": "tab:green"}
MIGRATION_STYLE = {"exec": ("grey", ">"), "evict": ("red", "x"), "eviction": ("red", "x")}


def read(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def natural(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def lanes(intervals):
    """Greedy interval partitioning: the lane of each (start, end), in input order."""
    ends, out = [], []
    for start, end in intervals:
        for i, e in enumerate(ends):
            if e <= start:
                ends[i] = end
                out.append(i)
                break
        else:
            ends.append(end)
            out.append(len(ends) - 1)
    return out, max(1, len(ends))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--out", help="output path without extension")
    a = p.parse_args(argv)
    jobs = [j for j in read(os.path.join(a.run_dir, "jobs.csv")) if float(j["end_s"]) > 0]
    migrations = read(os.path.join(a.run_dir, "migrations.csv"))
    if not jobs:
        sys.exit(f"{a.run_dir}: no finished jobs in jobs.csv")
    hosts = sorted({j["exec_host"] for j in jobs} | {m["from_host"] for m in migrations}
                   | {m["to_host"] for m in migrations}, key=natural)
    row = {h: i for i, h in enumerate(hosts)}
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.35 * len(hosts) + 1.2)))
    for h in hosts:
        mine = sorted((j for j in jobs if j["exec_host"] == h), key=lambda j: (float(j["start_s"]), j["job_id"]))
        lane, n = lanes([(float(j["start_s"]), float(j["end_s"])) for j in mine])
        height = 0.8 / n
        for j, k in zip(mine, lane):
            start, end = float(j["start_s"]), float(j["end_s"])
            ax.broken_barh([(start, end - start)], (row[h] - 0.4 + k * height, height * 0.9),
                           facecolors=KIND_COLOURS.get(j["kind"], "tab:purple"), linewidth=0)
    for m in migrations:
        colour, marker = MIGRATION_STYLE.get(m["kind"], ("tab:cyan", "o"))
        t, src, dst = float(m["time_s"]), row[m["from_host"]], row[m["to_host"]]
        ax.plot([t, t + float(m["duration_s"])], [src, dst], color=colour, alpha=0.35, linewidth=0.7)
        ax.plot([t], [src], marker=marker, color=colour, markersize=4, linestyle="none")
    ax.set_yticks(range(len(hosts)), hosts)
    ax.invert_yaxis()
    ax.set_xlabel("simulated time (s)")
    ax.set_title(f"{os.path.basename(os.path.normpath(a.run_dir))}: jobs by host, migrations from their source",
                 fontsize=9)
    kinds = sorted({j["kind"] for j in jobs})
    handles = [Patch(color=KIND_COLOURS.get(k, "tab:purple"), label=k) for k in kinds]
    for kind in sorted({m["kind"] for m in migrations}):
        colour, marker = MIGRATION_STYLE.get(kind, ("tab:cyan", "o"))
        handles.append(Line2D([], [], color=colour, marker=marker, linestyle="none", label=f"migration: {kind}"))
    ax.legend(handles=handles, fontsize=7, loc="upper right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    out = a.out or os.path.join(a.run_dir, "timeline")
    fig.savefig(out + ".png", dpi=120)
    fig.savefig(out + ".svg", metadata={"Date": None})
    plt.close(fig)
    print(f"{out}.png {out}.svg")


if __name__ == "__main__":
    main(sys.argv[1:])
