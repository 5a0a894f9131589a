"""The A/B section of a sweep report: what turning GPU sharing on changes.

``ab_deltas.png`` and its table: sharing on − off at the same placement, load and seed
(paired, common random numbers): JCT change in %, utilization and fragmentation in
percentage points, mean over seeds with a t-based 95 % confidence interval.  Pairs
with a saturated arm are counted and left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..experiments.sweep.point import NO_AVERAGE
from .plotting import figure_style, pyplot, save_png
from .stats import t_interval
from .sweep_data import LOAD_KEY, SweepData, series_label


def ab_section(sw: SweepData, path: Path) -> tuple[list[str], Path]:
    """Paired sharing-on minus sharing-off deltas with t-based 95 % CIs over seeds: the
    report.md lines of the section and the PNG written to ``path``."""
    other = [k for k in sw.series_keys if k != "sharing"]
    metrics = [("avg_jct_s", "avg JCT change (%)", "pct"),
               ("window_utilization", "GPUs busy (pp)", "pp100"),
               ("window_frag_rate_pct", "frag rate (pp)", "pp"),
               ("window_unalloc_gpu_pct", "unallocated GPU (pp)", "pp")]
    loads = sw.loads()
    table: list[dict[str, Any]] = []
    for combo in sw.combos(other):
        for load in loads:
            match = dict(zip(other, combo))
            if sw.load_key:
                match[sw.load_key] = load
            rows = sw.select(**match)
            off = rows[rows["sharing"] == False]  # noqa: E712 - pandas boolean column
            on = rows[rows["sharing"] == True]    # noqa: E712
            pairs = off.merge(on, on="seed", suffixes=("_off", "_on"))
            both = pairs[(pairs["status_off"] == "ok") & (pairs["status_on"] == "ok")]
            entry: dict[str, Any] = {"combo": combo, "load": load, "pairs": len(pairs),
                                     "used": len(both),
                                     "sat_off": int(pairs["status_off"].isin(NO_AVERAGE).sum()),
                                     "sat_on": int(pairs["status_on"].isin(NO_AVERAGE).sum())}
            for col, _, kind in metrics:
                a = both[f"{col}_off"].to_numpy(dtype=np.float64)
                b = both[f"{col}_on"].to_numpy(dtype=np.float64)
                if kind == "pct":
                    d = 100.0 * (b - a) / a
                elif kind == "pp100":
                    d = 100.0 * (b - a)
                else:
                    d = b - a
                entry[col] = t_interval(list(d))
                entry[col + "_one"] = float(d[0]) if d.size == 1 and np.isfinite(d[0]) else None
                entry[col + "_n"] = int(np.isfinite(d).sum())
            table.append(entry)
    _, plt = pyplot()
    with figure_style():
        fig, axes = plt.subplots(1, len(metrics), figsize=(4.0 * len(metrics), 3.6), squeeze=False)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        combos = sw.combos(other)
        for ax, (col, title, _) in zip(axes[0], metrics):
            for i, combo in enumerate(combos):
                xs, ms, lo, hi = [], [], [], []
                for e in table:
                    if e["combo"] != combo or e[col] is None:
                        continue
                    m, l, h = e[col]
                    xs.append(sw.load_x(e["load"]) if sw.load_key else 0.0)
                    ms.append(m), lo.append(m - l), hi.append(h - m)
                if xs:
                    off = (i - (len(combos) - 1) / 2) * 0.012 * (max(xs) - min(xs) or 1.0)
                    ax.errorbar([x + off for x in xs], ms, yerr=[lo, hi], marker="o", capsize=3,
                                color=colors[i % len(colors)], label=series_label(other, combo))
            ax.axhline(0.0, color="black", linewidth=0.8)
            ax.set_title(f"sharing on − off: {title}")
            ax.set_xlabel("offered load (jobs/h)" if sw.load_key == LOAD_KEY else str(sw.load_key))
        if axes[0][0].get_legend_handles_labels()[0]:
            axes[0][0].legend(loc="best", fontsize=7)
        fig.suptitle("paired by seed; mean with t-based 95 % CI; pairs with a saturated arm left out",
                     fontsize=9)
        fig.tight_layout()
        png = save_png(fig, path)
    md = ["## A/B: sharing on − off", "",
          "![A/B deltas](ab_deltas.png)", "",
          "Paired by seed (both arms see the same arrivals): mean of on − off over seeds with a "
          "t-based 95 % confidence interval [low, high]. JCT in % of the off arm, the others in "
          "percentage points. Pairs where an arm is saturated are not in the mean; they are "
          "counted in the last column.", "",
          "| series | load | n | avg JCT % | GPUs busy pp | frag rate pp | unallocated pp | saturated pairs (off/on) |",
          "|---|---|---|---|---|---|---|---|"]
    for e in table:
        cells = [series_label(other, e["combo"]),
                 f"{sw.load_x(e['load']):.2f} jobs/h" if sw.load_key == LOAD_KEY else str(e["load"]),
                 str(e["used"])]
        for col, _, _ in metrics:
            ci = e[col]
            one = e[col + "_one"]
            cells.append(f"{ci[0]:+.1f} [{ci[1]:+.1f}, {ci[2]:+.1f}]" if ci is not None
                         else f"{one:+.1f} (one seed: no CI)" if one is not None else "n/a")
        cells.append(f"{e['sat_off']}/{e['sat_on']}")
        md.append("| " + " | ".join(cells) + " |")
    return md + [""], png
