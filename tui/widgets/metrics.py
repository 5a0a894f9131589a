"""The metrics panel: fragmentation, utilization, queue figures, JCT — each with its history.

Rendered as one Rich ``Text`` (cheap; ~10 lines) with inline sparklines on a *fixed*
scale (0..1 for fractions, 0..max of both arms otherwise), so A and B are comparable
and a flat series stays flat.  Keys the engine does not report show "—".
"""

from __future__ import annotations

import math

from rich.text import Text
from ._static import PanelStatic

from ..paint import A_COLOUR, B_COLOUR, sparkline
from ..fmt import fmt_duration
from ..frames import ArmFrame
from ..frames import series as series_of
from ..metric_keys import FRACTION_KEYS, METRIC_KEYS, PERCENT_KEYS, metric_scale

LABELS = {
    "frag_rate": "frag rate", "frag_amount": "frag amount", "frag_over_total": "frag/total",
    "utilization": "GPUs busy", "busy_milli_pct": "milli-GPU busy", "unalloc_gpu_pct": "unalloc GPU",
    "partial_gpus": "partial GPUs", "occupied_nodes": "occupied nodes",
    "running": "running", "queued": "queued", "completed": "completed", "avg_jct_s": "avg JCT",
}
NAME_W = 15
VALUE_W = 9


def fmt_metric(key: str, value: float | None) -> str:
    """A metric value for display; '—' when absent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if key in FRACTION_KEYS:
        return f"{100 * value:.1f}%"
    if key in PERCENT_KEYS:
        return f"{value:.1f}%"
    if key == "avg_jct_s":
        return fmt_duration(value)
    if key == "frag_amount":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


class MetricsPanel(PanelStatic):
    """Current value and history strip per metric, for A (and B when forked)."""

    DEFAULT_CSS = """
    MetricsPanel { height: auto; }
    """

    def show(self, frames: list[ArmFrame]) -> None:
        """Current value and recent history of every metric, one column per arm."""
        width = max(20, self.size.width or 60)
        forked = len(frames) > 1
        values = [f.metrics for f in frames]
        spark_w = max(4, width - NAME_W - VALUE_W * len(frames) - 1)
        if forked:
            spark_w = max(2, spark_w // 2 - 1)
        out = Text(no_wrap=True, overflow="crop")
        missing = False
        for key in METRIC_KEYS:
            series = [series_of(f.history[-spark_w:], key) for f in frames]
            lo, hi = metric_scale(key) or (0.0, _max(series))
            out.append(f"{LABELS[key]:<{NAME_W}}", style="bold")
            for vals in values:
                v = vals.get(key)
                missing = missing or v is None
                out.append(f"{fmt_metric(key, v):>{VALUE_W - 1}} ")
            for s, colour in zip(series, (A_COLOUR, B_COLOUR)):
                out.append(" " + sparkline(s, spark_w, lo, hi), style=colour)
            out.append("\n")
        note = ("— = none yet (step a round)" if all(f.step == 0 for f in frames)
                else "— = not measured in this mode") if missing else ""
        head = "A" if not forked else "A        B"
        out.append(f"{'':<{NAME_W}}{head:>{VALUE_W - 1}}  {note}", style="dim")
        self.update(out, layout=self._relayout_needed(out))


def _max(series: list[list[float]]) -> float:
    vals = [v for s in series for v in s if not math.isnan(v)]
    return max(vals) if vals else 1.0
