"""The sweep report: plots and a Markdown summary of a sweep folder.

A sweep folder (``results.parquet`` + ``sweep.json``) gives:

* ``jct_vs_load.png`` — average JCT of the measured jobs vs offered load, one panel
  per placement, one line per sharing arm (or other grid combination): the mean over
  seeds with a min–max band.  A (series, load) where any seed is **saturated** is
  drawn as a ▲ at the top of the panel and left out of the line: a truncated run has
  no average JCT, and averaging the seeds that did finish would flatter the arm.
* ``frag_vs_util.png`` — fragmentation rate and unallocated GPU % against the share of
  GPUs busy, from the measurement-window rounds of every round-mode run's
  ``rounds.csv`` (time-weighted, binned by 5 % of utilization), per series.
* ``window_vs_load.png`` — window-only utilization, fragmentation rate and
  unallocated GPU % vs load.
* ``results.csv`` — results.parquet without the wall-time column, for diffing.
* ``ab_deltas.png`` — when the grid has sharing off and on: see :mod:`.ab_report`.

A sweep with an **arms** axis (named variants, or ``arms:`` in the sweep file) and a
load axis gets the arms comparison of :mod:`.arms_report` instead of the JCT and
window plots above (``arms_jct_vs_load.png``, ``arms_window_vs_load.png``,
``arms_deltas.png``: per-arm levels and paired deltas vs the first arm, one section
per topology or other remaining axis).  Sweeps without one get exactly the report
they always did.

Rows are read in grid order, so the same folder always gives the same files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..experiments.sweep.point import NO_AVERAGE
from ..model.atomic import atomic_write
from .ab_report import ab_section
from .arms_report import arms_sections
from .plotting import figure_style, pyplot, save_png
from .sweep_data import LOAD_KEY, SweepData, jct_cell, series_label, value_label


def sweep_report(run_dir: Path, out: Path) -> list[Path]:
    """Write the plots, results.csv and report.md of the sweep folder ``run_dir`` into
    ``out``; returns the files written (report.md last)."""
    sw = SweepData(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    md: list[str] = []
    df = sw.df
    name = sw.meta.get("name", run_dir.name)
    md += [f"# Sweep report: {name}", ""]
    if sw.meta.get("description"):
        md += [sw.meta["description"].strip(), ""]
    base = sw.meta.get("base")
    md += [(f"Base scenario `{base}`" if base is not None else
            "Base scenario chosen per point by a variant's `base`")
           + "; grid: " + "; ".join(f"`{k}` ∈ {v}" for k, v in sw.grid.items())
           + f"; seeds {sw.meta.get('seeds')}"
           + (f"; fixed: {', '.join(f'`{k}={v}`' for k, v in sw.meta.get('set', {}).items())}"
              if sw.meta.get("set") else "") + ".", ""]
    if sw.meta.get("blocks"):
        md += ["The grid is the union of these blocks (each one every combination of its "
               "values):", ""]
        md += [f"{i}. " + "; ".join(f"`{k}` ∈ {v}" for k, v in b.items())
               for i, b in enumerate(sw.meta["blocks"], start=1)] + [""]
    counts = df["status"].value_counts()
    md += [f"Points: {len(df)} of {sw.meta.get('points', len(df))} — "
           f"{int(counts.get('ok', 0))} finished, {int(counts.get('saturated', 0))} saturated, "
           f"{int(counts.get('capped', 0))} capped, {int(counts.get('error', 0))} failed.", ""]
    md += ["**Saturated** means the measured jobs were not all done when the run stopped and "
           "the backlog was still growing (the offered load exceeds what the cluster serves); "
           "**capped** means a bound (the scenario's `max_sim_time_s` or the default bound) "
           "stopped the run before the measured jobs were done, without the backlog proving "
           "overload. Either way the run has no average JCT, so it is shown by that word, never "
           "averaged with the seeds that finished. Averages are over the measured jobs only; "
           "window figures are time-weighted over the measurement window (first measured "
           "arrival to the end of the run), not over warm-up.", ""]

    arms = sw.arms_key is not None and sw.load_key is not None
    if arms:
        arms_md, arms_pngs = arms_sections(sw, out)
        written += arms_pngs
        md += arms_md
    elif sw.load_key is not None:
        written.append(_plot_jct(sw, out / "jct_vs_load.png"))
        md += _jct_table(sw)
        written.append(_plot_window(sw, out / "window_vs_load.png"))
    frag = _plot_frag_util(sw, out / "frag_vs_util.png")
    if frag is not None:
        written.append(frag)
        md += ["## Fragmentation vs utilization", "",
               "Measurement-window rounds of every run, binned by the share of GPUs busy "
               "(time-weighted means; all loads and seeds pooled).", "",
               "![fragmentation vs utilization](frag_vs_util.png)", ""]
    if sw.load_key is not None and not arms:
        md += ["## Window figures vs load", "", "![window figures vs load](window_vs_load.png)", ""]
    if "sharing" in sw.grid and set(sw.grid["sharing"]) == {False, True}:
        ab_md, ab_png = ab_section(sw, out / "ab_deltas.png")
        written.append(ab_png)
        md += ab_md
    failed = df[df["status"] == "error"]
    if len(failed):
        md += ["## Failed points", ""]
        for _, r in failed.iterrows():
            md += [f"- `{r['point']}`: {r['error']}"]
        md += [""]
    md += ["`results.csv` beside this file is results.parquet without `wall_s` (wall time per "
           "point, the only figure that depends on the machine or backend; it is not used here).", ""]
    csv = out / "results.csv"
    atomic_write(csv, df.drop(columns=["wall_s"]).to_csv(index=False, lineterminator="\n"))
    written.append(csv)
    report = out / "report.md"
    atomic_write(report, "\n".join(md).rstrip() + "\n")
    written.append(report)
    return written


def _panels(sw: SweepData) -> list:
    panel_vals = sw.grid[sw.panel_key] if sw.panel_key else [None]
    return panel_vals


def _plot_jct(sw: SweepData, path: Path) -> Path:
    _, plt = pyplot()
    panels = _panels(sw)
    with figure_style():
        fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), sharey=True,
                                 squeeze=False)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for ax, pv in zip(axes[0], panels):
            top = 0.0
            sat_marks = []
            for i, combo in enumerate(sw.combos(sw.line_keys)):
                color = colors[i % len(colors)]
                xs, ms, los, his = [], [], [], []
                for load in sw.loads():
                    match = dict(zip(sw.line_keys, combo))
                    if sw.panel_key:
                        match[sw.panel_key] = pv
                    match[sw.load_key] = load
                    c = jct_cell(sw.select(**match))
                    x = sw.load_x(load)
                    if c["saturated"]:
                        sat_marks.append((x, color))
                    elif c["mean"] is not None:
                        xs.append(x), ms.append(c["mean"]), los.append(c["lo"]), his.append(c["hi"])
                        top = max(top, c["hi"])
                label = series_label(sw.line_keys, combo)
                if xs:
                    ax.plot(xs, ms, marker="o", color=color, label=label)
                    ax.fill_between(xs, los, his, color=color, alpha=0.18, linewidth=0)
                else:
                    ax.plot([], [], marker="o", color=color, label=label)
            for j, (x, color) in enumerate(sat_marks):
                ax.plot([x], [0.96 - 0.05 * (j % 2)], marker="^", markersize=9, color=color,
                        transform=ax.get_xaxis_transform(), linestyle="none", clip_on=False)
            if sat_marks:
                ax.plot([], [], marker="^", color="gray", linestyle="none",
                        label="saturated (≥1 seed): no average")
            ax.set_title(value_label(sw.panel_key, pv) if sw.panel_key else "all points")
            ax.set_xlabel(sw.load_label if len(panels) == 1 else "offered load (jobs/h)"
                          if sw.load_key == LOAD_KEY else sw.load_key)
            ax.set_ylim(0, max(top * 1.25, 1.0))
            ax.legend(loc="upper left")
        axes[0][0].set_ylabel("average JCT of measured jobs (h)\nmean over seeds, band = min–max")
        fig.tight_layout()
        return save_png(fig, path)


def _jct_table(sw: SweepData) -> list[str]:
    md = ["## Average JCT vs load", "",
          "![average JCT vs load](jct_vs_load.png)", "",
          "Average JCT of the measured jobs in hours: mean over seeds [min–max]; "
          "*saturated k/n* = k of n seeds did not finish within the cap.", ""]
    loads = sw.loads()
    head = ["series"] + [f"{sw.load_x(l):.2f} jobs/h" if sw.load_key == LOAD_KEY else str(l)
                         for l in loads]
    md += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = ([sw.panel_key] if sw.panel_key else []) + sw.line_keys
    for combo in sw.combos(keys):
        cells = [series_label(keys, combo)]
        for load in loads:
            c = jct_cell(sw.select(**dict(zip(keys, combo)), **{sw.load_key: load}))
            if c["saturated"]:
                cells.append(f"*{c['word']} {c['saturated']}/{c['n']}*")
            elif c["mean"] is None:
                cells.append("failed" if c["errors"] else "—")
            else:
                cells.append(f"{c['mean']:.1f} [{c['lo']:.1f}–{c['hi']:.1f}]")
        md.append("| " + " | ".join(cells) + " |")
    return md + [""]


def _plot_window(sw: SweepData, path: Path) -> Path:
    _, plt = pyplot()
    metrics = [("window_utilization", "GPUs busy (share, window)", 100.0),
               ("window_frag_rate_pct", "fragmentation rate % (window)", 1.0),
               ("window_unalloc_gpu_pct", "unallocated GPU % (window)", 1.0)]
    keys = ([sw.panel_key] if sw.panel_key else []) + sw.line_keys
    with figure_style():
        fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        styles = ["-", "--", ":", "-."]
        for ax, (col, title, scale) in zip(axes[0], metrics):
            for i, combo in enumerate(sw.combos(keys)):
                xs, ms, los, his, sat = [], [], [], [], []
                for load in sw.loads():
                    rows = sw.select(**dict(zip(keys, combo)), **{sw.load_key: load})
                    good = rows[rows["status"] != "error"]
                    v = good[col].to_numpy(dtype=np.float64) * scale if col in good else np.array([])
                    v = v[np.isfinite(v)]
                    if v.size:
                        xs.append(sw.load_x(load)), ms.append(v.mean())
                        los.append(v.min()), his.append(v.max())
                        sat.append(bool(good["status"].isin(NO_AVERAGE).any()))
                if not xs:
                    continue
                pi = sw.combos([sw.panel_key]).index((combo[0],)) if sw.panel_key else i
                li = i % max(1, len(sw.combos(sw.line_keys)))
                color = colors[pi % len(colors)]
                ax.plot(xs, ms, linestyle=styles[li % len(styles)], color=color,
                        label=series_label(keys, combo))
                ax.fill_between(xs, los, his, color=color, alpha=0.12, linewidth=0)
                sx = [x for x, s in zip(xs, sat) if s]
                sy = [m for m, s in zip(ms, sat) if s]
                ax.plot(sx, sy, marker="^", color=color, linestyle="none")
            ax.set_title(title)
            ax.set_xlabel("offered load (jobs/h)" if sw.load_key == LOAD_KEY else sw.load_key)
        if axes[0][0].get_legend_handles_labels()[0]:
            axes[0][0].legend(loc="best", fontsize=7)
        fig.suptitle("mean over seeds, band = min–max; ▲ = a saturated seed (figures up to the cap)",
                     fontsize=9)
        fig.tight_layout()
        return save_png(fig, path)


def _plot_frag_util(sw: SweepData, path: Path) -> Path | None:
    import pandas as pd
    keys = ([sw.panel_key] if sw.panel_key else []) + sw.line_keys
    bins = np.linspace(0.0, 1.0, 21)
    curves = []
    for combo in sw.combos(keys):
        rows = sw.select(**dict(zip(keys, combo)))
        acc_w = np.zeros(len(bins) - 1)
        acc_f = np.zeros(len(bins) - 1)
        acc_u = np.zeros(len(bins) - 1)
        for _, r in rows[rows["status"] != "error"].iterrows():
            f = sw.dir / "points" / r["point"] / "rounds.csv"
            if not f.exists():
                continue
            rd = pd.read_csv(f)
            if "frag_rate_pct" not in rd.columns or len(rd) < 2:
                continue
            t = rd["time_s"].to_numpy(dtype=np.float64)
            w = np.append(np.diff(t), 0.0)
            start = r["window_start_s"]
            if pd.isna(start):
                continue
            w = np.where(t >= start, w, 0.0)
            idx = np.clip(np.digitize(rd["utilization"].to_numpy(dtype=np.float64), bins) - 1,
                          0, len(bins) - 2)
            np.add.at(acc_w, idx, w)
            np.add.at(acc_f, idx, w * rd["frag_rate_pct"].to_numpy(dtype=np.float64))
            np.add.at(acc_u, idx, w * rd["unalloc_gpu_pct"].to_numpy(dtype=np.float64))
        if acc_w.sum() > 0:
            curves.append((combo, acc_w, acc_f, acc_u))
    if not curves:
        return None
    _, plt = pyplot()
    centers = 100.0 * (bins[:-1] + bins[1:]) / 2
    with figure_style():
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        styles = ["-", "--", ":", "-."]
        n_lines = max(1, len(sw.combos(sw.line_keys)))
        for i, (combo, w, f, u) in enumerate(curves):
            keep = w >= 0.002 * w.sum()   # drop bins holding a negligible share of the time
            pi = sw.combos([sw.panel_key]).index((combo[0],)) if sw.panel_key else i
            color = colors[pi % len(colors)]
            ls = styles[(i % n_lines) % len(styles)]
            lab = series_label(keys, combo)
            axes[0].plot(centers[keep], (f / np.where(w > 0, w, 1))[keep], ls, marker=".",
                         color=color, label=lab)
            axes[1].plot(centers[keep], (u / np.where(w > 0, w, 1))[keep], ls, marker=".",
                         color=color, label=lab)
        axes[0].set_ylabel("fragmentation rate (% of idle GPU capacity)")
        axes[1].set_ylabel("unallocated GPU (% of milli-GPU capacity)")
        for ax in axes:
            ax.set_xlabel("GPUs busy (% of GPUs holding a job, per round)")
        axes[0].legend(loc="best", fontsize=7)
        fig.tight_layout()
        return save_png(fig, path)
