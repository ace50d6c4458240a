#!/usr/bin/env python3
"""Draws the owner study of `spritesim reproduce` (docs/owners.md, "The owner study") from DIR/owners-cells.csv,
owners-frontier.csv, owners-returns.csv, owners-evictions.csv and owners-published.csv: (a) speedup against time of
week per policy setting, with the no-owner speedup as a reference; (b) the trade-off plane, mean owner intrusion per
owner return against speedup, one point per setting with 95% intervals both ways and the Pareto frontier; (c) the
distribution of the time to free a host beside TH90's published band. One colour per policy everywhere. Writes
DIR/owners-time-of-week, owners-tradeoff and owners-time-to-free (.png and .svg). Reads only the documented CSVs.
Usage: plot_owners.py DIR"""
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402
import figure_files  # noqa: E402
from policy_colours import colour  # noqa: E402

WHEN_ORDER = ["wed-10", "wed-15", "sun-03", "trace"]
WHEN_LABELS = {"wed-10": "Wed 10:00", "wed-15": "Wed 15:00", "sun-03": "Sun 03:00", "trace": "trace\n(synthetic)"}


def number(text):
    return float(text) if text not in (None, "") else None


def rows(path):
    return figure_files.rows(path, missing_ok=True)


def marker(setting):
    return "s" if setting.endswith(("-300", "-60")) else "o"


def save(fig, out, name):
    figure_files.save(fig, f"{out}/{name}", dpi=110)


