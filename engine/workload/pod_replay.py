"""Replay an Alibaba pod list in round mode.

Arrival = ``creation_time`` (shifted so the first pod arrives at 0, then divided by
``time_scale``); duration = ``deletion_time - creation_time`` (also scaled), turned
into steps on a reference GPU type at the pod's share.  The trace has no model
names, so each pod gets a Gavel job template drawn from a seeded stream
(distributed templates for multi-GPU pods).  CPU-only pods and pods without a
positive lifetime are left out, and the summary counts them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..model.errors import InputError
from ..model.jobs import JOB_TABLE, Job
from ..model.throughputs import ThroughputTable


@dataclass(frozen=True)
class ReplayResult:
    jobs: list[Job]
    skipped_cpu_only: int
    skipped_no_duration: int


def replay_pods(path: str, table: ThroughputTable, seed: int, time_scale: float = 1.0,
                limit: int | None = None, reference_gpu: str = "v100") -> ReplayResult:
    from ..model.alibaba import read_pod_list

    pods = read_pod_list(path)
    if pods.creation_time is None or pods.deletion_time is None:
        raise InputError(str(path), "pod replay needs creation_time and deletion_time columns "
                         "(the multigpu* lists have none; use workload.generate.mix: openb:... instead)")
    rng = random.Random(seed + 7)
    rows = []
    cpu_only = no_duration = 0
    for i in range(len(pods)):
        k = int(pods.num_gpu[i])
        created, deleted = int(pods.creation_time[i]), int(pods.deletion_time[i])
        if k <= 0:
            cpu_only += 1
            continue
        if created < 0 or deleted <= created:
            no_duration += 1
            continue
        rows.append((created, i))
    rows.sort()
    if limit is not None:
        rows = rows[:limit]
    if not rows:
        raise InputError(str(path), "no GPU pod with a positive lifetime to replay")
    t0 = rows[0][0]
    jobs = []
    for job_id, (created, i) in enumerate(rows):
        k = int(pods.num_gpu[i])
        milli = int(pods.gpu_milli[i]) if k == 1 else 1000
        while True:
            template = rng.choice(JOB_TABLE)
            if k == 1 or template.distributed:
                break
        duration = (int(pods.deletion_time[i]) - created) / time_scale
        steps = duration * table.get(reference_gpu, (template.model, k)) * milli / 1000
        spec = pods.gpu_spec[i]
        jobs.append(Job(job_id=job_id, job_type=template.model, scale_factor=k, total_steps=steps,
                        arrival_time=(created - t0) / time_scale, duration=duration,
                        gpu_milli=milli, cpu_milli=int(pods.cpu_milli[i]),
                        memory_mib=int(pods.memory_mib[i]),
                        allowed_models=tuple(spec.split("|")) if spec else None))
    return ReplayResult(jobs, cpu_only, no_duration)
