"""A sweep's output as the sweep reports read it: results.parquet + sweep.json, and
the axes the plots need (which grid key is the load, which keys make panels and lines,
which axis holds the arms to compare), plus the per-cell JCT summary every JCT table
and plot shares (so saturation is handled the same way everywhere).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..experiments.sweep.point import NO_AVERAGE
from ..model.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

#: The grid key read as the load axis when the sweep has it (plotted as jobs per hour).
LOAD_KEY = "workload.generate.lam"


class SweepData:
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
        # Named variants (label -> overrides) and the axis whose values the report
        # compares; both absent from the sweep.json of sweeps without them.
        self.variants: dict[str, dict[str, dict[str, Any]]] = self.meta.get("variants", {})
        arms = self.meta.get("arms")
        self.arms_key: str | None = arms if arms in grid and arms != self.load_key else None

    def load_x(self, value: Any) -> float:
        """A load value on the x axis: jobs per hour for the inter-arrival time ``lam``
        (so load grows to the right), the value itself for any other load key."""
        if self.load_key == LOAD_KEY:
            return 3600.0 / value if value else math.inf  # jobs per hour: load grows to the right
        return float(value)

    @property
    def load_label(self) -> str:
        """The x-axis title that says what :meth:`load_x` plots."""
        if self.load_key == LOAD_KEY:
            return "offered load (jobs/h = 3600 / workload.generate.lam)"
        return self.load_key or ""

    def loads(self) -> list[Any]:
        """The load values in plotting order (lightest first); ``[None]`` without a load key."""
        if self.load_key is None:
            return [None]
        return sorted(self.grid[self.load_key], key=self.load_x)

    def combos(self, keys: list[str]) -> list[tuple]:
        """Every combination of the grid values of ``keys``, in grid order (so series keep
        their colours from one plot to the next); ``[()]`` without keys."""
        import itertools
        return list(itertools.product(*(self.grid[k] for k in keys))) if keys else [()]

    def present(self, keys: list[str]) -> list[tuple]:
        """The combinations of ``keys`` that some row has, in grid order: a sweep made of
        blocks does not run every combination (``[()]`` without keys)."""
        if not keys:
            return [()]
        seen = {tuple(_plain(v) for v in row) for row in self.df[keys].itertuples(index=False)}
        return [c for c in self.combos(keys) if tuple(_plain(v) for v in c) in seen]

    def select(self, **match: Any) -> pd.DataFrame:
        """The rows whose columns equal ``match`` (grid keys contain dots, hence ``**``)."""
        df = self.df
        mask = np.ones(len(df), dtype=bool)
        for k, v in match.items():
            mask &= (df[k] == v).to_numpy(dtype=bool)
        return df[mask]


def _plain(value: Any) -> Any:
    """A cell as a comparable Python value (numpy scalars → Python, so 60 == 60.0)."""
    return value.item() if hasattr(value, "item") else value


def unfinished_word(statuses: Any) -> str:
    """What to call the seeds without an average: ``saturated`` (the backlog grew),
    ``capped`` (a bound stopped them) or both."""
    kinds = set(statuses) & set(NO_AVERAGE)
    return "saturated" if kinds <= {"saturated"} else "capped" if kinds == {"capped"} else "saturated/capped"


def jct_cell(rows: pd.DataFrame) -> dict[str, Any]:
    """JCT figures of one (series, load) over seeds, honest about saturation: any
    saturated seed means no mean (a truncated run has no average JCT, and averaging
    only the seeds that finished would flatter the series).  Hours; band = min–max."""
    n = len(rows)
    err = int((rows["status"] == "error").sum())
    sat = int(rows["status"].isin(NO_AVERAGE).sum())
    ok = rows[rows["status"] == "ok"]
    out = {"n": n, "errors": err, "saturated": sat, "ok": len(ok), "word": unfinished_word(rows["status"])}
    if sat or not len(ok):
        out.update(mean=None, lo=None, hi=None)
    else:
        v = ok["avg_jct_s"].to_numpy(dtype=np.float64) / 3600.0
        out.update(mean=float(v.mean()), lo=float(v.min()), hi=float(v.max()))
    return out


def jph_text(x: float) -> str:
    """A jobs-per-hour figure as tables print it: 110, 310, 3.27."""
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def value_label(key: str, value: Any) -> str:
    """A grid value as a legend reads it: ``sharing on``, ``placement=fgd``."""
    if key == "sharing":
        return f"sharing {'on' if value else 'off'}"
    return f"{key.rsplit('.', 1)[-1]}={value}"


def series_label(keys: list[str], combo: tuple) -> str:
    """The legend text of one series (one value per key), ``all`` without keys."""
    return ", ".join(value_label(k, v) for k, v in zip(keys, combo)) or "all"
