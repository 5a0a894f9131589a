"""The MaxMinFairness LP handed to ECOS directly, without cvxpy's canonicalization.

cvxpy spends ~90 % of each allocation recompute building the problem.  For
``max min_i sum_k C_ik x_ik`` under Gavel's base constraints, cvxpy 1.9 produces a
fixed conic form (checked bitwise by tests/test_mmf_ecos.py and the reference runs):

* variables ``[t, vec(x)]``, with ``x`` flattened column-major (job fastest);
* minimise ``t`` subject to ``G z <= h`` (all rows in the non-negative orthant):
  ``m`` epigraph rows ``-t - sum_k C_ik x_ik <= 0``, then ``-x <= 0`` (column-major),
  then ``n`` capacity rows ``sum_i S_ik x_ik <= N_k``, then ``m`` rows ``sum_k x_ik <= 1``;
* structural zeros (zero coefficients) are left out of the sparse matrix.

Building exactly these arrays and calling ECOS with cvxpy's options yields the very
same floating-point solution, so results stay Gavel-exact while the build drops
from milliseconds to microseconds.  Anything outside this shape uses cvxpy.
"""

from __future__ import annotations

import ecos
import numpy as np
import scipy.sparse as sp


def build_ecos_data(coef: np.ndarray, capacity: np.ndarray, num_workers: list[int]):
    """(c, G, h, dims) exactly as cvxpy 1.9's ECOS interface would pass them."""
    m, n = coef.shape
    mn = m * n
    nvar = 1 + mn
    # Column-major flattening: variable index 1 + k*m + i for x[i, k].
    i_idx = np.tile(np.arange(m), n)
    k_idx = np.repeat(np.arange(n), m)
    col = 1 + k_idx * m + i_idx
    c_flat = coef.T.reshape(-1)          # coef[i, k] at position k*m + i
    s_flat = capacity.T.reshape(-1)
    rows, cols, vals = [], [], []
    # Epigraph rows for t.
    rows.append(np.arange(m)); cols.append(np.zeros(m, dtype=np.int64)); vals.append(-np.ones(m))
    nz = c_flat != 0
    rows.append(i_idx[nz]); cols.append(col[nz]); vals.append(-c_flat[nz])
    rows.append(m + np.arange(mn)); cols.append(col); vals.append(-np.ones(mn))
    nzs = s_flat != 0
    rows.append(m + mn + k_idx[nzs]); cols.append(col[nzs]); vals.append(s_flat[nzs])
    rows.append(m + mn + n + i_idx); cols.append(col); vals.append(np.ones(mn))
    G = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(m + mn + n + m, nvar))
    G.sort_indices()
    h = np.concatenate([np.zeros(m + mn), np.asarray(num_workers, dtype=np.float64), np.ones(m)])
    c = np.zeros(nvar)
    c[0] = 1.0
    dims = {"l": G.shape[0], "q": [], "e": 0}
    return c, G, h, dims


def solve_max_min(coef: np.ndarray, capacity: np.ndarray, num_workers: list[int]) -> tuple[np.ndarray, str]:
    """Solve; returns (x as an m-by-n array, status in cvxpy's words)."""
    m, n = coef.shape
    c, G, h, dims = build_ecos_data(coef, capacity, num_workers)
    sol = ecos.solve(c, G, h, dims, None, None, verbose=False)
    flag = sol["info"]["exitFlag"]
    status = "optimal" if flag == 0 else ("optimal_inaccurate" if flag == 10 else f"ecos_exit_{flag}")
    x = sol["x"][1:].reshape((n, m)).T
    return x, status
