"""Gavel's synthetic job generator (``utils.generate_job``) with its exact RNG order.

The draws happen in this order for every job, from one ``random.Random(seed+2)``:
scale-factor uniform (always drawn), duration, model choice (re-drawn until a
distributed template when the scale factor is > 1), then the optional priority draw.
Changing the order changes every generated workload, so it is pinned by tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..jobs import JOB_TABLE, Job
from ..throughputs import ThroughputTable

REFERENCE_GPU_TYPE = "v100"


@dataclass(frozen=True)
class GeneratorConfig:
    lam: float
    window: tuple[int, int]
    multi_gpu: bool = False
    steady_state: bool = False
    multi_priority: bool = False
    fixed_duration: float | None = None


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
    """Draw one job.  A fixed duration replaces the duration draw (no RNG use), as in Gavel."""
    scale = _scale_factor(rng)
    run_time = cfg.fixed_duration if cfg.fixed_duration else _duration(rng)
    if not cfg.multi_gpu:
        scale = 1
    while True:
        template = rng.choice(JOB_TABLE)
        if scale == 1 or template.distributed:
            break
    steps = run_time * table.get(REFERENCE_GPU_TYPE, (template.model, scale))
    weight = 1.0
    if cfg.multi_priority:
        r = rng.uniform(0, 1)
        if 0.0 <= r <= 0.2:
            weight = 5.0
    return Job(job_id=job_id, job_type=template.model, scale_factor=scale, total_steps=steps,
               arrival_time=arrival, priority_weight=weight, duration=run_time)
