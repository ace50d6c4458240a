#!/usr/bin/env python3
"""Draws the month-long run (docs/day-in-the-life.md) beside what TH90 chapter 8 reports: idle hosts by hour of the
week (Table 8.5), CPU utilization over the month, per host and by whose work (Table 8.1, 8.1/9.3's 2.3%), the
distributions of hold times, eviction times and processes per eviction (Tables 8.6, 8.3, 8.2) and the requests
satisfied by request size (Fig. 8.1). Published values are the reference's (docs/references.md); where it gives no
curve, the figure says so and draws only the published summary. Reads only documented outputs (docs/outputs.md:
config.resolved.json, owners.csv, jobs.csv, utilization.csv, decisions.csv, evictions.csv, builds.csv).
Writes DIR/month-idle-hosts, month-utilization, month-holds-evictions, month-requests (.png and .svg).
Usage: plot_month.py DIR"""
import json
import math
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "spritesim"  # stable ids in the SVG
import matplotlib.pyplot as plt  # noqa: E402
import figure_files  # noqa: E402
from figure_files import rows  # noqa: E402

WEEK = 7 * 24
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
KINDS = [("owner_s", "owners' own processes", "#bbbbbb"), ("home_s", "processes at home", "#2ca02c"),
         ("foreign_s", "foreign (migrated) processes", "#1f77b4"), ("system_s", "kernel, migration, RPC", "#ff7f0e")]


def save(fig, out, name):
    figure_files.save(fig, f"{out}/{name}", dpi=110)


