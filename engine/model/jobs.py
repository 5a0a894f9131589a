"""Jobs: the static description of one training job, and Gavel's job-template table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """One job as it arrives.  Immutable: run-time progress lives in the engine state.

    ``total_steps`` stays an ``int`` for trace jobs and a ``float`` for generated ones,
    exactly as in Gavel, because remaining-step arithmetic depends on it.
    """

    job_id: int
    job_type: str
    scale_factor: int
    total_steps: float
    arrival_time: float
    priority_weight: float = 1.0
    duration: float | None = None
    gpu_milli: int = 1000
    cpu_milli: int = 0
    memory_mib: int = 0
    allowed_models: tuple[str, ...] | None = None

    def __deepcopy__(self, memo: dict) -> "Job":
        return self  # immutable: clones and snapshots share job objects

    @property
    def key(self) -> tuple[str, int]:
        """Throughput-table key (model, scale factor)."""
        return (self.job_type, self.scale_factor)


@dataclass(frozen=True)
class JobTemplate:
    model: str
    distributed: bool


def _templates() -> tuple[JobTemplate, ...]:
    out: list[JobTemplate] = []
    for bs in (16, 32, 64, 128, 256):
        out.append(JobTemplate(f"ResNet-18 (batch size {bs})", True))
    for bs in (16, 32, 64, 128):
        out.append(JobTemplate(f"ResNet-50 (batch size {bs})", True))
    for bs in (16, 32, 64, 128, 256):
        out.append(JobTemplate(f"Transformer (batch size {bs})", True))
    for bs in (5, 10, 20, 40, 80):
        out.append(JobTemplate(f"LM (batch size {bs})", True))
    for bs in (512, 1024, 2048, 4096, 8192):
        out.append(JobTemplate(f"Recommendation (batch size {bs})", False))
    out.append(JobTemplate("A3C", False))
    out.append(JobTemplate("CycleGAN", False))
    return tuple(out)


# Gavel's JobTable (scheduler/job_table.py).  The order matters: the generator draws
# ``rng.choice`` over this tuple, so reordering it changes every generated workload.
JOB_TABLE: tuple[JobTemplate, ...] = _templates()
