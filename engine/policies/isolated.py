"""Gavel's Isolated policy: a static equal split, no LP."""

from __future__ import annotations

from .base import Allocation, AllocationInputs, Policy, isolated_allocation


class Isolated(Policy):
    gavel_name = "Isolated"
    shuffle_gpu_types = True
    # Gavel divides the equal split by its largest row sum, which scales it *up* when the
    # cluster has fewer GPUs than the jobs ask for: its Σ demand·x then exceeds capacity
    # (2.4x on teach/tiny-packing with every job at t = 0).  Declared, not clipped.
    may_exceed_capacity = True

    def get_allocation(self, inputs: AllocationInputs) -> Allocation:
        if not inputs.job_ids:
            return {}
        x = isolated_allocation(inputs, len(inputs.job_ids), inputs.scale_factor_matrix())
        return self.unflatten(x, inputs)