def time_of_week(out, cells, published):
    builds = list(dict.fromkeys(c["build"] for c in cells))
    # Panels as wide as their number of times of week, so that a one-time build is not stretched.
    widths = [max(1.5, len({c["when"] for c in cells if c["build"] == b and c["when"] in WHEN_ORDER})) for b in builds]
    fig, axes = plt.subplots(1, len(builds), figsize=(1.9 * sum(widths) + 1, 4.4), sharey=True, squeeze=False,
                             gridspec_kw={"width_ratios": widths})
    top = 0
    for ax, build in zip(axes[0], builds):
        mine = [c for c in cells if c["build"] == build and c["when"] in WHEN_ORDER]
        whens = [w for w in WHEN_ORDER if any(c["when"] == w for c in mine)]
        settings = list(dict.fromkeys(c["setting"] for c in mine))
        width = 0.8 / max(len(settings), 1)
        for k, setting in enumerate(settings):
            pts = [(whens.index(c["when"]), number(c["speedup_mean"]), number(c["speedup_ci95"]) or 0, c["policy"])
                   for c in mine if c["setting"] == setting and number(c["speedup_mean"]) is not None]
            if not pts:
                continue
            xs = [p[0] - 0.4 + width * (k + 0.5) for p in pts]
            ax.errorbar(xs, [p[1] for p in pts], yerr=[p[2] for p in pts], fmt=marker(setting), capsize=3,
                        color=colour(pts[0][3]), label=setting,
                        markerfacecolor="white" if marker(setting) == "s" else None)
            top = max(top, max(p[1] + p[2] for p in pts))
        sim = published.get("simulated_speedup_no_owners_kernel_12")
        if build == "kernel-12" and sim:
            ax.axhline(sim[0], color="black", linestyle="--", linewidth=1, label="no owners (simulated, seed 1)")
            top = max(top, sim[0])
        pub = published.get("speedup_no_owners_kernel_12")
        if build == "kernel-12" and pub:
            ax.axhline(pub[0], color="black", linestyle=":", linewidth=1, label="no owners (TH90 Table B.1)")
            top = max(top, pub[0])
        ax.set_xticks(range(len(whens)))
        ax.set_xticklabels([WHEN_LABELS.get(w, w) for w in whens], fontsize=8)
        ax.set_xlim(-0.6, len(whens) - 0.4)
        ax.set_title(build, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("build speedup over one idle host")
    axes[0][0].set_ylim(0, top * 1.1 + 0.1)
    handles = {}
    for ax in axes[0]:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    fig.legend(handles.values(), handles.keys(), fontsize=7, loc="lower center", ncol=4)
    fig.suptitle("Build speedup with owners, by time of week and eviction policy (mean, 95% CI over seeds)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    save(fig, out, "owners-time-of-week")


def tradeoff(out, plane, published):
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    pts = []
    for p in plane:
        x, y = number(p["intrusion_per_return_mean_s"]), number(p["speedup_mean"])
        if x is None or y is None:
            continue
        xe, ye = number(p["intrusion_per_return_ci95_s"]) or 0, number(p["speedup_ci95"]) or 0
        ax.errorbar(x, y, xerr=xe, yerr=ye, fmt=marker(p["setting"]), capsize=3, color=colour(p["policy"]),
                    markerfacecolor="white" if marker(p["setting"]) == "s" else None,
                    label=p["setting"] + (" (frontier)" if p["on_frontier"] == "1" else ""))
        pts.append((x, y, p["on_frontier"] == "1", ye))
    front = sorted((x, y) for x, y, on, _ in pts if on)
    if front:
        # The frontier as a staircase: from each point, what a reader can get for at most that much intrusion.
        xs, ys = [], []
        for i, (x, y) in enumerate(front):
            if i:
                xs.append(x)
                ys.append(front[i - 1][1])
            xs.append(x)
            ys.append(y)
        ax.plot(xs, ys, color="black", linewidth=1, alpha=0.6, zorder=0, label="Pareto frontier")
    pub = published.get("speedup_no_owners_kernel_12")
    band = published.get("time_to_free_host_s")
    if pub and band:
        ax.axvspan(band[0], band[1], color="orange", alpha=0.2,
                   label="time to free a host per eviction, TH90/SPE91\n(not per return: most returns find none)")
        ax.axhline(pub[0], color="black", linestyle=":", linewidth=1, label="speedup without owners, TH90")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(left=0)
    # The points sit in a narrow band of speedup: start the axis under the lowest interval, not at 0.
    low = min((y - ye for _, y, _, ye in pts), default=0)
    ax.set_ylim(bottom=max(0, low - 0.3))
    ax.set_xlabel("mean owner intrusion per owner return (s; symlog)")
    ax.set_ylabel("build speedup")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    title = "Owners against builds: kernel on 12 compile hosts, Wednesday 10:00"
    ax.set_title(title + "\n(mean, 95% CI both ways; upper left is better)", fontsize=9)
    fig.tight_layout()
    save(fig, out, "owners-tradeoff")


def time_to_free(out, returns, evictions, published):
    series = defaultdict(list)
    for r in returns:
        if r["foreign_processes"] != "0" and r["censored"] == "0":
            series[("owner waits (owner_returns.csv)", r["policy"])].append(float(r["intrusion_s"]))
    for r in evictions:
        series[("eviction duration (evictions.csv)", r["policy"])].append(float(r["duration_s"]))
    fig, ax = plt.subplots(figsize=(8.6, 4.4))
    band = published.get("time_to_free_host_s")
    if band:
        ax.axvspan(band[0], band[1], color="orange", alpha=0.25, label=f"published mean {band[0]:g}-{band[1]:g} s")
    low, high = 0.1, 10
    for (kind, policy), values in sorted(series.items()):
        values.sort()
        n = len(values)
        mean = sum(values) / n
        ax.step([values[0]] + values, [0] + [(i + 1) / n for i in range(n)], where="post",
                color=colour(policy), linestyle="-" if kind.startswith("owner") else "--",
                label=f"{policy}: {kind}, n={n}, mean {mean:.2f} s")
        low, high = min(low, max(values[0], 1e-3) / 2), max(high, values[-1] * 2)
    if not series:
        ax.text(0.5, 0.5, "no owner found foreign work on its host", ha="center", transform=ax.transAxes)
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("seconds until the host is free of foreign processes (log)")
    ax.set_ylabel("share of returns / evictions at or below")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("Time to free a host, pooled over the owner study's runs", fontsize=9)
    fig.tight_layout()
    save(fig, out, "owners-time-to-free")


def main():
    out = sys.argv[1]
    cells = rows(f"{out}/owners-cells.csv")
    published = {r["quantity"]: (float(r["low"]), float(r["high"])) for r in rows(f"{out}/owners-published.csv")}
    time_of_week(out, cells, published)
    tradeoff(out, rows(f"{out}/owners-frontier.csv"), published)
    time_to_free(out, rows(f"{out}/owners-returns.csv"), rows(f"{out}/owners-evictions.csv"), published)


if __name__ == "__main__":
    main()
