"""Compact human-readable values for the panes (header, queue, inspector, event log).

Kept apart from :mod:`fragscope.tui.paint`, which returns Rich styles and segments: these
return plain strings, so the model (the event log's lines) can use them without Rich.
"""

from __future__ import annotations

import math


def fmt_duration(seconds: float | None) -> str:
    """Compact human duration: 45 s, 12.5 m, 3.20 h."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} m"
    return f"{seconds / 3600:.2f} h"
