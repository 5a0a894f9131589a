"""Allocation policies: how much time each job gets on each GPU type.

Names are Gavel's CLI names, so a Gavel command line maps one-to-one onto a scenario.
Every policy — Gavel's, and any user's ``allocate(problem)`` class — is found through one
registry (:mod:`.registry`) and called through one checked contract (:mod:`.contract`).
Policies are plain objects whose state (FIFO's queue) deep-copies with the simulation,
so clones continue exactly as the original would.
"""

from __future__ import annotations

from .base import Allocation, AllocationInputs, Policy
from .contract import AllocationProblem, run_policy
from .registry import REGISTRY, make_policy, policy_names

SOLVERS: tuple[str, ...] = ("ECOS", "CLARABEL", "SCS", "HIGHS")

__all__ = ["Allocation", "AllocationInputs", "AllocationProblem", "Policy", "REGISTRY", "SOLVERS",
           "make_policy", "policy_names", "run_policy"]
