"""The decision log: every change of where a job runs, one row per decision.

A decision (``../shared/spec/debugger.md`` §2, README "Decision logs") is

* ``placed``    — a job gets GPUs it did not hold last round: a start or a restart;
* ``moved``     — a running job continues on other GPUs;
* ``preempted`` — a job loses its GPUs without finishing;
* ``finished``  — a job completes (``failed``: it is dropped after too many failed
  attempts, Gavel's ``MAX_FAILED_ATTEMPTS``).

A job that keeps its GPUs (a lease extension) makes no decision.  Rows are ordered by
round, then within a round: finished / failed / preempted (what the round took away, in
last round's placement order), then placed / moved (in this round's placement order).

The log records what a decision *is*, not why: recording compares this round's
assignment with the last one — a walk the round already does for its lease count — so
it costs little.  ``rule`` and ``score`` carry the placement's reason and winning score
for every placement the round explained: all of them with ``Simulation(...,
explain=True)`` (the app), else the round's first new placement (explained so that a
plug-in's ``explain()`` runs in every recorded run); the others name the placement that
decided, with no score.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

PLACED, MOVED, PREEMPTED, FINISHED, FAILED = "placed", "moved", "preempted", "finished", "failed"
ACTIONS = (PLACED, MOVED, PREEMPTED, FINISHED, FAILED)
# decisions.parquet's columns, in order (a public interface: README "Decision logs")
DECISION_COLUMNS = ("round", "time_s", "job_id", "action", "gpu_type", "server", "gpus", "rule", "score")


@dataclass(frozen=True)
class DecisionRow:
    """One decision, as the API and decisions.parquet give it.  ``gpus`` are global GPU
    ids (the ones lost for ``preempted`` / ``finished``); ``server`` is -1 when the job
    holds none; ``score`` is None when it was not recorded."""

    round: int
    time_s: float
    job_id: int
    action: str
    gpu_type: str
    server: int
    gpus: tuple[int, ...]
    rule: str
    score: float | None


def keeps_gpus(prev: tuple[int, ...], gpus: tuple[int, ...]) -> bool:
    """True when a job holds the same GPUs as last round (in any order): a lease
    extension, no decision.  (Identity and equality first: the common case, cheaply.)"""
    return prev is gpus or prev == gpus or set(prev) == set(gpus)


def round_changes(prev: dict[int, tuple[int, ...]], new: dict[int, tuple[int, ...]],
                  ended: dict[int, bool]) -> tuple[list[tuple[int, str, tuple[int, ...]]], int]:
    """One round's decisions as (job, action, GPUs), in the log's order, and how many
    jobs kept their GPUs (the lease extensions summary.json counts): ``prev`` and
    ``new`` are last and this round's assignments (job → global GPU ids), ``ended`` the
    jobs that completed at this round's start (job → True when it finished, False when
    it failed).  One walk serves the log, the fingerprint and the lease count."""
    out: list[tuple[int, str, tuple[int, ...]]] = []
    for j, gpus in prev.items():
        if j not in new:
            end = ended.get(j)
            out.append((j, PREEMPTED if end is None else FINISHED if end else FAILED, gpus))
    kept = 0
    for j, gpus in new.items():
        p = prev.get(j)
        if p is None:
            out.append((j, PLACED, gpus))
        elif keeps_gpus(p, gpus):
            kept += 1
        else:
            out.append((j, MOVED, gpus))
    return out, kept


def fingerprint(changes: Sequence[tuple[int, str, tuple[int, ...]]]) -> str:
    """A round's decision fingerprint (debugger.md §2): 16 hex digits of a BLAKE2b hash
    over its decisions (job, action, GPUs, in order); ``""`` for a round without any.
    Two runs of one scenario agree up to round r exactly when these agree up to r
    (given the same start, the decisions determine where every job runs)."""
    if not changes:
        return ""
    text = ";".join(f"{j} {a} {','.join(map(str, g))}" for j, a, g in changes)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def round_decisions(round_index: int, time_s: float, changes: Sequence[tuple[int, str, tuple[int, ...]]],
                    why: Callable[[int], tuple[str, float | None]]) -> list[tuple]:
    """The round's decisions as the log's compact tuples ``(round, time, job, action,
    GPUs, rule, score)``; ``why(job)`` gives (rule, score) of a placed or moved job."""
    rows: list[tuple] = []
    for j, action, gpus in changes:
        rule, score = why(j) if action in (PLACED, MOVED) else ("", None)
        rows.append((round_index, time_s, j, action, gpus, rule, score))
    return rows


def decision_rows(log: Iterable[tuple], gpu_type_of: Sequence[str], server_of: Sequence[int]) -> list[DecisionRow]:
    """The compact log as :class:`DecisionRow` values (GPU type and server from the
    cluster's per-GPU tables)."""
    out = []
    for r, t, j, action, gpus, rule, score in log:
        g = gpus[0] if gpus else -1
        out.append(DecisionRow(r, t, j, action, gpu_type_of[g] if g >= 0 else "", server_of[g] if g >= 0 else -1,
                               tuple(gpus), rule, score))
    return out


def decisions_parquet(rows: Sequence[DecisionRow]) -> bytes:
    """decisions.parquet's bytes: the columns of :data:`DECISION_COLUMNS`, fixed types
    (``gpus`` comma-separated, ``score`` nullable), the same bytes for the same rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    schema = pa.schema([("round", pa.int64()), ("time_s", pa.float64()), ("job_id", pa.int64()),
                        ("action", pa.string()), ("gpu_type", pa.string()), ("server", pa.int64()),
                        ("gpus", pa.string()), ("rule", pa.string()), ("score", pa.float64())])
    cols = {
        "round": [d.round for d in rows], "time_s": [d.time_s for d in rows], "job_id": [d.job_id for d in rows],
        "action": [d.action for d in rows], "gpu_type": [d.gpu_type for d in rows],
        "server": [d.server for d in rows], "gpus": [",".join(map(str, d.gpus)) for d in rows],
        "rule": [d.rule for d in rows], "score": [d.score for d in rows],
    }
    buf = io.BytesIO()
    pq.write_table(pa.table(cols, schema=schema), buf, compression="zstd")
    return buf.getvalue()


__all__ = ["ACTIONS", "DECISION_COLUMNS", "DecisionRow", "decision_rows", "decisions_parquet", "fingerprint",
           "keeps_gpus", "round_changes", "round_decisions"]
