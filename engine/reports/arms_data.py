"""The numbers of an arms comparison: per-arm levels vs load and paired deltas.

A sweep with an *arms* axis (``arms:`` in the sweep file, by default its last
variant axis — e.g. sharing off / on with the scale-factor LP / on with the
demand-aware LP) is compared arm by arm, separately in every **section**: one
combination of the remaining axes that are neither the arms nor the load (a
topology, a placement).  Everything here is plain data; :mod:`.arms_plots` draws it
and :mod:`.arms_report` writes the Markdown.

Saturation is never averaged away: a (section, arm, load) with a saturated seed has no
mean JCT, and a seed where either arm of a pair is saturated is left out of that
pair's deltas (and counted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..experiments.sweep.point import NO_AVERAGE
from .stats import t_interval
from .sweep_data import SweepData, jct_cell, series_label, value_label

#: Window figures shown per arm vs load: (column, title, scale to the unit shown).
LEVELS = (("window_utilization", "GPUs busy (% of GPUs, window)", 100.0),
          ("window_busy_milli_pct", "milli-GPU busy (% of capacity, window)", 1.0),
          ("window_queued_mean", "jobs waiting (mean, window)", 1.0))
#: Paired deltas of an arm vs the first: (column, title, how the difference is taken).
DELTAS = (("avg_jct_s", "avg JCT change (%)", "pct"),
          ("window_utilization", "GPUs busy (pp)", "pp100"),
          ("window_busy_milli_pct", "milli-GPU busy (pp)", "pp"),
          ("window_queued_mean", "jobs waiting (Δ jobs)", "diff"))


@dataclass
class Section:
    """One combination of the non-arm, non-load axes: its rows' loads and arms."""

    keys: list[str]
    combo: tuple
    loads: list[Any]                                  # lightest first, those it ran
    arms: list[Any]                                   # grid order; arms[0] is the baseline
    jct: dict[tuple[Any, Any], dict[str, Any]] = field(default_factory=dict)     # (arm, load)
    levels: dict[tuple[Any, Any, str], dict[str, Any]] = field(default_factory=dict)
    deltas: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return series_label(self.keys, self.combo) if self.keys else "all points"


def arm_label(sw: SweepData, arm: Any) -> str:
    """An arm as tables and legends name it: a variant's label, else ``sharing on``."""
    return str(arm) if sw.arms_key in sw.variants else value_label(sw.arms_key, arm)


def section_keys(sw: SweepData) -> list[str]:
    """The axes that split the comparison into sections (all but arms and load)."""
    return [k for k in sw.grid if k not in (sw.arms_key, sw.load_key)]


def sections(sw: SweepData) -> list[Section]:
    """Every section of an arms sweep with its JCT cells, window levels and deltas."""
    keys = section_keys(sw)
    out = []
    for combo in sw.present(keys):
        rows = sw.select(**dict(zip(keys, combo)))
        loads = sorted({_py(v) for v in rows[sw.load_key]}, key=sw.load_x)
        arms = [a for a in sw.grid[sw.arms_key] if (rows[sw.arms_key] == a).any()]
        sec = Section(keys, combo, loads, arms)
        for arm in arms:
            for load in loads:
                cell = rows[(rows[sw.arms_key] == arm) & (rows[sw.load_key] == load)]
                if not len(cell):
                    continue
                sec.jct[(arm, load)] = jct_cell(cell) | _done_range(sw, cell)
                for col, _, scale in LEVELS:
                    sec.levels[(arm, load, col)] = _level(cell, col, scale)
        sec.deltas = [paired_delta(rows, sw.arms_key, arms[0], arm, sw.load_key, load)
                      for arm in arms[1:] for load in loads]
        out.append(sec)
    return out


def _py(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _done_range(sw: SweepData, cell: Any) -> dict[str, Any]:
    """How many measured jobs the saturated seeds had finished (min, max, of n), and how
    many of them the engine ended early as hopelessly overloaded (``end_when_overloaded``:
    their point's summary.json gives a ``saturation_reason``) rather than at the cap."""
    sat = cell[cell["status"].isin(NO_AVERAGE)]
    if not len(sat):
        return {"done_lo": None, "done_hi": None, "window_n": None, "early": 0}
    done = sat["jobs_measured_done"].dropna().astype(int)
    n = sat["jobs_in_window"].dropna().astype(int)
    early = 0
    for point in sat["point"]:
        try:
            summary = json.loads((sw.dir / "points" / str(point) / "summary.json").read_text())
        except (OSError, ValueError):
            continue
        early += bool(summary.get("saturation_reason"))
    return {"done_lo": int(done.min()) if len(done) else None,
            "done_hi": int(done.max()) if len(done) else None,
            "window_n": int(n.max()) if len(n) else None, "early": early}


def _level(cell: Any, col: str, scale: float) -> dict[str, Any]:
    """Mean and min–max over the seeds that did not fail; ``saturated`` when any seed
    is (its window figures then run only up to where it stopped: the cap or an early end)."""
    good = cell[cell["status"] != "error"]
    v = good[col].to_numpy(dtype=np.float64) * scale if col in good else np.array([])
    v = v[np.isfinite(v)]
    if not v.size:
        return {"mean": None, "lo": None, "hi": None, "saturated": False}
    return {"mean": float(v.mean()), "lo": float(v.min()), "hi": float(v.max()),
            "saturated": bool(good["status"].isin(NO_AVERAGE).any())}


def delta_values(a: np.ndarray, b: np.ndarray, kind: str) -> np.ndarray:
    """Arm minus baseline per pair: ``pct`` in % of the baseline, ``pp100`` a share
    turned into percentage points, ``pp``/``diff`` plain differences."""
    if kind == "pct":
        return 100.0 * (b - a) / a
    if kind == "pp100":
        return 100.0 * (b - a)
    return b - a


def paired_delta(rows: Any, arms_key: str, base: Any, arm: Any, load_key: str,
                 load: Any) -> dict[str, Any]:
    """``arm`` − ``base`` at one load, paired by seed (both saw the same arrivals):
    for each of :data:`DELTAS` the mean with a t-based 95 % CI over the pairs where
    both runs finished (None with fewer than two; ``_one`` holds a lone pair's value)."""
    at = rows[rows[load_key] == load]
    a = at[at[arms_key] == base]
    b = at[at[arms_key] == arm]
    pairs = a.merge(b, on="seed", suffixes=("_a", "_b"))
    both = pairs[(pairs["status_a"] == "ok") & (pairs["status_b"] == "ok")]
    entry: dict[str, Any] = {"arm": arm, "load": load, "pairs": len(pairs), "used": len(both),
                             "sat_base": int(pairs["status_a"].isin(NO_AVERAGE).sum()),
                             "sat_arm": int(pairs["status_b"].isin(NO_AVERAGE).sum())}
    for col, _, kind in DELTAS:
        d = delta_values(both[f"{col}_a"].to_numpy(dtype=np.float64),
                         both[f"{col}_b"].to_numpy(dtype=np.float64), kind)
        d = d[np.isfinite(d)]
        entry[col] = t_interval(list(d))
        entry[col + "_one"] = float(d[0]) if d.size == 1 else None
    return entry
