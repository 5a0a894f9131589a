"""Gavel's FIFO policy: jobs in arrival (ID) order, each pinned to one GPU type.

Stateful, like Gavel's: in base mode a running job keeps its type until it
completes, and freed GPUs go to the next queued job.

Deliberate difference from Gavel (gavel.md §12.10): Gavel's base mode draws a random
type index but then uses a stale loop variable, so its initial fill puts every job
on the last type (v100).  Here the randomly drawn type is used.  Likewise a job is
never pinned to a type on which its throughput is zero (Gavel would pin it and it
would never run); only workloads with such zeros can tell the difference.  And a refill counts every
running job before it hands freed GPUs out, so the allocation never asks for more
GPUs of a type than exist (Gavel's can).
"""

from __future__ import annotations

import random

from .base import Allocation, AllocationInputs, Policy


class Fifo(Policy):
    gavel_name = "FIFO"
    shuffle_gpu_types = True
    skip_zero_priority = True

    def __init__(self, mode: str = "base", seed: int | None = None) -> None:
        self.mode = mode
        self._allocation: dict[int, str] = {}
        self._rng = random.Random(seed)

    def setup(self, run) -> None:
        super().setup(run)
        self._rng = random.Random(run.seed)

    def get_allocation(self, inputs: AllocationInputs) -> Allocation:
        throughputs = inputs.throughputs
        scale_factors = inputs.scale_factors
        available = dict(inputs.cluster_spec)
        if self.mode != "base":
            self._allocation = {}
        queue = [j for j in sorted(throughputs) if j not in self._allocation]
        # Jobs that keep running hold their GPUs first.  Deliberate difference from
        # Gavel: Gavel subtracts them in the same ID-order walk that hands out freed
        # GPUs, so a completed job with a low ID can hand its type to the queue head
        # before later running jobs are counted, and the allocation then asks for more
        # GPUs of that type than exist (Gavel's mechanism drops the excess silently;
        # fragscope's contract rejects it).
        for job_id, worker_type in self._allocation.items():
            if job_id in throughputs:
                available[worker_type] -= scale_factors[job_id]
        for job_id in sorted(self._allocation):
            worker_type = self._allocation[job_id]
            if job_id not in throughputs:  # completed: hand its GPUs to the queue head
                # Deliberate difference: Gavel hands the freed type to the head even when
                # the head cannot run there, and that job then never runs.  Such a head
                # stays queued for a type it can use.
                if queue and throughputs[queue[0]][worker_type] > 0:
                    nxt = queue.pop(0)
                    if scale_factors[nxt] <= available[worker_type]:
                        self._allocation[nxt] = worker_type
                        available[worker_type] -= scale_factors[nxt]
                del self._allocation[job_id]
        types = sorted(w for w in available if available[w] > 0)
        while queue and types:
            job_id = queue.pop(0)
            scale = scale_factors[job_id]
            # Only types the job can run on (Gavel considers every type, so a job pinned
            # to a zero-throughput type would never run; no Gavel run finishes that way).
            fitting = [(i, w) for i, w in enumerate(types)
                       if available[w] >= scale and throughputs[job_id][w] > 0]
            if not fitting:
                break
            if self.mode == "base":
                idx = self._rng.randrange(len(fitting))
            else:
                idx, best = 0, -1.0
                for k, (_, w) in enumerate(fitting):
                    if throughputs[job_id][w] > best:
                        best, idx = throughputs[job_id][w], k
            orig_index, worker_type = fitting[idx]
            self._allocation[job_id] = worker_type
            available[worker_type] -= scale
            if available[worker_type] == 0:
                types.pop(orig_index)
        out: Allocation = {j: {w: 0.0 for w in inputs.cluster_spec} for j in throughputs}
        for job_id, worker_type in self._allocation.items():
            out[job_id][worker_type] = 1.0
        return out


class FifoPerf(Fifo):
    gavel_name = "FIFO_Perf"
    shuffle_gpu_types = False

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(mode="perf", seed=seed)
