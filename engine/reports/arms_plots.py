"""The figures of an arms comparison (see :mod:`.arms_data` for the numbers).

* ``arms_jct_vs_load.png`` — average JCT per arm vs offered load, one panel per
  section, mean over seeds with a min–max band; ▲ at the top = a saturated seed, no mean.
* ``arms_window_vs_load.png`` — per arm vs load: GPUs busy, milli-GPU busy and the mean
  number of jobs waiting (window), one row per section; ▲ = a saturated seed (its
  figures up to where it stopped: the cap or an early end).
* ``arms_deltas.png`` — each arm minus the first, paired by seed: mean with a t-based
  95 % CI, one row per section.

Arms keep one colour across every figure, so a reader can follow an arm from plot to plot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .arms_data import DELTAS, LEVELS, Section, arm_label
from .plotting import figure_style, pyplot, save_png
from .sweep_data import LOAD_KEY, SweepData


def _xlabel(sw: SweepData) -> str:
    return "offered load (jobs/h = 3600 / lam)" if sw.load_key == LOAD_KEY else str(sw.load_key)


def _xlim(sw: SweepData, ax: Any) -> float:
    """Every panel spans all the sweep's loads (so sections line up); returns the span."""
    xs = [sw.load_x(v) for v in sw.loads()]
    lo, hi = min(xs), max(xs)
    pad = 0.05 * ((hi - lo) or max(abs(hi), 1.0))
    ax.set_xlim(lo - pad, hi + pad)
    return (hi - lo) or max(abs(hi), 1.0)


def _colors(sw: SweepData) -> dict[Any, str]:
    _, plt = pyplot()
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {arm: cycle[i % len(cycle)] for i, arm in enumerate(sw.grid[sw.arms_key])}


def plot_jct(sw: SweepData, secs: list[Section], path: Path) -> Path:
    """Average JCT per arm vs load, one panel per section."""
    _, plt = pyplot()
    with figure_style():
        colors = _colors(sw)
        fig, axes = plt.subplots(1, len(secs), figsize=(4.6 * len(secs), 3.8), squeeze=False)
        for ax, sec in zip(axes[0], secs):
            top, marks = 0.0, []
            span = _xlim(sw, ax)
            for i, arm in enumerate(sec.arms):
                # each arm's saturated markers a little to the side of the others', so
                # arms saturated at the same load stay apart
                off = (i - (len(sec.arms) - 1) / 2) * 0.018 * span
                xs, ms, los, his = [], [], [], []
                for load in sec.loads:
                    c = sec.jct.get((arm, load))
                    if c is None:
                        continue
                    if c["saturated"]:
                        marks.append((sw.load_x(load) + off, colors[arm]))
                    elif c["mean"] is not None:
                        xs.append(sw.load_x(load)), ms.append(c["mean"])
                        los.append(c["lo"]), his.append(c["hi"])
                        top = max(top, c["hi"])
                ax.plot(xs, ms, marker="o", color=colors[arm], label=arm_label(sw, arm))
                if xs:
                    ax.fill_between(xs, los, his, color=colors[arm], alpha=0.18, linewidth=0)
            for x, color in marks:
                ax.plot([x], [0.95], marker="^", markersize=7, color=color,
                        transform=ax.get_xaxis_transform(), linestyle="none", clip_on=False)
            if marks:
                ax.plot([], [], marker="^", color="gray", linestyle="none",
                        label="saturated (≥1 seed): no average")
            ax.set_title(sec.label)
            ax.set_xlabel(_xlabel(sw))
            ax.set_ylim(0, max(top * 1.25, 1.0))
            # lower right: the curves sit high on a 0-based axis, the markers at the top
            ax.legend(loc="lower right", fontsize=7)
        axes[0][0].set_ylabel("average JCT of measured jobs (h)\nmean over seeds, band = min–max")
        fig.tight_layout()
        return save_png(fig, path)


