"""LP solves whose status is never silent: retry a non-optimal answer, and say so.

ECOS is Gavel's solver and stays first (Gavel's results depend on its exact floats).  When
it answers anything but ``optimal`` (``optimal_inaccurate`` happens at a few thousand
jobs), the same problem is handed to the next installed solver of :data:`FALLBACK_ORDER`:
Clarabel first (an interior-point solver like ECOS, numerically more robust on
ill-conditioned LPs, and cvxpy's default LP solver since 1.5), then SCS (first-order,
lower accuracy, but it always returns).  The first optimal answer wins; if none is
optimal, the configured solver's answer is kept and marked inaccurate.  In Gavel's own
mode (sharing off, Gavel's placement) there is no retry — Gavel kept ECOS's inaccurate
answers, and its results are reproduced to the last digit — but the status is counted all
the same.  Every solve leaves a :class:`SolveInfo` on the policy (``last_solve``); the
simulation counts them (``summary.json``: ``lp_solves``, ``lp_non_optimal``,
``lp_solvers``) and the event log says when an allocation came from a fallback or is
inaccurate.  No warning is printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import numpy as np

FALLBACK_ORDER = ("CLARABEL", "SCS")


@dataclass(frozen=True)
class SolveInfo:
    """How one allocation LP was solved: every (solver, status) tried, in order."""

    tried: tuple[tuple[str, str], ...]
    used: int = 0                     # the index in ``tried`` whose answer was used

    @property
    def solver(self) -> str:
        return self.tried[self.used][0]

    @property
    def status(self) -> str:
        return self.tried[self.used][1]

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def fallback(self) -> bool:
        return self.used > 0

    @property
    def note(self) -> str:
        """"" for a plain optimal solve, else what happened, e.g.
        ``ECOS optimal_inaccurate -> CLARABEL optimal``."""
        if self.optimal and not self.fallback:
            return ""
        steps = " -> ".join(f"{s} {st}" for s, st in self.tried)
        return steps + ("" if self.optimal else f" (inaccurate: used {self.solver}'s answer)")


@lru_cache(maxsize=1)
def installed_solvers() -> tuple[str, ...]:
    import cvxpy as cp
    return tuple(cp.installed_solvers())


def solve_checked(first: tuple[str, Callable[[], tuple[Any, str]]],
                  retry: Callable[[str], tuple[Any, str]] | None) -> tuple[Any, SolveInfo]:
    """Run ``first`` = (solver name, solve()); when its status is not optimal and
    ``retry`` is given, call ``retry(solver)`` for each installed fallback solver in
    order until one is optimal.  Returns the answer used and how it was found."""
    name, solve = first
    value, status = solve()
    tried, answers = [(name, status)], [value]
    if status != "optimal" and retry is not None:
        for other in FALLBACK_ORDER:
            if other == name or other not in installed_solvers():
                continue
            v, st = retry(other)
            tried.append((other, st))
            answers.append(v)
            if st == "optimal":
                return v, SolveInfo(tuple(tried), len(tried) - 1)
    return answers[0], SolveInfo(tuple(tried), 0)


def cvxpy_solve(problem: Any, x: Any, solver: str) -> tuple[np.ndarray | None, str]:
    """Solve a cvxpy problem with one solver, quietly: (x's value, cvxpy's status)."""
    import warnings
    from cvxpy.error import SolverError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            problem.solve(solver=solver)
        except SolverError as exc:
            return None, f"error ({exc})"
    value = x.value
    return (None if value is None else np.array(value)), str(problem.status)
