#!/usr/bin/env python3
"""Draws every figure of a reproduction directory's points.csv: each series' central values as a line, the band
the documented ranges give as a shaded area, and the published values (where the reference gives them) as open
squares. One PNG and SVG per figure, named points-FIGURE. Reads only points.csv (docs/outputs.md).
Usage: plot_points.py DIR"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402
import figure_files  # noqa: E402

LABELS = {
    "tableB1": ("compile hosts (pmake's own host on top)", "speedup"),
    "spe91-table3": ("workload (12 compile hosts)", "parallel elapsed time (s)"),
    "exp89": ("compile hosts (pmake's own host on top)", "speedup"),
    "comp88": ("concurrent compiles", "elapsed time (s)"),
}


def main():
    out = sys.argv[1]
    figs = defaultdict(lambda: defaultdict(list))
    with open(f"{out}/points.csv", newline="") as f:
        for r in csv.DictReader(f):
            pub = float(r["published"]) if r["published"] else None
            figs[r["figure"]][r["series"]].append(
                (int(r["x"]), float(r["simulated"]), float(r["low"]), float(r["high"]), pub))
    for name, series in figs.items():
        xl, yl = LABELS.get(name, ("x", "value"))
        fig, ax = plt.subplots(figsize=(6, 4.2))
        if name == "spe91-table3":  # one point per workload: bars with the band as an error bar
            names = sorted(series)
            vals = [series[n][0] for n in names]
            pos = range(len(names))
            ax.bar(pos, [v[1] for v in vals], color="tab:blue", alpha=0.7, label="spritesim")
            ax.errorbar(pos, [v[1] for v in vals], yerr=[[v[1] - v[2] for v in vals], [v[3] - v[1] for v in vals]],
                        fmt="none", color="black", capsize=4, label="band")
            for i, v in zip(pos, vals):
                if v[4] is not None:
                    ax.plot([i], [v[4]], "s", mfc="none", color="black", label="published")
            ax.set_xticks(list(pos), names)
        else:
            for s, pts in sorted(series.items()):
                pts.sort()
                xs = [p[0] for p in pts]
                line, = ax.plot(xs, [p[1] for p in pts], "o-", ms=3, label=f"{s} (spritesim)")
                ax.fill_between(xs, [p[2] for p in pts], [p[3] for p in pts], color=line.get_color(), alpha=0.2)
                pub = [(p[0], p[4]) for p in pts if p[4] is not None]
                if pub:
                    ax.plot([p[0] for p in pub], [p[1] for p in pub], "s", mfc="none", color=line.get_color(),
                            label=f"{s} (published)")
            if yl == "speedup":
                top = max(p[0] for pts in series.values() for p in pts)
                ax.plot([1, top], [1, top], ":", color="grey", label="linear")
        if name != "spe91-table3":
            ax.xaxis.get_major_locator().set_params(integer=True)  # hosts and compiles are counts
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_title(f"{name}: central value, band, published (held out where absent)", fontsize=9)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7)
        fig.tight_layout()
        figure_files.save(fig, f"{out}/points-{name}", dpi=120)


if __name__ == "__main__":
    main()
