"""The max-min-fairness LP over job *classes* instead of jobs: the same optimum, far smaller.

Jobs whose LP rows are identical — the same coefficient row (throughputs, priority weight,
normalisation, scale factor) and the same GPU demand — are interchangeable in the LP, and
the LP is symmetric in them: averaging any optimal allocation over a class keeps every
constraint (capacity counts the class's total demand, rows stay ≤ 1) and the minimum (each
row of the average is the class's mean row value, ≥ the minimum).  So an optimum exists that
gives every job of a class the same shares, and solving one row per class — with the class
size folded into its capacity row — finds the same optimal value over a few hundred rows
instead of thousands (Gavel's 26 job types × 6 sizes bound the classes).

The allocation it returns is *an* optimum, usually not the vertex a per-job solve lands
on; the round mechanism's priorities read the allocation, so round-mode results differ
from a per-job solve.  Gavel's own mode (sharing off and Gavel's placement) keeps the
per-job ECOS path bit for bit; round mode always solves over classes (the policy's
``gavel_exact`` is False there).  ``tests/test_class_lp.py`` checks the optimal values
agree on random instances and that every per-job constraint holds.
"""

from __future__ import annotations

import numpy as np


def reduce_to_classes(coefficients: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class coefficients, class capacity rows = class size × demand, job → class index).

    ``capacity`` is the per-job demand matrix (jobs × types, each row constant)."""
    key = np.ascontiguousarray(np.column_stack([coefficients, capacity[:, :1]]))
    rows = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()   # one bytes key per row
    _, first, inverse, counts = np.unique(rows, return_index=True, return_inverse=True, return_counts=True)
    uniq = key[first]
    n = coefficients.shape[1]
    class_capacity = np.repeat((uniq[:, -1] * counts)[:, None], n, axis=1)
    return uniq[:, :-1], class_capacity, inverse.reshape(-1)
