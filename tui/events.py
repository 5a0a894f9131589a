"""The event log: lines (round, kind, text) told from the arms' round summaries.

Why from summaries: they are all an arm keeps of past rounds (and all the parent has of an
arm in another process), so the log reads the same for either kind of arm, and after a
rewind it is simply the lines of the rounds that remain.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .fmt import fmt_duration
from .frames import RoundSummary

_EVENT_PLACEMENTS_SHOWN = 6   # placements listed per round in the event log


def event_lines(history: Sequence[RoundSummary], after_step: int = -1,
                limit: int = 400) -> list[tuple[int, str, str]]:
    """Event-log lines (round, kind, text) for rounds after ``after_step``, newest last."""
    chunks: list[list[tuple[int, str, str]]] = []
    count = 0
    for i in range(len(history) - 1, -1, -1):
        s = history[i]
        if s.step <= after_step or s.step == 0 or count >= limit:
            break
        lines = list(describe_round(s, history[i - 1] if i else None))
        chunks.append(lines)
        count += len(lines)
    out = [line for chunk in reversed(chunks) for line in chunk]
    return out[-limit:]


def describe_round(s: RoundSummary, prev: RoundSummary | None = None) -> Iterable[tuple[int, str, str]]:
    """Event-log lines for one round: LP recomputes, arrivals, completions, placements,
    and jobs rejected since ``prev`` (e.g. by a fork that turned sharing on, where a
    job must fit on one server)."""
    r = s.step
    lost = int(s.metrics.get("rejected", 0) - (prev.metrics.get("rejected", 0) if prev else 0))
    if lost > 0:
        yield r, "rejected", f"{lost} job(s) rejected: they can never run in this mode"
    if s.arrivals:
        ids = ", ".join(str(j) for j in s.arrivals[:8]) + (" …" if len(s.arrivals) > 8 else "")
        yield r, "arrival", f"{len(s.arrivals)} arrived: {ids}"
    for j, jct in s.completions:
        yield r, "completion", (f"job {j} done, JCT {fmt_duration(jct)}" if jct is not None
                                else f"job {j} dropped (failed)")
    if s.recomputed:
        yield r, "lp", "LP allocation recomputed" + (f" (solver: {s.lp_note})" if s.lp_note else "")
    if s.moved:
        shown = s.moved[:_EVENT_PLACEMENTS_SHOWN]
        text = "; ".join(f"{j}→{_gpus(g)}" for j, g in shown)
        more = f" (+{len(s.moved) - len(shown)} more)" if len(s.moved) > len(shown) else ""
        yield r, "placement", f"placed {text}{more}"


def _gpus(gpus: tuple[int, ...]) -> str:
    if len(gpus) > 2 and list(gpus) == list(range(gpus[0], gpus[0] + len(gpus))):
        return f"g{gpus[0]}-{gpus[-1]}"
    return ",".join(f"g{g}" for g in gpus)