def plot_levels(sw: SweepData, secs: list[Section], path: Path) -> Path:
    """GPUs busy, milli-GPU busy and jobs waiting per arm vs load; a row per section."""
    _, plt = pyplot()
    with figure_style():
        colors = _colors(sw)
        fig, axes = _section_grid(plt, secs, len(LEVELS), 4.2)
        for row, sec in zip(axes, secs):
            for ax, (col, title, _) in zip(row, LEVELS):
                for arm in sec.arms:
                    pts = [(sw.load_x(load), sec.levels[(arm, load, col)]) for load in sec.loads
                           if (arm, load, col) in sec.levels
                           and sec.levels[(arm, load, col)]["mean"] is not None]
                    if not pts:
                        continue
                    xs = [x for x, _ in pts]
                    ax.plot(xs, [v["mean"] for _, v in pts], marker=".", color=colors[arm],
                            label=arm_label(sw, arm))
                    ax.fill_between(xs, [v["lo"] for _, v in pts], [v["hi"] for _, v in pts],
                                    color=colors[arm], alpha=0.15, linewidth=0)
                    sat = [(x, v["mean"]) for x, v in pts if v["saturated"]]
                    ax.plot([x for x, _ in sat], [m for _, m in sat], marker="^", markersize=8,
                            color=colors[arm], linestyle="none")
                ax.set_title(f"{sec.label}: {title}" if len(secs) > 1 else title, fontsize=8)
                ax.set_xlabel(_xlabel(sw))
                _xlim(sw, ax)
        return _finish_grid(fig, axes, "mean over seeds, band = min–max; ▲ = a saturated seed "
                            "(figures up to where it stopped)", path)


def plot_deltas(sw: SweepData, secs: list[Section], path: Path) -> Path:
    """Each arm minus the first, paired by seed, with t-based 95 % CIs; a row per section."""
    _, plt = pyplot()
    with figure_style():
        colors = _colors(sw)
        fig, axes = _section_grid(plt, secs, len(DELTAS), 4.0)
        for row, sec in zip(axes, secs):
            arms = sec.arms[1:]
            for ax, (col, title, _) in zip(row, DELTAS):
                span = _xlim(sw, ax)
                for i, arm in enumerate(arms):
                    xs, ms, lo, hi = [], [], [], []
                    for e in sec.deltas:
                        if e["arm"] != arm:
                            continue
                        if e[col] is not None:
                            m, low, high = e[col]
                        elif e[col + "_one"] is not None:
                            m = low = high = e[col + "_one"]
                        else:
                            continue
                        xs.append(sw.load_x(e["load"])), ms.append(m)
                        lo.append(m - low), hi.append(high - m)
                    if xs:
                        off = (i - (len(arms) - 1) / 2) * 0.012 * span
                        ax.errorbar([x + off for x in xs], ms, yerr=[lo, hi], marker="o",
                                    capsize=3, color=colors[arm],
                                    label=f"{arm_label(sw, arm)} − {arm_label(sw, sec.arms[0])}")
                lost = sorted({sw.load_x(e["load"]) for e in sec.deltas
                               if not e["used"] and e["sat_base"] + e["sat_arm"]})
                if lost:
                    ax.plot(lost, [0.04] * len(lost), marker="^", markersize=8, color="gray",
                            linestyle="none", transform=ax.get_xaxis_transform(), clip_on=False,
                            label="every pair has a saturated run")
                ax.axhline(0.0, color="black", linewidth=0.8)
                ax.set_title(f"{sec.label}: {title}" if len(secs) > 1 else title, fontsize=8)
                ax.set_xlabel(_xlabel(sw))
        return _finish_grid(fig, axes, "paired by seed; mean with t-based 95 % CI; pairs with a "
                            "saturated run left out", path)


def _section_grid(plt, secs: list[Section], columns: int, width: float):
    """A figure with a row of ``columns`` panels per section."""
    return plt.subplots(len(secs), columns, figsize=(width * columns, 3.3 * len(secs)), squeeze=False)


def _finish_grid(fig, axes, title: str, path: Path) -> Path:
    """A legend in each row's first panel (if it has lines), the title, saved."""
    for row in axes:
        if row[0].get_legend_handles_labels()[0]:
            row[0].legend(loc="best", fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save_png(fig, path)
