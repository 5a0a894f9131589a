"""Job-size mixes for the generator: what each generated job asks for.

* ``gavel``: Gavel's own draw (scale factor 1/2/4/8, whole GPUs, no CPU/memory);
  the generator's RNG order is untouched, so Gavel runs stay bit-exact.
* ``alibaba-fork``: the Gavel fork's buckets, one uniform draw -> 10 % 0.25 GPU,
  16 % 0.5, 63 % 1, 1 % 2, 2 % 4, 8 % 8 GPUs (sharing.md §2).
* ``openb:<pod list>``: a uniformly drawn GPU pod of an Alibaba pod list, with its
  exact per-GPU milli, GPU count, CPU, memory and allowed models.

The mix replaces the scale-factor draw; the duration, model and priority draws
that follow are Gavel's, in Gavel's order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Demand:
    num_gpus: int
    gpu_milli: int = 1000
    cpu_milli: int = 0
    memory_mib: int = 0
    allowed_models: tuple[str, ...] | None = None


# (upper bound of r, num_gpus, milli): the fork's _generate_scale_factor_alibaba.
_FORK_BUCKETS = ((0.10, 1, 250), (0.26, 1, 500), (0.89, 1, 1000), (0.90, 2, 1000),
                 (0.92, 4, 1000), (1.01, 8, 1000))


def alibaba_fork_demand(rng: random.Random) -> Demand:
    r = rng.uniform(0, 1)
    for upper, k, milli in _FORK_BUCKETS:
        if r < upper:
            return Demand(k, milli)
    return Demand(8, 1000)


@dataclass(frozen=True)
class PodPool:
    """GPU pods of a pod list to sample demands from (exact values)."""

    source: str
    demands: tuple[Demand, ...]

    def draw(self, rng: random.Random) -> Demand:
        return self.demands[rng.randrange(len(self.demands))]


def pod_pool(path: str) -> PodPool:
    from ..model.alibaba import read_pod_list
    from ..model.errors import InputError

    pods = read_pod_list(path)
    demands = []
    for i in range(len(pods)):
        k = int(pods.num_gpu[i])
        if k <= 0:
            continue  # CPU-only pods have no GPU work to simulate in round mode
        spec = pods.gpu_spec[i]
        demands.append(Demand(k, int(pods.gpu_milli[i]) if k == 1 else 1000, int(pods.cpu_milli[i]),
                              int(pods.memory_mib[i]), tuple(spec.split("|")) if spec else None))
    if not demands:
        raise InputError(str(path), "pod list has no GPU pods to sample job demands from")
    return PodPool(str(path), tuple(demands))
