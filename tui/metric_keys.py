"""Which metrics the panels show, and on what scale they are plotted.

One list for the metrics panel, the plots and the A/B delta, so a metric added here shows up
everywhere at once (the engine may not provide every key; the panels skip what is absent).
"""

from __future__ import annotations

#: Metric keys the metrics panel shows, in order; the engine may not provide all.
METRIC_KEYS: tuple[str, ...] = (
    "frag_rate", "frag_amount", "frag_over_total", "utilization", "busy_milli_pct",
    "unalloc_gpu_pct", "partial_gpus", "occupied_nodes", "running", "queued", "completed", "avg_jct_s",
)

#: Keys that are fractions in [0, 1] (shown as %, plotted on a fixed 0..1 scale).
FRACTION_KEYS = frozenset({"utilization"})
#: Keys the engine reports in percent (plotted on a fixed 0..100 scale).
PERCENT_KEYS = frozenset({"frag_rate", "frag_over_total", "unalloc_gpu_pct", "busy_milli_pct"})


def metric_scale(key: str) -> tuple[float, float] | None:
    """Fixed plot range for a metric, or None to scale to the data (0..max of A and B).

    Only 0..1 fractions get a fixed range; percentages such as a 10 % frag rate would be a
    flat line on 0..100, so they scale to the data like counts (shared by A and B).
    """
    return (0.0, 1.0) if key in FRACTION_KEYS else None
