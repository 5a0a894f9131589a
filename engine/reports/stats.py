"""Statistics the reports print: confidence intervals over a handful of seeds."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

#: The confidence level of every interval in the reports.
CONF = 0.95


def t_interval(values: Sequence[float], conf: float = CONF) -> tuple[float, float, float] | None:
    """(mean, low, high) of a t-based confidence interval; None with < 2 values.
    Seeds are few (3 in the shipped sweep), so the normal 1.96 would be far too narrow."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if x.size < 2:
        return None
    from scipy import stats
    m = float(x.mean())
    half = float(stats.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half
