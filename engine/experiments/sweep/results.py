"""The results table: one row per point, fixed column types, results.parquet.

The column kinds are fixed here (not inferred from whichever points happen to be
done) so that results.parquet has the same schema — and the same bytes — however many
points a resumed sweep has finished and whichever backend ran them.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...model.atomic import atomic_write_bytes

if TYPE_CHECKING:
    import pandas as pd

    from .spec import SweepSpec

# Summary figures copied into each row, with their column type.
SUMMARY_COLUMNS: dict[str, str] = {
    "avg_jct_s": "float", "utilization": "float", "makespan_s": "float", "num_rounds": "int",
    "num_steps": "int", "num_alloc_resets": "int", "jobs_arrived": "int", "jobs_completed": "int",
    "jobs_failed": "int", "jobs_measured": "int", "jobs_rejected": "int",
    "lease_extension_pct": "float", "window_start_s": "float", "window_duration_s": "float",
    "done": "bool",
}
WINDOW_COLUMNS: dict[str, str] = {
    "saturated": "bool", "capped": "bool", "jobs_in_window": "int", "jobs_measured_done": "int",
    "window_jct_median_s": "float", "window_jct_p95_s": "float", "window_slowdown_mean": "float",
    "window_utilization": "float", "window_busy_milli_pct": "float", "window_queued_mean": "float",
    "window_frag_rate_pct": "float", "window_frag_over_total_pct": "float",
    "window_unalloc_gpu_pct": "float", "window_occupied_nodes": "float",
    "window_partial_gpus": "float",
}


def results_table(spec: SweepSpec, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a DataFrame with fixed column types (grid order)."""
    import pandas as pd

    keys = [k for k, _ in spec.grid]
    cols: dict[str, list] = {"point": [], "index": []}
    for k in keys:
        cols[k] = []
    cols["seed"] = []
    for name in list(SUMMARY_COLUMNS) + list(WINDOW_COLUMNS) + ["status", "error", "wall_s"]:
        cols[name] = []
    for row in sorted(rows, key=lambda r: r["index"]):
        cols["point"].append(row["point"])
        cols["index"].append(row["index"])
        for k in keys:
            cols[k].append(row["values"][k])
        cols["seed"].append(row["values"]["seed"])
        for name in list(SUMMARY_COLUMNS) + list(WINDOW_COLUMNS) + ["status", "error", "wall_s"]:
            cols[name].append(row.get(name))
    frame = {}
    for name, values in cols.items():
        kind = SUMMARY_COLUMNS.get(name) or WINDOW_COLUMNS.get(name)
        if name in ("index", "seed"):
            kind = "int"
        elif name == "wall_s":
            kind = "float"
        elif name in ("point", "status", "error"):
            kind = "str"
        elif name in keys:
            kind = _column_kind(values)
            if kind == "json":
                values = [json.dumps(v, sort_keys=True) for v in values]
                kind = "str"
        frame[name] = _series(values, kind)
    return pd.DataFrame(frame)


def _column_kind(values: list) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "str"
    return "json"


def _series(values: list, kind: str):
    import pandas as pd
    if kind == "float":
        return pd.array([math.nan if v is None else float(v) for v in values], dtype="float64")
    if kind == "int":
        return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    if kind == "bool":
        return pd.array([None if v is None else bool(v) for v in values], dtype="boolean")
    return pd.array([None if v is None else str(v) for v in values], dtype="string")


def write_results(out: Path, spec: SweepSpec, rows: list[dict[str, Any]]) -> Path:
    """results.parquet, atomically (temporary file + rename)."""
    buf = io.BytesIO()
    results_table(spec, rows).to_parquet(buf, engine="pyarrow", index=False, compression="zstd")
    path = out / "results.parquet"
    atomic_write_bytes(path, buf.getvalue())
    return path


def results_equal_ignoring_wall(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """True when two results tables agree in every column but ``wall_s`` (the only
    column that depends on the machine and the backend)."""
    return a.drop(columns=["wall_s"]).equals(b.drop(columns=["wall_s"]))
