#!/usr/bin/env python3
"""Draws one metric of a sweep against one axis, one line per value of another axis (by default policy.name),
with 95% confidence-interval error bars, from the sweep's sweep-summary.csv alone (columns in docs/sweeps.md).
A sweep whose only axis (after --where) is the policy gets a bar chart: one bar per policy with its 95% CI.
Policies keep their colour of every figure (policy_colours.py). Writes PREFIX.png and PREFIX.svg (default: beside
the CSV, METRIC-by-AXIS).

Usage: plot_policies.py SWEEP_DIR/sweep-summary.csv [--metric makespan_s] [--x AXIS] [--line AXIS]
                        [--where AXIS=VALUE]... [--out PREFIX]"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402
from policy_colours import colour, marker  # noqa: E402

POLICY_AXES = ("policy.name", "policy")


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("summary")
    p.add_argument("--metric", default="makespan_s")
    p.add_argument("--x", help="axis on the x axis (default: the first axis that is not --line)")
    p.add_argument("--line", help="axis with one line per value (default: policy.name when it is an axis)")
    p.add_argument("--where", action="append", default=[], metavar="AXIS=VALUE",
                   help="keep only rows where another axis has this value")
    p.add_argument("--out", help="output path without extension")
    a = p.parse_args(argv)

    with open(a.summary, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        rows = list(reader)
    if "cell" not in header or "metric" not in header:
        sys.exit(f"{a.summary}: not a sweep-summary.csv (no cell and metric columns)")
    axes = header[header.index("cell") + 1:header.index("metric")]
    rows = [r for r in rows if r["metric"] == a.metric]
    if not rows:
        sys.exit(f"{a.summary}: no rows for metric {a.metric!r}")
    for w in a.where:
        axis, _, value = w.partition("=")
        if axis not in axes:
            sys.exit(f"--where {w}: {axis!r} is not an axis ({', '.join(axes)})")
        rows = [r for r in rows if r[axis] == value]
    line = a.line if a.line else ("policy.name" if "policy.name" in axes else None)
    varying = [ax for ax in axes if len({r[ax] for r in rows}) > 1]
    policy_axis = next((ax for ax in axes if ax in POLICY_AXES), None)
    if a.x is None and a.line in (None, policy_axis) and policy_axis and all(ax == policy_axis for ax in varying):
        return bars(a, rows, policy_axis)
    x = a.x or next((ax for ax in axes if ax != line), None)
    for name, axis in (("--x", x), ("--line", line)):
        if axis is not None and axis not in axes:
            sys.exit(f"{name} {axis}: not an axis of this sweep ({', '.join(axes) or 'none'})")
    if x is None:
        sys.exit("this sweep has no axis to put on the x axis")
    fixed = [ax for ax in axes if ax not in (x, line) and len({r[ax] for r in rows}) > 1]
    if fixed:
        sys.exit(f"axes {', '.join(fixed)} take several values: choose one with --where AXIS=VALUE")

    numeric_x = all(number(r[x]) is not None for r in rows)
    order = []
    for r in rows:
        if r[x] not in order:
            order.append(r[x])
    if numeric_x:
        order.sort(key=number)
    lines = {}
    for r in rows:
        lines.setdefault(r[line] if line else a.metric, {})[r[x]] = r
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (label, by_x) in enumerate(lines.items()):
        xs = [v for v in order if v in by_x and by_x[v]["mean"] != ""]
        pos = [number(v) if numeric_x else order.index(v) for v in xs]
        means = [float(by_x[v]["mean"]) for v in xs]
        errs = [float(by_x[v]["ci95_half_width"] or 0) for v in xs]
        style = {"marker": "os^vD<>"[i % 7]}
        if line in POLICY_AXES:
            style = {"color": colour(label), "marker": marker(label)}
        ax.errorbar(pos, means, yerr=errs, capsize=3, label=label, **style)
    if not numeric_x:
        ax.set_xticks(range(len(order)), order)
    ax.set_xlabel(x)
    ax.set_ylabel(f"{a.metric} (mean, 95% CI)")
    title = f"{a.metric} against {x}" + (f" by {line}" if line else "")
    if a.where:
        title += " (" + ", ".join(a.where) + ")"
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    if line:
        ax.legend(fontsize=7, title=line, title_fontsize=7)
    save(fig, a.out or os.path.join(os.path.dirname(a.summary) or ".", f"{a.metric}-by-{x}"))


def save(fig, out):
    fig.tight_layout()
    fig.savefig(out + ".png", dpi=120)
    fig.savefig(out + ".svg", metadata={"Date": None})
    plt.close(fig)
    print(f"{out}.png {out}.svg")


def bars(a, rows, axis):
    """One bar per policy, in the sweep's order, with its 95% CI; n under each name."""
    rows = [r for r in rows if r["mean"] != ""]
    if not rows:
        sys.exit(f"{a.summary}: no value of {a.metric!r} to plot")
    fig, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(rows) + 2), 4))
    pos = range(len(rows))
    ax.bar(pos, [float(r["mean"]) for r in rows], yerr=[float(r["ci95_half_width"] or 0) for r in rows], capsize=4,
           color=[colour(r[axis]) for r in rows], edgecolor="black", linewidth=0.5)
    ax.set_xticks(list(pos), [f"{r[axis]}\nn={r.get('n', '?')}" for r in rows], fontsize=8)
    ax.set_xlabel(axis)
    ax.set_ylabel(f"{a.metric} (mean, 95% CI)")
    title = f"{a.metric} by {axis}" + (" (" + ", ".join(a.where) + ")" if a.where else "")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    save(fig, a.out or os.path.join(os.path.dirname(a.summary) or ".", f"{a.metric}-by-{axis}"))


if __name__ == "__main__":
    main(sys.argv[1:])
