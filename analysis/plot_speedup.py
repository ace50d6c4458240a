#!/usr/bin/env python3
"""Draws speedup against hosts from a reproduction directory's speedup.csv, with the published points from
published.csv, one figure per workload (PNG and SVG). Reads only the documented CSVs (docs/outputs.md).
Usage: plot_speedup.py DIR"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402
import figure_files  # noqa: E402


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    out = sys.argv[1]
    sim, pub = defaultdict(list), defaultdict(list)
    for r in read(f"{out}/speedup.csv"):
        sim[r["workload"]].append((int(r["hosts"]), float(r["speedup"])))
    for r in read(f"{out}/published.csv"):
        pub[r["workload"]].append((int(r["hosts"]), float(r["speedup"]), r["source"]))
    for workload, pts in sim.items():
        pts.sort()
        fig, ax = plt.subplots(figsize=(5.5, 4))
        xs = [p[0] for p in pts]
        ax.plot(xs, xs, ":", color="grey", label="linear")
        ax.plot(xs, [p[1] for p in pts], "o-", label="spritesim")
        if pub[workload]:
            p = sorted(pub[workload])
            ax.plot([q[0] for q in p], [q[1] for q in p], "s", mfc="none", color="black", label=p[0][2])
        ax.set_xlabel("compile hosts (pmake's own host on top; 1: one workstation)")
        ax.set_ylabel("speedup")
        ax.set_title(f"{workload}: speedup against hosts")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"{workload}-speedup"
        figure_files.save(fig, f"{out}/{name}", dpi=120)


if __name__ == "__main__":
    main()
