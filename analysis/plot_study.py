#!/usr/bin/env python3
"""Draws the policy studies of `spritesim reproduce` (docs/studies.md) from DIR/studies-cells.csv: one figure per
sweep, its main metric (mean delay, or mean response time for the ELZ study) and the mean slowdown against the
sweep's x, one line per policy with 95% confidence-interval bars, in the policy's colour of every figure
(policy_colours.py). The published claim is drawn as a band on the main metric where the claim says where a policy's
curve should lie: HBD97's 35-50% cut against remote-exec, ELZ88's "modest" gain (under 20%, our reading) against the
best placement-only policy. Writes DIR/SWEEP.png and DIR/SWEEP.svg. Reads only the documented CSV.
Usage: plot_study.py DIR"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402
import figure_files  # noqa: E402
from policy_colours import colour, linestyle, marker  # noqa: E402

TITLES = {
    "hbd-load": "Harchol-Balter & Downey: preemptive vs remote exec, against load",
    "hbd-cost": "Harchol-Balter & Downey: against migration cost (dirty pages)",
    "elz-load": "Eager, Lazowska & Zahorjan: migration vs placement at exec",
}
# The claim as a band on the main metric: (kind, low cut %, high cut %, label). "remote-exec": the band is remote-exec's
# curve cut by 35-50%; "best placement": the best placement-only policy's curve cut by 0-20%.
CLAIMS = {
    "hbd-load": ("remote-exec", 35, 50, "HBD97 claim: preemptive migration 35-50% below remote-exec"),
    "hbd-cost": ("remote-exec", 35, 50, "HBD97 claim: 35-50% below remote-exec, even at high cost"),
    "elz-load": ("best placement", 0, 20, "ELZ88 claim: migration only modestly (< 20%, our reading)\n"
                                          "below the best placement-only policy"),
}
PLACEMENT = ("random", "least-loaded", "remote-exec")
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


def band(ax, by_policy, claim):
    """Shades where the claim puts the migrating policies: the reference curve cut by low-high percent."""
    kind, low, high, label = claim
    if kind == "remote-exec":
        ref = sorted(by_policy.get("remote-exec", []))
    else:  # the lowest placement-only mean at each x
        best = {}
        for p in PLACEMENT:
            for x, mean, _ in by_policy.get(p, []):
                best[x] = min(best.get(x, mean), mean)
        ref = sorted((x, m, 0) for x, m in best.items())
    if not ref:
        return
    xs = [r[0] for r in ref]
    ax.fill_between(xs, [r[1] * (1 - high / 100) for r in ref], [r[1] * (1 - low / 100) for r in ref],
                    color="#f5b800", alpha=0.4, linewidth=0, label=label, zorder=0)


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
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.8))
        for ax, metric in zip(axes, (main_metric, "job_slowdown_mean")):
            if metric == main_metric and sweep in CLAIMS:
                band(ax, metrics[metric], CLAIMS[sweep])
            for policy in order[sweep]:
                pts = sorted(metrics[metric][policy])
                if not pts:
                    continue
                ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[p[2] for p in pts], marker=marker(policy),
                            color=colour(policy), linestyle=linestyle(policy), capsize=3, label=policy)
            ax.set_xlabel(X_LABELS.get(x_name[sweep], x_name[sweep]))
            ax.set_ylabel(LABELS[metric])
            means = [m for pts in metrics[metric].values() for _, m, _ in pts if m > 0]
            if means and max(means) > 50 * min(means):  # one policy far above the rest: a log axis shows them all
                ax.set_yscale("log")
                ax.set_ylabel(LABELS[metric] + ", log")
            else:
                ax.set_ylim(bottom=0)
            if x_name[sweep].endswith("dirty_pages_mean"):
                ax.set_xscale("log")
            ax.grid(alpha=0.3)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=4)
        fig.suptitle(TITLES.get(sweep, sweep), fontsize=9)
        fig.tight_layout(rect=(0, 0.13, 1, 1))
        figure_files.save(fig, f"{out}/{sweep}", dpi=110)


if __name__ == "__main__":
    main()
