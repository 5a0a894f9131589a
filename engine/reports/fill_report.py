"""The fill report: plots and a Markdown summary of a ``fragscope fill`` folder.

A fill folder (``curves.csv``) gives ``fill_unalloc.png`` and ``fill_frag.png``: the
median over seeds with the 25–75 % band per placement, and the reference curves
(dashed) when a reference CSV is given; ``report.md`` tabulates the medians at 100 %
arrived next to the reference's.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..model.atomic import atomic_write
from ..model.errors import InputError
from .plotting import figure_style, pyplot, save_png


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    return f"{v:.{digits}f}"


def fill_report(run_dir: Path, out: Path, reference: str | Path | None,
                reference_workload: str) -> list[Path]:
    """Write the fill plots and report.md of the fill folder ``run_dir`` into ``out``,
    overlaying the ``reference_workload`` rows of the ``reference`` CSV when given;
    returns the files written (report.md last)."""
    import pandas as pd
    from ..placement.registry import canonical_name
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
        ref = ref.assign(placement=[canonical_name(p) for p in ref["sc_policy"]])
    out.mkdir(parents=True, exist_ok=True)
    placements = list(dict.fromkeys(curves["placement"]))
    seeds = sorted(set(int(s) for s in curves["seed"]))
    written = []
    summary_rows = []
    _, plt = pyplot()
    for metric, fname, ylabel in (("unalloc_gpu_pct", "fill_unalloc.png", "unallocated GPU (%)"),
                                  ("frag_rate_pct", "fill_frag.png", "fragmentation rate (%)")):
        with figure_style():
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
            written.append(save_png(fig, out / fname))
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
