#!/usr/bin/env python3
"""Writes a markdown report of a sweep from its sweep.csv and sweep-summary.csv alone (columns in docs/sweeps.md):
for each metric, a table of the cells with mean +- 95% confidence half-width and the number of runs.

Usage: report_sweep.py SWEEP_DIR [--out FILE]   (default SWEEP_DIR/report.md)"""
import argparse
import csv
import os
import sys


def read(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames or [], list(reader)


def cell_text(r):
    if r["mean"] == "":
        return "-"
    if r["ci95_half_width"] == "":
        return f"{float(r['mean']):.4g} (n={r['n']})"
    return f"{float(r['mean']):.4g} ± {float(r['ci95_half_width']):.2g} (n={r['n']})"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweep_dir")
    p.add_argument("--out")
    a = p.parse_args(argv)
    header, summary = read(os.path.join(a.sweep_dir, "sweep-summary.csv"))
    _, runs = read(os.path.join(a.sweep_dir, "sweep.csv"))
    if "cell" not in header or "metric" not in header:
        sys.exit(f"{a.sweep_dir}/sweep-summary.csv: no cell and metric columns")
    axes = header[header.index("cell") + 1:header.index("metric")]
    metrics, cells = [], []
    for r in summary:
        if r["metric"] not in metrics:
            metrics.append(r["metric"])
        if r["cell"] not in cells:
            cells.append(r["cell"])
    by = {(r["cell"], r["metric"]): r for r in summary}
    first = {r["cell"]: r for r in summary}
    lines = [f"# Sweep report: {os.path.basename(os.path.normpath(a.sweep_dir))}", "",
             f"{len(runs)} finished runs in {len(cells)} cells; axes: {', '.join(axes) or 'none'}.",
             "Each entry is the mean over the cell's seeds ± the half-width of its 95% confidence interval "
             "(Student t), with the number of runs n.", ""]
    for m in metrics:
        lines += [f"## {m}", "", "| " + " | ".join(axes + [m]) + " |", "|" + "---|" * (len(axes) + 1)]
        for c in cells:
            lines.append("| " + " | ".join([first[c][ax] for ax in axes] + [cell_text(by[(c, m)])]) + " |")
        lines.append("")
    out = a.out or os.path.join(a.sweep_dir, "report.md")
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(lines))
    os.replace(out + ".tmp", out)
    print(out)


if __name__ == "__main__":
    main(sys.argv[1:])
