#!/usr/bin/env python3
"""Draws the policy studies of `spritesim reproduce` (docs/studies.md) from DIR/studies-cells.csv: one figure per
sweep, its main metric (mean delay, or mean response time for the ELZ study) and the mean slowdown against the
sweep's x, one line per policy with 95% confidence-interval bars. Writes DIR/SWEEP.png and DIR/SWEEP.svg.
Reads only the documented CSV. Usage: plot_study.py DIR"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402

TITLES = {
    "hbd-load": "Harchol-Balter & Downey: preemptive vs remote exec, against load\n"
                "(published: preemptive cuts mean delay by 35-50%)",
    "hbd-cost": "Harchol-Balter & Downey: against migration cost (dirty pages)\n"
                "(published: 35-50% cut even when memory transfer is costly)",
    "elz-load": "Eager, Lazowska & Zahorjan: migration vs placement at exec\n"
                "(published: migration adds only modest gains)",
}
X_LABELS = {
    "workload.processes.arrivals_per_host_hour": "arrivals per host-hour",
    "workload.processes.dirty_pages_mean": "mean dirty pages per process (4 KB)",
}
LABELS = {
    "job_delay_mean_s": "mean delay (s)",
    "job_response_mean_s": "mean response time (s)",
    "job_slowdown_mean": "mean slowdown",
}


def number(text):
    return float(text) if text else None


def main():
    out = sys.argv[1]
    with open(f"{out}/studies-cells.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # sweep -> metric -> policy -> [(x, mean, ci)], policies and sweeps in file order
    data = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    x_name, order = {}, defaultdict(list)
    for r in rows:
        mean = number(r["mean"])
        if mean is None:
            continue
        data[r["sweep"]][r["metric"]][r["policy"]].append((float(r["x"]), mean, number(r["ci95_half_width"]) or 0))
        x_name[r["sweep"]] = r["x_name"]
        if r["policy"] not in order[r["sweep"]]:
            order[r["sweep"]].append(r["policy"])
    for sweep, metrics in data.items():
        main_metric = "job_response_mean_s" if sweep.startswith("elz") else "job_delay_mean_s"
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        for ax, metric in zip(axes, (main_metric, "job_slowdown_mean")):
            for k, policy in enumerate(order[sweep]):
                pts = sorted(metrics[metric][policy])
                if not pts:
                    continue
                ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[p[2] for p in pts], marker="os^vDx"[k % 6],
                            linestyle=("-", "--", "-.", ":")[k % 4], capsize=3, label=policy)
            ax.set_xlabel(X_LABELS.get(x_name[sweep], x_name[sweep]))
            ax.set_ylabel(LABELS[metric])
            ax.set_ylim(bottom=0)
            if x_name[sweep].endswith("dirty_pages_mean"):
                ax.set_xscale("log")
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=7)
        fig.suptitle(TITLES.get(sweep, sweep), fontsize=9)
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(f"{out}/{sweep}.{ext}", dpi=110, metadata={"Date": None} if ext == "svg" else None)
        plt.close(fig)


if __name__ == "__main__":
    main()