def merged(intervals):
    out = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def spread(bins, a, b, shift):
    """Adds the seconds of [a, b) to hour bins of time + shift (hours aligned with the week)."""
    a, b = a + shift, b + shift
    k = int(a // 3600)
    while a < b:
        z = min(b, (k + 1) * 3600.0)
        bins[k] += z - a
        a, k = z, k + 1


def idle_hosts(out, cfg, hosts):
    """Share of hosts meeting the input rule, and of hosts running foreign processes, by hour of the week."""
    owners_cfg = cfg.get("owners", {})
    shift = float(owners_cfg.get("params", {}).get("start_of_week_s", 0))
    threshold = float(owners_cfg.get("idle_rule", {}).get("input_threshold_s", 30))
    duration = float(cfg["workload"]["duration_s"])
    n_bins = int(math.ceil((duration + shift) / 3600)) + 1
    covered, busy, foreign = [0.0] * n_bins, [0.0] * n_bins, [0.0] * n_bins
    spread(covered, 0, duration, shift)
    active = defaultdict(list)
    for r in rows(f"{out}/owners.csv"):
        active[r["host"]].append((max(0.0, float(r["start_s"])), min(duration, float(r["end_s"]) + threshold)))
    for periods in active.values():
        for a, b in merged(p for p in periods if p[1] > p[0]):
            spread(busy, a, b, shift)
    remote = defaultdict(list)
    for r in rows(f"{out}/jobs.csv"):
        if r["remote"] == "1" and r["exec_host"] != r["home_host"]:
            remote[r["exec_host"]].append((float(r["start_s"]), min(duration, float(r["end_s"]))))
    for periods in remote.values():
        for a, b in merged(p for p in periods if p[1] > p[0]):
            spread(foreign, a, b, shift)
    idle_w, fore_w, cov_w = [0.0] * WEEK, [0.0] * WEEK, [0.0] * WEEK
    for k in range(n_bins):
        idle_w[k % WEEK] += hosts * covered[k] - busy[k]
        fore_w[k % WEEK] += foreign[k]
        cov_w[k % WEEK] += hosts * covered[k]
    share = [100 * i / c if c else float("nan") for i, c in zip(idle_w, cov_w)]
    fshare = [100 * f / c if c else float("nan") for f, c in zip(fore_w, cov_w)]
    weeks = duration / (WEEK * 3600)

    fig, (ax, bx) = plt.subplots(2, 1, figsize=(10, 6.4), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    hours = list(range(WEEK))
    weekday = [d < 5 and 9 <= h % 24 < 17 for d, h in ((x // 24, x) for x in hours)]
    for a in (ax, bx):
        for x in hours:
            if weekday[x]:
                a.axvspan(x, x + 1, color="#fff2cc", linewidth=0)
    ax.step(hours + [WEEK], share + share[-1:], where="post", color="#1f77b4",
            label=f"simulated: hosts meeting the input rule (owners.csv, {threshold:g} s), mean of {weeks:.1f} weeks")

    def published(a, values, style, label):
        ys = [values[0] if w else values[1] for w in weekday]
        a.step(hours + [WEEK], ys + ys[-1:], where="post", color="black", linestyle=style, linewidth=1.2, label=label)

    published(ax, (66, 78), "--", "TH90 Table 8.5, 13-month log: 66% weekdays 9-17, 78% off-hours")
    published(ax, (71, 74), ":", "TH90 Table 8.5, 25-day window: 71% / 74%")
    ax.set_ylabel("idle hosts (% of workstations)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    ax.set_title("Idle hosts by hour of the week, simulated month against TH90 Table 8.5 (shaded: Mon-Fri 9-17)\n"
                 "TH90 gives only weekday/off-hours averages (drawn as steps): no hour-by-hour data in the reference, "
                 "compare shape only", fontsize=9)
    bx.step(hours + [WEEK], fshare + fshare[-1:], where="post", color="#d62728",
            label="simulated: hosts running foreign processes (jobs.csv)")
    published(bx, (3, 2), "--", "SPE91 Table 5, in use for migration: 3% weekdays, 2% off-hours")
    bx.set_ylabel("hosts in use\nfor migration (%)")
    bx.set_ylim(0, max([3.0] + [v for v in fshare if v == v]) * 1.5)
    bx.legend(fontsize=7, loc="upper left", ncol=2)
    bx.grid(alpha=0.3)
    bx.set_xticks([24 * d for d in range(7)] + [WEEK])
    bx.set_xticklabels([f"{d} 00:00" for d in DAYS] + [""], fontsize=8)
    bx.set_xlim(0, WEEK)
    bx.set_xlabel("hour of the week")
    fig.tight_layout()
    save(fig, out, "month-idle-hosts")


def utilization(out, hosts_names):
    util = rows(f"{out}/utilization.csv")
    ws = [h for h in hosts_names]
    by_hour = defaultdict(lambda: defaultdict(float))
    per_host = defaultdict(dict)
    for r in util:
        if r["host"] not in ws:
            continue
        t = float(r["start_s"])
        for k, _, _ in KINDS:
            by_hour[t][k] += float(r[k])
        per_host[r["host"]][t] = float(r["busy_s"])
    times = sorted(by_hour)
    n = len(ws)
    days = [t / 86400 for t in times]
    fig = plt.figure(figsize=(10, 7))
    gs = fig.add_gridspec(2, 2, width_ratios=[60, 1], height_ratios=[1, 1.3])
    ax, hx, cax = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0]), fig.add_subplot(gs[1, 1])
    stack = [[100 * by_hour[t][k] / (3600 * n) for t in times] for k, _, _ in KINDS]
    ax.stackplot(days, stack, labels=[lab for _, lab, _ in KINDS], colors=[c for _, _, c in KINDS], step="post",
                 linewidth=0)
    total = sum(sum(by_hour[t].values()) for t in times) / (3600 * n * len(times)) if times else 0
    ax.axhline(100 * total, color="#8b0000", linestyle="-", linewidth=1.2,
               label=f"simulated month mean {100 * total:.1f}%")
    ax.axhline(2.3, color="black", linestyle="--", linewidth=1.2, label="TH90 8.1 / 9.3: 2.3% month mean")
    ax.set_xlim(0, days[-1] + 1 / 24 if days else 1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("day of the run")
    ax.set_ylabel("workstation CPU busy (%)")
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    ax.grid(alpha=0.3)
    ax.set_title("Cluster CPU utilization by hour, by whose work (utilization.csv); TH90 gives only the month's mean "
                 "(no time series in the reference)", fontsize=9)
    grid = [[100 * per_host[h].get(t, 0) / 3600 for t in times] for h in ws]
    im = hx.imshow(grid, aspect="auto", interpolation="nearest", cmap="magma_r",
                   norm=matplotlib.colors.PowerNorm(0.4, vmin=0, vmax=100),
                   extent=(0, days[-1] + 1 / 24 if days else 1, n - 0.5, -0.5))
    hx.set_yticks(range(0, n, 5))
    hx.set_yticklabels([ws[i] for i in range(0, n, 5)], fontsize=7)
    hx.set_xlabel("day of the run")
    hx.set_ylabel("workstation")
    hx.set_title("Per-host CPU utilization by hour (utilization.csv busy_s / 3600; colour scale compressed)",
                 fontsize=9)
    fig.colorbar(im, cax=cax, label="CPU busy (%)", ticks=[0, 1, 5, 10, 25, 50, 100])
    fig.tight_layout()
    save(fig, out, "month-utilization")


def cdf(ax, values, colour, label):
    values = sorted(values)
    n = len(values)
    if not n:
        ax.text(0.5, 0.5, "none in this run", ha="center", transform=ax.transAxes)
        return
    ax.step([values[0]] + values, [0] + [(i + 1) / n for i in range(n)], where="post", color=colour, label=label)


def holds_evictions(out):
    decisions = rows(f"{out}/decisions.csv")
    open_grants, holds = {}, []
    for r in decisions:
        key = (r["client"], r["host"])
        if r["kind"] == "grant_host":
            open_grants[key] = float(r["time_s"])
        elif r["kind"] in ("return_host", "revoke_host") and key in open_grants:
            holds.append(float(r["time_s"]) - open_grants.pop(key))
    ev = rows(f"{out}/evictions.csv")
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
    ax = axes[0]
    mean = sum(holds) / len(holds) if holds else float("nan")
    cdf(ax, [max(h, 1e-3) for h in holds], "#1f77b4", f"simulated, n={len(holds)}, mean {mean:.1f} s")
    ax.axvline(62, color="black", linestyle="--", label="TH90 Table 8.6: mean 62 s")
    ax.set_xscale("log")
    ax.set_xlim(right=max(holds + [62]) * 3)
    ax.set_xlabel("host hold time, grant to return or revocation (s, log)")
    ax.set_ylabel("share of grants at or below")
    ax.set_title("Hold times (decisions.csv)\nTH90: mean only, no distribution in the reference", fontsize=8)
    ax = axes[1]
    durs = [float(r["duration_s"]) for r in ev]
    mean = sum(durs) / len(durs) if durs else float("nan")
    ax.axvspan(3.0, 3.44, color="orange", alpha=0.3, label="published means: 3.0 s (SPE91 p.23),\n3.44 s (TH90 8.3)")
    cdf(ax, durs, "#1f77b4", f"simulated, n={len(durs)}, mean {mean:.2f} s")
    ax.set_xscale("log")
    ax.set_xlim(min(durs + [1]) / 2, max(durs + [3.44]) * 3)
    ax.set_xlabel("time to free a host (s, log)")
    ax.set_ylabel("share of host evictions at or below")
    ax.set_title("Time to free a host (evictions.csv)\nTH90/SPE91: mean and s.d. (3.65 / 3.1 s) only", fontsize=8)
    ax = axes[2]
    procs = [int(r["processes"]) for r in ev]
    if procs:
        top = max(procs)
        counts = [sum(1 for p in procs if p == k) / len(procs) for k in range(1, top + 1)]
        ax.bar(range(1, top + 1), counts, color="#1f77b4",
               label=f"simulated, n={len(procs)}, mean {sum(procs) / len(procs):.2f}")
        ax.set_xticks(range(1, max(top, 5) + 1))
        ax.set_xlim(0.4, max(top, 5) + 0.6)
    else:
        ax.text(0.5, 0.5, "no eviction in this run", ha="center", transform=ax.transAxes)
    ax.axvline(3.26, color="black", linestyle="--", label="TH90 8.3: mean 3.26 (SPE91: 3.3)")
    ax.set_xlabel("processes evicted per host eviction")
    ax.set_ylabel("share of host evictions")
    ax.set_title("Processes per eviction (evictions.csv)\npublished: mean only", fontsize=8)
    for a in axes:
        a.grid(alpha=0.3)
        a.legend(fontsize=7, loc="lower right" if a is not axes[2] else "upper right")
    axes[0].set_ylim(0, 1.02)
    axes[1].set_ylim(0, 1.02)
    fig.tight_layout()
    save(fig, out, "month-holds-evictions")


def requests(out):
    builds = [r for r in rows(f"{out}/builds.csv") if int(r["hosts_wanted"]) > 0]
    by = defaultdict(list)
    for r in builds:
        by[int(r["hosts_wanted"])].append(int(r["hosts_obtained"]))
    sizes = sorted(by)
    fig, (ax, cx) = plt.subplots(2, 1, figsize=(8.5, 6.8), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
    if sizes:
        full = [100 * sum(1 for o in by[s] if o >= s) / len(by[s]) for s in sizes]
        some = [100 * sum(1 for o in by[s] if o > 0) / len(by[s]) for s in sizes]
        ratio = [100 * sum(min(o, s) for o in by[s]) / (s * len(by[s])) for s in sizes]
        # A build of N >= 2 jobs is N - 1 compiles and their link (docs/day-in-the-life.md): it runs at most N - 1
        # jobs at once, so it can never hold hosts_wanted = N hosts. Both counts are drawn.
        width = [100 * sum(1 for o in by[s] if o >= (s - 1 if s > 1 else 1)) / len(by[s]) for s in sizes]
        ax.plot(sizes, full, "o-", color="#1f77b4", label="simulated: got hosts_wanted (N) hosts")
        got_width = sum(sum(1 for o in by[s] if o >= (s - 1 if s > 1 else 1)) for s in sizes)
        ax.plot(sizes, width, "D--", color="#9467bd",
                label=f"simulated: got as many hosts as it has compiles (N - 1 for N >= 2); "
                      f"all builds: {100 * got_width / len(builds):.1f}%")
        ax.plot(sizes, some, "s-", color="#2ca02c", label="simulated: got at least one")
        ax.plot(sizes, ratio, "^:", color="#7f7f7f", label="simulated: hosts obtained / wanted")
        n = len(builds)
        all_share = 100 * sum(1 for r in builds if int(r["hosts_obtained"]) >= int(r["hosts_wanted"])) / n
        ax.axhline(all_share, color="#1f77b4", linewidth=0.8, alpha=0.6,
                   label=f"simulated, all builds: {all_share:.1f}% got every host")
        cx.bar(sizes, [len(by[s]) for s in sizes], color="#1f77b4")
    ax.axhline(86, color="black", linestyle="--", label="TH90 8.5.2 / Fig. 8.1, all processes: 86% got every host")
    ax.axhline(98, color="black", linestyle=":", label="TH90 8.5.2: 98% got at least one")
    ax.set_ylim(0, 105)
    ax.set_ylabel("builds (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center right")
    ax.set_title("Host requests satisfied, by hosts wanted (builds.csv), beside TH90 Fig. 8.1\n"
                 "the reference gives Fig. 8.1's overall shares, not its per-size curve: compare shape only\n"
                 "(a simulated build of N >= 2 jobs has N - 1 compiles and a link, so it never runs N jobs at once)",
                 fontsize=9)
    cx.set_yscale("log")
    cx.set_ylabel("builds (log)")
    cx.set_xlabel("hosts wanted (min(request, jobs))")
    cx.grid(alpha=0.3)
    if sizes:
        cx.set_xticks(sizes)
    fig.tight_layout()
    save(fig, out, "month-requests")


def main():
    out = sys.argv[1]
    with open(f"{out}/config.resolved.json") as f:
        cfg = json.load(f)
    ws = [r["host"] for r in rows(f"{out}/hosts.csv") if r["role"] in ("workstation", "pmake")]
    idle_hosts(out, cfg, len(ws))
    utilization(out, ws)
    holds_evictions(out)
    requests(out)


if __name__ == "__main__":
    main()
