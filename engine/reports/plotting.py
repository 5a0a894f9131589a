"""Matplotlib set-up shared by every report: backend, style and PNG saving.

Everything is deterministic: Agg backend, default style, fixed size and DPI, no
software/date metadata in the PNGs — the same inputs give byte-identical files (with
the same matplotlib and fonts), so a report can be diffed and kept in git.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..model.atomic import atomic_write_bytes

DPI = 100


def pyplot() -> tuple[Any, Any]:
    """``(matplotlib, matplotlib.pyplot)`` on the Agg backend (no display needed);
    imported on first use so that commands without plots never load matplotlib."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return matplotlib, plt


def save_png(fig: Any, path: Path) -> Path:
    """Write ``fig`` as a PNG without the Software metadata (which names the matplotlib
    version), atomically, and close it."""
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    _, plt = pyplot()
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def figure_style() -> contextlib.AbstractContextManager:
    """The reports' rc settings on top of matplotlib's defaults, never the user's
    matplotlibrc, so the plots look (and hash) the same on every machine."""
    matplotlib, _ = pyplot()
    rc = dict(matplotlib.rcParamsDefault)
    rc.update({"backend": "Agg", "figure.dpi": DPI, "savefig.dpi": DPI, "font.size": 9,
               "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 8})
    return matplotlib.rc_context(rc)
