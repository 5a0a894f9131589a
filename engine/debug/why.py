"""Why is this job waiting?  A job's state at a round and, when it waits, the reason
from the mechanism down (debugger.md §3):

1. ``not_arrived`` / ``finished`` / ``running`` / ``placed`` (got GPUs this round);
2. ``no_share``: the LP gave it no time on any GPU type it can run on — usually because
   it arrived after the last recompute (Gavel recomputes at most every
   ``reset_interval_seconds``, 1 920 s): when that was, and the round of the next;
3. ``not_selected``: it has a share but each type's walk spent the budget first — its
   priority, its rank, the budget left when the walk reached it;
4. ``not_placeable``: selected for a type, but no server of it could take the job —
   the servers counted by the first check each fails, and the nearest server.

Answered on a simulation that has just stepped the round with explanations on
(:func:`explain_job`), or by replaying a run folder or scenario (:func:`why`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.decisions import MOVED, PLACED
from ..core.selection_trace import SelectionTrace, TypeWalk
from ..core.simulation import Simulation
from ..model.errors import InputError
from ..placement.blocking import check_words
from .replay import Source, open_source, replay, replay_to

if TYPE_CHECKING:
    from ..placement.round import PlacementRecord

JOB_STATES = ("not_arrived", "pending", "placed", "running", "finished")
NEXT_LP_LOOKAHEAD = 500   # rounds looked ahead for the next LP recompute
TEXT_CANDIDATES = 10      # candidates the text form lists (--json has them all, up to 200)


@dataclass(frozen=True)
class Reason:
    """One line of an answer: ``kind`` (no_share, not_selected, not_placeable, placed,
    running, finished, failed, rejected, not_arrived), the words, and the figures."""

    kind: str
    text: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WhyAnswer:
    """A job's state at a round (one of :data:`JOB_STATES`), a one-line ``summary`` (for
    tables and the app) and the ``reasons``, the first the mechanism's walk found first."""

    job_id: int
    round: int
    time_s: float
    state: str
    summary: str
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: ``state``, ``reasons`` (each with ``kind``, ``text``,
        ``details``), plus the job, round, time and the one-line summary."""
        return {"job_id": self.job_id, "round": self.round, "time_s": self.time_s, "state": self.state,
                "summary": self.summary, "reasons": [asdict(r) for r in self.reasons]}

    def text(self) -> str:
        """The readable form: a heading line, then one indented block per reason."""
        lines = [f"job {self.job_id} at round {self.round} (t={self.time_s:g} s): {self.state.upper()} — "
                 f"{self.summary}"]
        for r in self.reasons:
            lines.append(f"  [{r.kind}] {r.text}")
            for key, value in r.details.items():
                if key in ("counts", "walks", "candidates"):
                    shown = value[:TEXT_CANDIDATES] if key == "candidates" else value
                    if key == "candidates":
                        lines.append(f"      candidates, highest score first (the winner first), "
                                     f"{len(shown)} of {len(value)}:")
                    for item in shown:
                        lines.append("      " + "  ".join(f"{k}={v}" for k, v in item.items()))
                elif key not in ("nearest_text", "rejected"):
                    lines.append(f"      {key}: {value}")
        return "\n".join(lines)


def explain_job(sim: Simulation, job_id: int, lookahead: int = NEXT_LP_LOOKAHEAD) -> WhyAnswer:
    """The answer for ``job_id`` on ``sim`` as it stands: right after a step, which
    should have been explained (``sim.explain`` on) for the pending reasons to be
    complete — without it, steps 3–4 say that the round was not explained.  The round
    of the next LP recompute is found by stepping a copy up to ``lookahead`` rounds
    (0: only the time it is due, as the app's inspector asks)."""
    s = sim.state
    r, now = s.num_steps - 1, s.now
    if job_id in s.jct:
        return _ended(sim, job_id, r, now)
    if job_id not in s.jobs:
        return WhyAnswer(job_id, r, now, "not_arrived", "has not arrived yet", (Reason(
            "not_arrived", _arrival_text(sim, job_id)),))
    changes = {j: a for j, a, _ in s.last_changes}
    gpus = s.assignments.get(job_id)
    if gpus is not None:
        return _holding(sim, job_id, r, now, gpus, changes.get(job_id) in (PLACED, MOVED))
    return _pending(sim, job_id, r, now, lookahead)


def why(source: str | Path, job_id: int, round_index: int | None = None,
        overrides: list[str] | None = None) -> WhyAnswer:
    """The answer for ``job_id`` at ``round_index`` of a run folder or a scenario,
    by replay; without a round, at the round the job arrived in (its first chance)."""
    src = open_source(source, overrides)
    if round_index is None:
        round_index = _arrival_round(src, job_id)
    return explain_job(replay_to(src, round_index), job_id)


def explain_round(source: str | Path, round_index: int,
                  overrides: list[str] | None = None) -> dict[int, "PlacementRecord"]:
    """The full placement explanation of every job placed or moved in round
    ``round_index`` — every candidate scored, the winner first, the servers rejected by
    check, the rule and ties — recomputed by replay: exactly what a run explaining
    every round would have recorded (tests/test_why.py checks it)."""
    sim = replay_to(open_source(source, overrides), round_index)
    placer = sim.state.placer
    records = placer.records if placer is not None else {}
    moved = [j for j, action, _ in sim.state.last_changes if action in (PLACED, MOVED)]
    return {j: records[j] for j in moved if j in records and records[j].round == round_index}


def _arrival_round(src: Source, job_id: int) -> int:
    last = -1
    for sim, report in replay(src):
        last = report.index
        if job_id in sim.state.start_ts or job_id in sim.state.jct:
            return report.index
    raise InputError("--job", f"job {job_id} does not arrive within the {last + 1} rounds of {src.label}; "
                     "job ids are those of jobs.csv and the app's job table")


def _arrival_text(sim: Simulation, job_id: int) -> str:
    jobs = getattr(sim.config.workload, "jobs", None)
    if jobs is not None:
        if not 0 <= job_id < len(jobs):
            raise InputError("--job", f"job {job_id} is not in this trace (jobs 0–{len(jobs) - 1})")
        return f"it arrives at t={jobs[job_id].arrival_time:g} s"
    return f"{sim.state.num_generated} jobs have been generated so far (ids 0–{sim.state.num_generated - 1})"


def _ended(sim: Simulation, j: int, r: int, now: float) -> WhyAnswer:
    s = sim.state
    jct = s.jct[j]
    if jct is not None:
        where = _where(sim, s.last_gpus.get(j, ()))
        return WhyAnswer(j, r, now, "finished", f"finished at t={s.completion_time[j]:g} s (JCT {jct:g} s)",
                         (Reason("finished", f"completed at t={s.completion_time[j]:g} s; ran last on {where}",
                                 {"jct_s": jct}),))
    if j in s.last_gpus or s.failures.get(j):
        return WhyAnswer(j, r, now, "finished", "dropped after failed attempts", (Reason(
            "failed", "dropped after too many failed attempts (Gavel's MAX_FAILED_ATTEMPTS)"),))
    return WhyAnswer(j, r, now, "finished", "rejected on arrival", (Reason(
        "rejected", "rejected on arrival: no GPU type can ever host it in this mode "
        "(e.g. more GPUs than any server has, with sharing on)"),))


def _where(sim: Simulation, gpus: tuple[int, ...]) -> str:
    if not gpus:
        return "no GPUs"
    c = sim.mech.cluster
    return f"server {c.server_of[gpus[0]]} ({c.gpu_type_of[gpus[0]]}) GPUs {','.join(map(str, gpus))}"


def _holding(sim: Simulation, j: int, r: int, now: float, gpus: tuple[int, ...], new: bool) -> WhyAnswer:
    s = sim.state
    where = _where(sim, gpus)
    reasons = []
    rec = s.placer.records.get(j) if s.placer is not None else None
    if new and rec is not None and rec.round == r:
        ranked = [{"server": c[0], "gpu": c[1], "score": c[2], "delta": c[3]} for c in rec.candidates]
        rejected = [{"check": k, "nodes": n} for k, n in rec.rejected]
        text = (f"placed on {where} by {rec.placement}: {rec.rule}; {rec.feasible} {rec.gpu_type} server(s) "
                f"could take it" + (", " + ", ".join(f"{n} {check_words(k)}" for k, n in rec.rejected)
                                    if rec.rejected else ""))
        reasons.append(Reason("placed", text, {"score": rec.score, "feasible": rec.feasible,
                                               "rejected": rejected, "candidates": ranked}))
    elif new and s.exact_round:
        reasons.append(Reason("placed", f"placed on {where} by Gavel's own mechanism: last round's GPUs if "
                              "they are free, else the next free GPUs of the type in server order, largest "
                              "jobs first"))
    elif new:
        reasons.append(Reason("placed", f"placed on {where}"))
    else:
        reasons.append(Reason("running", f"runs on {where}, kept from last round (lease extension)"))
    trace = s.selection if isinstance(s.selection, SelectionTrace) and s.selection.round == r else None
    if trace is not None:
        w = sim.mech.cluster.gpu_type_of[gpus[0]]
        walks = [_walk_dict(t) for t in trace.walks_of(j)]
        reasons.append(Reason("gpu_type", f"{w}: the first type in the walk whose budget still had room "
                              "for it (types in walk order: " + ", ".join(trace.types) + ")", {"walks": walks}))
    state = "placed" if new else "running"
    return WhyAnswer(j, r, now, state, f"{'got' if new else 'holds'} {where}", tuple(reasons))


def _walk_dict(t: TypeWalk) -> dict[str, Any]:
    return {"gpu_type": t.gpu_type, "share": round(t.share, 6), "priority": t.priority, "rank": t.rank,
            "of": t.length, "need": t.need, "left": t.left, "budget": t.budget, "unit": t.unit,
            "ran_out_at": t.ran_out_at}


def _pending(sim: Simulation, j: int, r: int, now: float, lookahead: int) -> WhyAnswer:
    s = sim.state
    types = [w for w in sim.mech.worker_types if s.throughputs[j].get(w, 0) > 0]
    shares = {w: s.allocation.get(j, {}).get(w, 0.0) for w in types}
    if not any(v > 0 for v in shares.values()):
        return WhyAnswer(j, r, now, "pending", "no LP share on any GPU type", (_no_share(sim, j, types, lookahead),))
    trace = s.selection if isinstance(s.selection, SelectionTrace) and s.selection.round == r else None
    if trace is None:
        return WhyAnswer(j, r, now, "pending", "has an LP share; this round was not explained", (Reason(
            "not_explained", "the round was stepped without explanations: replay it (fragscope why) "
            "to see the selection walk and the servers"),))
    failed = [w for jj, w in trace.failed if jj == j]
    if failed:
        blocked = s.placer.blocked.get(j) if s.placer is not None else None
        reasons = []
        for w in failed:
            if blocked is None:
                reasons.append(Reason("not_placeable", f"selected for {w}, but no {w} server could take it"))
                continue
            counts = [{"check": k, "nodes": n} for k, n in blocked.counts]
            reasons.append(Reason("not_placeable", f"selected for {w}, but {blocked.summary()}; nearest: "
                                  f"{blocked.nearest_text}",
                                  {"gpu_type": w, "nodes": blocked.nodes, "counts": counts,
                                   "nearest_server": blocked.nearest, "nearest_text": blocked.nearest_text,
                                   "shortfall": dict(zip(("gpus", "milli_gpu", "milli_cpu", "memory_mib"),
                                                         blocked.shortfall))}))
        return WhyAnswer(j, r, now, "pending", reasons[0].text, tuple(reasons))
    walks = trace.walks_of(j)
    parts = [f"{t.gpu_type}: priority {t.priority:.4g}, rank {t.rank} of {t.length}, needs {t.need} {t.unit}, "
             f"{t.left} of {t.budget} left" + (f" (the budget first ran short at rank {t.ran_out_at})"
                                                if t.ran_out_at else "")
             for t in walks]
    text = "has an LP share but the walk spent each type's budget before reaching it (" + "; ".join(parts) + ")"
    if trace.strict:
        text += "; this round was placed strictly by priority (a starving job)"
    return WhyAnswer(j, r, now, "pending", "LP share, not selected: budget spent before its turn", (Reason(
        "not_selected", text, {"walks": [_walk_dict(t) for t in walks]}),))


def _no_share(sim: Simulation, j: int, types: list[str], lookahead: int) -> Reason:
    s = sim.state
    arrived = s.start_ts[j]
    last = next((rec for rec in reversed(s.rounds) if rec.lp_recomputed), None)
    interval = sim.config.reset_interval
    details: dict[str, Any] = {"usable_types": types, "arrived_s": arrived,
                               "reset_interval_s": interval, "policy": sim.policy_name}
    if last is not None:
        details.update(last_lp_round=last.index, last_lp_s=last.time)
    if last is None or last.time < arrived:
        due = (last.time if last is not None else 0.0) + interval
        details["next_lp_due_s"] = due
        nxt = _next_lp_round(sim, lookahead) if lookahead else None
        details["next_lp_round"] = nxt
        if nxt is not None:
            after = f"the next is due at round {nxt}"
        elif lookahead:
            after = f"none within {lookahead} rounds"
        else:
            after = f"the next is due once t ≥ {due:g} s"
        last_text = (f"last ran at round {last.index} (t={last.time:g} s), before the job arrived at "
                     f"t={arrived:g} s" if last is not None else "has not run yet")
        text = (f"the LP gave it no time on {', '.join(types) or 'any type'}: it {last_text}; Gavel's mechanism "
                f"recomputes at most every {interval:g} s, so {after}")
    else:
        text = (f"the LP ran at round {last.index} (t={last.time:g} s), after the job arrived, and gave it no "
                f"time on {', '.join(types) or 'any type'} (policy {sim.policy_name})")
    return Reason("no_share", text, details)


def _next_lp_round(sim: Simulation, lookahead: int) -> int | None:
    probe = sim.clone()
    probe.explain = False
    probe.record_decisions = False
    for _ in range(lookahead):
        if probe.done:
            return None
        if probe.step().allocation_recomputed:
            return probe.state.num_steps - 1
    return None


__all__ = ["JOB_STATES", "Reason", "WhyAnswer", "explain_job", "explain_round", "why"]
