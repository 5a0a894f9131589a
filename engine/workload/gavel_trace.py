"""Gavel's 10-column tab-separated trace format (``utils.parse_trace``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model.errors import InputError

_FIELDS = ("job_type", "command", "working_directory", "num_steps_arg", "needs_data_dir",
           "total_steps", "scale_factor", "priority_weight", "SLO", "arrival_time")


@dataclass(frozen=True)
class TraceJob:
    """One trace line: only the fields the simulator reads."""

    job_type: str
    total_steps: int
    scale_factor: int
    priority_weight: float
    arrival_time: float
    line: int


def read_gavel_trace(path: str | Path, label: str | None = None) -> list[TraceJob]:
    """Parse a trace; job IDs are the line order (0, 1, 2, ...), as in Gavel.

    Arrival times must not decrease (Gavel asserts this); every malformed line is
    reported with its line number and the column that is wrong.
    """
    path = Path(path)
    src = label or str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(src, "trace file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(src, f"cannot read trace file ({exc})") from None
    jobs: list[TraceJob] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.split("\t")
        where = f"{src}:{lineno}"
        if len(parts) != len(_FIELDS):
            raise InputError(where, f"expected {len(_FIELDS)} tab-separated fields "
                             f"({', '.join(_FIELDS)}), got {len(parts)}")
        job_type = parts[0].strip()
        if not job_type:
            raise InputError(where, "job_type (column 1) is empty")
        total_steps = _parse(parts[5], int, where, "total_steps (column 6)", "a positive integer")
        if total_steps <= 0:
            raise InputError(where, f"total_steps (column 6) must be a positive integer, got {total_steps}")
        scale = _parse(parts[6], int, where, "scale_factor (column 7)", "an integer >= 1")
        if scale < 1:
            raise InputError(where, f"scale_factor (column 7) must be an integer >= 1, got {scale}")
        weight = _parse(parts[7], float, where, "priority_weight (column 8)", "a positive number")
        if not weight > 0:
            raise InputError(where, f"priority_weight (column 8) must be > 0, got {parts[7]!r}")
        arrival = _parse(parts[9], float, where, "arrival_time (column 10)", "seconds >= 0")
        if not (arrival >= 0 and arrival != float("inf")):
            raise InputError(where, f"arrival_time (column 10) must be finite seconds >= 0, got {parts[9].strip()!r}")
        if jobs and arrival < jobs[-1].arrival_time:
            raise InputError(where, f"arrival_time {arrival} is earlier than the previous line's "
                             f"{jobs[-1].arrival_time}; arrivals must not decrease")
        jobs.append(TraceJob(job_type, total_steps, scale, weight, arrival, lineno))
    if not jobs:
        raise InputError(src, "trace has no jobs")
    return jobs


def _parse(text: str, kind: type, where: str, column: str, allowed: str):
    try:
        return kind(text.strip())
    except ValueError:
        raise InputError(where, f"{column} must be {allowed}, got {text.strip()!r}") from None
