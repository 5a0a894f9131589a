"""Gavel's synthetic job generator (``utils.generate_job``) with its exact RNG order.

The draws happen in this order for every job, from one ``random.Random(seed+2)``:
scale-factor uniform (always drawn), duration, model choice (re-drawn until a
distributed template when the scale factor is > 1), then the optional priority draw.
Changing the order changes every generated workload, so it is pinned by tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..model.jobs import JOB_TABLE, Job
from ..model.throughputs import ThroughputTable
from .mixes import Demand, PodPool, alibaba_fork_demand

REFERENCE_GPU_TYPE = "v100"


@dataclass(frozen=True)
class GeneratorConfig:
    lam: float
    window: tuple[int, int]
    multi_gpu: bool = False
    steady_state: bool = False
    multi_priority: bool = False
    fixed_duration: float | None = None
    mix: str = "gavel"                 # "gavel", "alibaba-fork" or "openb"
    pods: PodPool | None = None        # the pool for the "openb" mix
    reference_gpu: str = REFERENCE_GPU_TYPE


def _scale_factor(rng: random.Random) -> int:
    r = rng.uniform(0, 1)
    if 0.7 <= r <= 0.8:
        return 2
    if 0.8 <= r <= 0.95:
        return 4
    if 0.95 <= r:
        return 8
    return 1


def _duration(rng: random.Random) -> float:
    if rng.random() >= 0.8:
        return 60 * (10 ** rng.uniform(3, 4))
    return 60 * (10 ** rng.uniform(1.5, 3))


def generate_job(rng: random.Random, table: ThroughputTable, cfg: GeneratorConfig,
                 job_id: int, arrival: float) -> Job:
    """Draw one job.  A fixed duration replaces the duration draw (no RNG use), as in Gavel.

    For the non-Gavel mixes the duration is the run time on the reference GPU *at
    the job's share*: steps = duration x throughput x milli/1000, so a 0.25-GPU job
    with a 1 h draw runs 1 h on a quarter of a V100 (the fork instead made it 4 h).
    """
    demand: Demand | None = None
    if cfg.mix == "gavel":
        scale = _scale_factor(rng)
    elif cfg.mix == "alibaba-fork":
        demand = alibaba_fork_demand(rng)
        scale = demand.num_gpus
    else:
        demand = cfg.pods.draw(rng)
        scale = demand.num_gpus
    run_time = cfg.fixed_duration if cfg.fixed_duration else _duration(rng)
    if not cfg.multi_gpu and demand is None:
        scale = 1
    while True:
        template = rng.choice(JOB_TABLE)
        if scale == 1 or template.distributed:
            break
    steps = run_time * table.get(cfg.reference_gpu, (template.model, scale))
    weight = 1.0
    if cfg.multi_priority:
        r = rng.uniform(0, 1)
        if 0.0 <= r <= 0.2:
            weight = 5.0
    if demand is None:
        return Job(job_id=job_id, job_type=template.model, scale_factor=scale, total_steps=steps,
                   arrival_time=arrival, priority_weight=weight, duration=run_time)
    steps = steps * demand.gpu_milli / 1000
    return Job(job_id=job_id, job_type=template.model, scale_factor=scale, total_steps=steps,
               arrival_time=arrival, priority_weight=weight, duration=run_time,
               gpu_milli=demand.gpu_milli, cpu_milli=demand.cpu_milli,
               memory_mib=demand.memory_mib, allowed_models=demand.allowed_models)
