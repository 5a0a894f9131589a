"""Policy registry: scenario ``policy:`` names to policy objects.

Names are Gavel's CLI names so that a Gavel command line maps one-to-one onto a
scenario.  Policies are plain objects whose state (FIFO's queue) deep-copies with
the simulation, so clones continue exactly as the original would.
"""

from __future__ import annotations

from typing import Callable

from .base import Allocation, AllocationInputs, Policy
from .fifo import Fifo, FifoPerf
from .finish_time_fairness import FinishTimeFairness, FinishTimeFairnessPerf
from .isolated import Isolated
from .max_min_fairness import MaxMinFairness, MaxMinFairnessPerf
from .max_sum_throughput import MaxSumThroughputPerf

_FACTORIES: dict[str, Callable[[str, int], Policy]] = {
    "max_min_fairness": lambda solver, seed: MaxMinFairness(solver),
    "max_min_fairness_perf": lambda solver, seed: MaxMinFairnessPerf(solver),
    "fifo": lambda solver, seed: Fifo("base", seed),
    "fifo_perf": lambda solver, seed: FifoPerf(seed),
    "isolated": lambda solver, seed: Isolated(),
    "max_sum_throughput_perf": lambda solver, seed: MaxSumThroughputPerf(solver),
    "finish_time_fairness": lambda solver, seed: FinishTimeFairness(solver),
    "finish_time_fairness_perf": lambda solver, seed: FinishTimeFairnessPerf(solver),
}

POLICY_NAMES: tuple[str, ...] = tuple(sorted(_FACTORIES))
SOLVERS: tuple[str, ...] = ("ECOS", "CLARABEL", "SCS", "HIGHS")


def make_policy(name: str, solver: str = "ECOS", seed: int = 0) -> Policy:
    """Build a policy by its Gavel CLI name (validated by the scenario loader)."""
    return _FACTORIES[name](solver, seed)


__all__ = ["Allocation", "AllocationInputs", "Policy", "POLICY_NAMES", "SOLVERS", "make_policy"]
