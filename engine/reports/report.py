"""``fragscope report``: the entry point that tells a sweep folder from a fill folder.

* a sweep folder (``results.parquet``): :func:`.sweep_report.sweep_report`
* a fill folder (``curves.csv``): :func:`.fill_report.fill_report`

Each writes PNG plots and a ``report.md``; see those modules for what is drawn.
"""

from __future__ import annotations

from pathlib import Path

from ..model.errors import InputError
from .fill_report import fill_report
from .sweep_report import sweep_report


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
        return sweep_report(run_dir, Path(out))
    if (run_dir / "curves.csv").exists():
        return fill_report(run_dir, Path(out), reference, reference_workload)
    raise InputError(str(run_dir), "has neither results.parquet (a sweep) nor curves.csv (a fill run)")
