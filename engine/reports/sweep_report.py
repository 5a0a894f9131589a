"""``fragscope report``: PNG plots and a Markdown summary of a sweep or a fill run.

Sweep folders (``results.parquet`` + ``sweep.json``) give:

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
* ``ab_deltas.png`` — sharing on − off at the same placement, load and seed (paired,
  common random numbers): JCT change in %, utilization and fragmentation in
  percentage points, mean over seeds with a t-based 95 % confidence interval.  Pairs
  with a saturated arm are counted and left out.

Fill folders (``curves.csv`` from ``fragscope fill``) give ``fill_unalloc.png`` and
``fill_frag.png``: the median over seeds with the 25–75 % band per placement, and the
reference curves (dashed) when ``--reference`` is given.

Everything is deterministic: Agg backend, default style, fixed size and DPI, no
software/date metadata in the PNGs, rows in grid order — the same inputs give
byte-identical files (with the same matplotlib and fonts).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..core.atomic import atomic_write, atomic_write_bytes
from ..errors import InputError

DPI = 100
LOAD_KEY = "workload.generate.lam"
_SERIES_ORDER_KEYS = ("placement", "sharing")
_CONF = 0.95


# --------------------------------------------------------------------------- helpers
def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return matplotlib, plt


def _save(fig, path: Path) -> Path:
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    _, plt = _plt()
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _style():
    matplotlib, _ = _plt()
    rc = dict(matplotlib.rcParamsDefault)
    rc.update({"backend": "Agg", "figure.dpi": DPI, "savefig.dpi": DPI, "font.size": 9,
               "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 8})
    return matplotlib.rc_context(rc)


def t_interval(values: Sequence[float], conf: float = _CONF) -> tuple[float, float, float] | None:
    """(mean, low, high) of a t-based confidence interval; None with < 2 values.
    Seeds are few (3 in the shipped sweep), so the normal 1.96 would be far too narrow."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if x.size < 2:
        return None
    from scipy import stats
    m = float(x.mean())
    half = float(stats.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    return f"{v:.{digits}f}"


def _label(key: str, value: Any) -> str:
    if key == "sharing":
        return f"sharing {'on' if value else 'off'}"
    return f"{key.rsplit('.', 1)[-1]}={value}"


# --------------------------------------------------------------------------- entry
def make_report(run_dir: Path, out: Path, reference: str | Path | None = None,
                reference_workload: str = "openb_pod_list_default") -> list[Path]:
    """Write the report of a sweep folder or a fill folder into ``out``; returns the
    files written (PNGs, then report.md)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(str(run_dir), "not a folder (expected a sweep's or a fill's --out folder)")
    if (run_dir / "results.parquet").exists():
        if reference is not None:
            raise InputError("--reference", "only applies to fill outputs (curves.csv)")
        return _sweep_report(run_dir, Path(out))
    if (run_dir / "curves.csv").exists():
        return _fill_report(run_dir, Path(out), reference, reference_workload)
    raise InputError(str(run_dir), "has neither results.parquet (a sweep) nor curves.csv (a fill run)")


# --------------------------------------------------------------------------- sweep
class _Sweep:
    """results.parquet + sweep.json, with the axes the plots need."""

    def __init__(self, run_dir: Path) -> None:
        import pandas as pd
        try:
            self.df = pd.read_parquet(run_dir / "results.parquet")
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(str(run_dir / "results.parquet"), f"cannot read ({exc})") from None
        try:
            self.meta = json.loads((run_dir / "sweep.json").read_text())
        except (OSError, ValueError):
            raise InputError(str(run_dir / "sweep.json"), "missing or unreadable "
                             "(written by fragscope sweep)") from None
        self.dir = run_dir
        grid: dict[str, list] = self.meta.get("grid", {})
        self.grid = grid
        self.load_key = LOAD_KEY if LOAD_KEY in grid else next(
            (k for k, v in grid.items() if k not in ("sharing", "placement", "policy")
             and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)), None)
        self.series_keys = [k for k in grid if k != self.load_key]
        # Panels by placement when it varies; lines by the remaining keys.
        self.panel_key = "placement" if "placement" in grid else None
        self.line_keys = [k for k in self.series_keys if k != self.panel_key]

    def load_x(self, value: Any) -> float:
        if self.load_key == LOAD_KEY:
            return 3600.0 / value if value else math.inf  # jobs per hour: load grows to the right
        return float(value)

    @property
    def load_label(self) -> str:
        if self.load_key == LOAD_KEY:
            return "offered load (jobs/h = 3600 / workload.generate.lam)"
        return self.load_key or ""

    def loads(self) -> list[Any]:
        if self.load_key is None:
            return [None]
        return sorted(self.grid[self.load_key], key=self.load_x)

    def combos(self, keys: list[str]) -> list[tuple]:
        import itertools
        return list(itertools.product(*(self.grid[k] for k in keys))) if keys else [()]

    def select(self, **match: Any):
        df = self.df
        mask = np.ones(len(df), dtype=bool)
        for k, v in match.items():
            mask &= (df[k] == v).to_numpy(dtype=bool)
        return df[mask]


def _series_label(keys: list[str], combo: tuple) -> str:
    return ", ".join(_label(k, v) for k, v in zip(keys, combo)) or "all"


def _cell(rows) -> dict[str, Any]:
    """JCT figures of one (series, load) over seeds, honest about saturation."""
    n = len(rows)
    err = int((rows["status"] == "error").sum())
    sat = int((rows["status"] == "saturated").sum())
    ok = rows[rows["status"] == "ok"]
    out = {"n": n, "errors": err, "saturated": sat, "ok": len(ok)}
    if sat or not len(ok):
        out.update(mean=None, lo=None, hi=None)
    else:
        v = ok["avg_jct_s"].to_numpy(dtype=np.float64) / 3600.0
        out.update(mean=float(v.mean()), lo=float(v.min()), hi=float(v.max()))
    return out


def _sweep_report(run_dir: Path, out: Path) -> list[Path]:
    sw = _Sweep(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    md: list[str] = []
    df = sw.df
    name = sw.meta.get("name", run_dir.name)
    md += [f"# Sweep report: {name}", ""]
    if sw.meta.get("description"):
        md += [sw.meta["description"].strip(), ""]
    md += [f"Base scenario `{sw.meta.get('base')}`; grid: "
           + "; ".join(f"`{k}` ∈ {v}" for k, v in sw.grid.items())
           + f"; seeds {sw.meta.get('seeds')}"
           + (f"; fixed: {', '.join(f'`{k}={v}`' for k, v in sw.meta.get('set', {}).items())}"
              if sw.meta.get("set") else "") + ".", ""]
    counts = df["status"].value_counts()
    md += [f"Points: {len(df)} of {sw.meta.get('points', len(df))} — "
           f"{int(counts.get('ok', 0))} finished, {int(counts.get('saturated', 0))} saturated, "
           f"{int(counts.get('error', 0))} failed.", ""]
    md += ["**Saturated** means the measured jobs were not all done by the scenario's "
           "`max_sim_time_s`: such a run has no average JCT, so it is shown as saturated, never "
           "averaged with the seeds that finished. Averages are over the measured jobs only; "
           "window figures are time-weighted over the measurement window (first measured "
           "arrival to the end of the run), not over warm-up.", ""]

    if sw.load_key is not None:
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
    if sw.load_key is not None:
        md += ["## Window figures vs load", "", "![window figures vs load](window_vs_load.png)", ""]
    if "sharing" in sw.grid and set(sw.grid["sharing"]) == {False, True}:
        ab_md, ab_png = _ab(sw, out / "ab_deltas.png")
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


def _panels(sw: _Sweep):
    panel_vals = sw.grid[sw.panel_key] if sw.panel_key else [None]
    return panel_vals


def _plot_jct(sw: _Sweep, path: Path) -> Path:
    _, plt = _plt()
    panels = _panels(sw)
    with _style():
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
                    c = _cell(sw.select(**match))
                    x = sw.load_x(load)
                    if c["saturated"]:
                        sat_marks.append((x, color))
                    elif c["mean"] is not None:
                        xs.append(x), ms.append(c["mean"]), los.append(c["lo"]), his.append(c["hi"])
                        top = max(top, c["hi"])
                label = _series_label(sw.line_keys, combo)
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
            ax.set_title(_label(sw.panel_key, pv) if sw.panel_key else "all points")
            ax.set_xlabel(sw.load_label if len(panels) == 1 else "offered load (jobs/h)"
                          if sw.load_key == LOAD_KEY else sw.load_key)
            ax.set_ylim(0, max(top * 1.25, 1.0))
            ax.legend(loc="upper left")
        axes[0][0].set_ylabel("average JCT of measured jobs (h)\nmean over seeds, band = min–max")
        fig.tight_layout()
        return _save(fig, path)


def _jct_table(sw: _Sweep) -> list[str]:
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
        cells = [_series_label(keys, combo)]
        for load in loads:
            c = _cell(sw.select(**dict(zip(keys, combo)), **{sw.load_key: load}))
            if c["saturated"]:
                cells.append(f"*saturated {c['saturated']}/{c['n']}*")
            elif c["mean"] is None:
                cells.append("failed" if c["errors"] else "—")
            else:
                cells.append(f"{c['mean']:.1f} [{c['lo']:.1f}–{c['hi']:.1f}]")
        md.append("| " + " | ".join(cells) + " |")
    return md + [""]


def _plot_window(sw: _Sweep, path: Path) -> Path:
    _, plt = _plt()
    metrics = [("window_utilization", "GPUs busy (share, window)", 100.0),
               ("window_frag_rate_pct", "fragmentation rate % (window)", 1.0),
               ("window_unalloc_gpu_pct", "unallocated GPU % (window)", 1.0)]
    keys = ([sw.panel_key] if sw.panel_key else []) + sw.line_keys
    with _style():
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
                        sat.append(bool((good["status"] == "saturated").any()))
                if not xs:
                    continue
                pi = sw.combos([sw.panel_key]).index((combo[0],)) if sw.panel_key else i
                li = i % max(1, len(sw.combos(sw.line_keys)))
                color = colors[pi % len(colors)]
                ax.plot(xs, ms, linestyle=styles[li % len(styles)], color=color,
                        label=_series_label(keys, combo))
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
        return _save(fig, path)


def _plot_frag_util(sw: _Sweep, path: Path) -> Path | None:
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
    _, plt = _plt()
    centers = 100.0 * (bins[:-1] + bins[1:]) / 2
    with _style():
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        styles = ["-", "--", ":", "-."]
        n_lines = max(1, len(sw.combos(sw.line_keys)))
        for i, (combo, w, f, u) in enumerate(curves):
            keep = w >= 0.002 * w.sum()   # drop bins holding a negligible share of the time
            pi = sw.combos([sw.panel_key]).index((combo[0],)) if sw.panel_key else i
            color = colors[pi % len(colors)]
            ls = styles[(i % n_lines) % len(styles)]
            lab = _series_label(keys, combo)
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
        return _save(fig, path)


def _ab(sw: _Sweep, path: Path) -> tuple[list[str], Path]:
    """Paired sharing-on minus sharing-off deltas with t-based 95 % CIs over seeds."""
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
                                     "sat_off": int((pairs["status_off"] == "saturated").sum()),
                                     "sat_on": int((pairs["status_on"] == "saturated").sum())}
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
    _, plt = _plt()
    with _style():
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
                                color=colors[i % len(colors)], label=_series_label(other, combo))
            ax.axhline(0.0, color="black", linewidth=0.8)
            ax.set_title(f"sharing on − off: {title}")
            ax.set_xlabel("offered load (jobs/h)" if sw.load_key == LOAD_KEY else str(sw.load_key))
        if axes[0][0].get_legend_handles_labels()[0]:
            axes[0][0].legend(loc="best", fontsize=7)
        fig.suptitle("paired by seed; mean with t-based 95 % CI; pairs with a saturated arm left out",
                     fontsize=9)
        fig.tight_layout()
        png = _save(fig, path)
    md = ["## A/B: sharing on − off", "",
          "![A/B deltas](ab_deltas.png)", "",
          "Paired by seed (both arms see the same arrivals): mean of on − off over seeds with a "
          "t-based 95 % confidence interval [low, high]. JCT in % of the off arm, the others in "
          "percentage points. Pairs where an arm is saturated are not in the mean; they are "
          "counted in the last column.", "",
          "| series | load | n | avg JCT % | GPUs busy pp | frag rate pp | unallocated pp | saturated pairs (off/on) |",
          "|---|---|---|---|---|---|---|---|"]
    for e in table:
        cells = [_series_label(other, e["combo"]),
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


# --------------------------------------------------------------------------- fill
def _fill_report(run_dir: Path, out: Path, reference: str | Path | None,
                 reference_workload: str) -> list[Path]:
    import pandas as pd
    from ..placement.scoring import canonical_policy
    try:
        curves = pd.read_csv(run_dir / "curves.csv")
    except Exception as exc:
        raise InputError(str(run_dir / "curves.csv"), f"cannot read ({exc})") from None
    need = {"placement", "seed", "arrived_pct", "unalloc_gpu_pct", "frag_rate_pct"}
    if not need <= set(curves.columns):
        raise InputError(str(run_dir / "curves.csv"), f"missing columns: "
                         f"{', '.join(sorted(need - set(curves.columns)))}")
    ref = None
    if reference is not None:
        rp = Path(reference)
        try:
            ref = pd.read_csv(rp)
        except FileNotFoundError:
            raise InputError(str(rp), "file not found") from None
        except Exception as exc:
            raise InputError(str(rp), f"cannot read ({exc})") from None
        rneed = {"metric", "workload", "sc_policy", "arrived_pct", "median"}
        if not rneed <= set(ref.columns):
            raise InputError(str(rp), f"missing columns: {', '.join(sorted(rneed - set(ref.columns)))}")
        ref = ref[ref["workload"] == reference_workload]
        if not len(ref):
            raise InputError(str(rp), f"no rows for workload {reference_workload!r}")
        ref = ref.assign(placement=[canonical_policy(p) for p in ref["sc_policy"]])
    out.mkdir(parents=True, exist_ok=True)
    placements = list(dict.fromkeys(curves["placement"]))
    seeds = sorted(set(int(s) for s in curves["seed"]))
    written = []
    summary_rows = []
    _, plt = _plt()
    for metric, fname, ylabel in (("unalloc_gpu_pct", "fill_unalloc.png", "unallocated GPU (%)"),
                                  ("frag_rate_pct", "fill_frag.png", "fragmentation rate (%)")):
        with _style():
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
            colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
            for i, p in enumerate(placements):
                sub = curves[curves["placement"] == p].pivot(index="arrived_pct", columns="seed",
                                                             values=metric).sort_index()
                x = sub.index.to_numpy(dtype=np.float64)
                v = sub.to_numpy(dtype=np.float64)
                ok = np.isfinite(v).any(axis=1)
                med = np.full(len(x), np.nan)
                q1, q3 = med.copy(), med.copy()
                med[ok] = np.nanmedian(v[ok], axis=1)
                q1[ok] = np.nanpercentile(v[ok], 25, axis=1)
                q3[ok] = np.nanpercentile(v[ok], 75, axis=1)
                color = colors[i % len(colors)]
                ax.plot(x, med, color=color, label=f"{p} (ours, median of {len(seeds)} seeds)")
                ax.fill_between(x, q1, q3, color=color, alpha=0.2, linewidth=0)
                at100 = float(med[x == 100][0]) if (x == 100).any() else math.nan
                r100 = math.nan
                if ref is not None:
                    rs = ref[(ref["placement"] == p) & (ref["metric"] == metric)].sort_values("arrived_pct")
                    if len(rs):
                        ax.plot(rs["arrived_pct"], rs["median"], "--", color=color, linewidth=1,
                                label=f"{p} (reference)")
                        hit = rs[rs["arrived_pct"] == 100]
                        r100 = float(hit["median"].iloc[0]) if len(hit) else math.nan
                summary_rows.append((metric, p, at100, r100))
            ax.set_xlabel("arrived workload (% of cluster GPU capacity)")
            ax.set_ylabel(ylabel)
            ax.legend(loc="upper left", fontsize=7)
            fig.tight_layout()
            written.append(_save(fig, out / fname))
    md = [f"# Fill-up report: {run_dir.name}", "",
          f"Placements {', '.join(placements)}; seeds {seeds[0]}–{seeds[-1]} ({len(seeds)}). "
          "Lines: median over seeds, band 25–75 %"
          + (f"; dashed: reference medians ({reference_workload})." if ref is not None else "."), "",
          "![unallocated GPU](fill_unalloc.png)", "", "![fragmentation rate](fill_frag.png)", "",
          "At 100 % arrived (medians):", "",
          "| metric | placement | ours | reference |", "|---|---|---|---|"]
    for metric, p, a, r in summary_rows:
        md.append(f"| {metric} | {p} | {_fmt(a)} | {_fmt(r)} |")
    report = out / "report.md"
    atomic_write(report, "\n".join(md) + "\n")
    written.append(report)
    return written
