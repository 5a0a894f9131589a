"""First divergence: where two runs of one world first decide differently, and what
differed upstream (debugger.md §4).

Two runs are comparable when they schedule the same jobs on the same cluster — the
same ``cluster``, ``workload``, ``throughputs``, ``seed``, ``round_seconds`` and
``reset_interval_seconds`` — and may differ in how they schedule (sharing, placement,
policy, LP capacity, solver, parameters).  The rounds are walked together; the first
round whose fingerprints differ (by default the decisions only; ``lp`` adds the LP
shares) is the divergence round.  There both runs are replayed with explanations on,
and the answer names the first differing decision and the first difference upstream
in mechanism order: the LP shares, the selection, the placement.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.selection_trace import SelectionTrace
from ..core.simulation import Simulation
from ..model.errors import InputError
from .replay import Source, open_source, replay, replay_to

SAME_WORLD = ("cluster", "workload", "throughputs", "seed", "round_seconds", "reset_interval_seconds")
INGREDIENTS = ("decisions", "lp")
SHARE_DECIMALS = 6
SIDE_BY_SIDE = 20   # differing decisions shown in the text form


@dataclass(frozen=True)
class Divergence:
    """The answer.  ``identical`` with ``round`` None when no round differs; else the
    round, the first differing job (None when only the LP differs) and each side's
    decision for it, and ``upstream``: what differed first in the mechanism."""

    identical: bool
    rounds_compared: int
    ingredients: tuple[str, ...]
    round: int | None = None
    time_s: float | None = None
    job_id: int | None = None
    a: str = ""
    b: str = ""
    decisions_a: tuple[str, ...] = ()
    decisions_b: tuple[str, ...] = ()
    upstream: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"identical": self.identical, "round": self.round, "job_id": self.job_id, "time_s": self.time_s,
                "a": self.a, "b": self.b, "rounds_compared": self.rounds_compared,
                "ingredients": list(self.ingredients), "decisions_a": list(self.decisions_a),
                "decisions_b": list(self.decisions_b), "upstream": self.upstream, "note": self.note}

    def headline(self) -> str:
        """'round 37, job 812: server 114 GPUs 3 → server 90 GPUs 0,1' (or 'identical')."""
        if self.identical:
            return f"identical: {self.rounds_compared} rounds, the same decisions" + (
                " and LP shares" if "lp" in self.ingredients else "")
        if self.job_id is None:
            return f"round {self.round}: {self.note}"
        return f"round {self.round}, job {self.job_id}: {self.a} → {self.b}"

    def text(self) -> str:
        lines = [self.headline()]
        if self.identical:
            return lines[0]
        if self.note and self.job_id is not None:
            lines.append(f"  {self.note}")
        if not self.decisions_a:
            for key in ("lp", "selection", "placement"):
                if key in self.upstream:
                    lines.append(f"  upstream, {key}: {self.upstream[key]['text']}")
            return "\n".join(lines)
        shown = min(len(self.decisions_a), SIDE_BY_SIDE)
        width = max([len(d) for d in self.decisions_a[:shown]] + [len("A")])
        lines.append(f"  the {len(self.decisions_a)} differing decision(s) of round {self.round}, side by side:")
        lines.append(f"    {'A':<{width}}  | B")
        for da, db in zip(self.decisions_a[:shown], self.decisions_b[:shown]):
            lines.append(f"    {da:<{width}}  | {db}")
        if len(self.decisions_a) > shown:
            lines.append(f"    … {len(self.decisions_a) - shown} more (--json lists them all)")
        for key in ("lp", "selection", "placement"):
            if key in self.upstream:
                lines.append(f"  upstream, {key}: {self.upstream[key]['text']}")
        return "\n".join(lines)


def check_same_world(a: Source, b: Source) -> None:
    """An InputError saying what differs when A and B do not schedule the same jobs on
    the same cluster (their decisions cannot be compared)."""
    ea, eb = a.config.effective, b.config.effective
    differ = [k for k in SAME_WORLD if ea.get(k) != eb.get(k)]
    if differ:
        parts = []
        for k in differ:
            va, vb = ea.get(k), eb.get(k)
            parts.append(f"{k} ({_short(va)} vs {_short(vb)})" if not isinstance(va, dict) else k)
        raise InputError(f"{a.label} vs {b.label}", "these runs schedule different worlds, so their decisions "
                         f"cannot be compared: they differ in {', '.join(parts)} (diff compares runs of one "
                         "cluster and workload that differ in sharing, placement, policy, LP capacity or solver)")


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def fingerprints(src: Source) -> list[tuple[str, str]] | None:
    """(decisions, LP) fingerprints per round from a run folder's rounds.csv, or None
    when it has none (written before fingerprints existed)."""
    if src.run_dir is None:
        return None
    path = src.run_dir / "rounds.csv"
    try:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc})") from None
    if rows and "fingerprint" not in rows[0]:
        return None
    return [(r["fingerprint"], r["lp_fingerprint"]) for r in rows]


def _key(fp: tuple[str, str], ingredients: tuple[str, ...]) -> tuple[str, ...]:
    return (fp[0], fp[1]) if "lp" in ingredients else (fp[0],)


def _live_fingerprints(src: Source):
    for sim, _ in replay(src):
        rec = sim.state.rounds[-1]
        yield rec.fingerprint, rec.lp_fingerprint


def diverge(a: str | Path, b: str | Path, overrides_a: list[str] | None = None,
            overrides_b: list[str] | None = None, ingredients: tuple[str, ...] = ("decisions",)) -> Divergence:
    """Compare A and B (run folders or scenarios with their overrides)."""
    bad = [i for i in ingredients if i not in INGREDIENTS]
    if bad or "decisions" not in ingredients:
        raise InputError("--ingredients", f"{','.join(ingredients)!r} is not allowed: give decisions or "
                         "decisions,lp")
    sa, sb = open_source(a, overrides_a), open_source(b, overrides_b)
    check_same_world(sa, sb)
    fa, fb = fingerprints(sa), fingerprints(sb)
    seq_a = iter(fa) if fa is not None else _live_fingerprints(sa)
    seq_b = iter(fb) if fb is not None else _live_fingerprints(sb)
    n = 0
    while True:
        xa, xb = next(seq_a, None), next(seq_b, None)
        if xa is None and xb is None:
            return Divergence(True, n, ingredients)
        if xa is None or xb is None:
            ended, other = ("A", "B") if xa is None else ("B", "A")
            return Divergence(False, n, ingredients, round=n,
                              note=f"{ended} ended after round {n - 1}; {other} runs on")
        if _key(xa, ingredients) != _key(xb, ingredients):
            return _explain_round(sa, sb, n, ingredients)
        n += 1


def _describe(sim: Simulation, action: str, gpus: tuple[int, ...]) -> str:
    if not gpus:
        return action
    c = sim.mech.cluster
    return f"{action} server {c.server_of[gpus[0]]} GPUs {','.join(map(str, gpus))}"


def _explain_round(sa: Source, sb: Source, r: int, ingredients: tuple[str, ...]) -> Divergence:
    A, B = replay_to(sa, r), replay_to(sb, r)
    ca = {j: (act, g) for j, act, g in A.state.last_changes}
    cb = {j: (act, g) for j, act, g in B.state.last_changes}
    order = list(ca) + [j for j in cb if j not in ca]   # decision order: A's, then B's others
    differ = [j for j in order if ca.get(j) != cb.get(j)]
    rows_a = tuple(f"job {j}: {_holding(A, j, ca)}" for j in differ)
    rows_b = tuple(f"job {j}: {_holding(B, j, cb)}" for j in differ)
    job = differ[0] if differ else None
    da = _holding(A, job, ca) if job is not None else ""
    db = _holding(B, job, cb) if job is not None else ""
    upstream = _upstream(A, B, job)
    note = "" if job is not None else "the LP shares differ (no decision differs yet)"
    return Divergence(False, r, ingredients, round=r, time_s=A.state.now, job_id=job, a=da, b=db,
                      decisions_a=rows_a, decisions_b=rows_b, upstream=upstream, note=note)


def _holding(sim: Simulation, j: int, changes: dict) -> str:
    """Where job j is after the round, in words (its decision, or that it made none)."""
    if j in changes:
        act, g = changes[j]
        return _describe(sim, act, g)
    s = sim.state
    if j in s.assignments:
        return _describe(sim, "kept", s.assignments[j])
    return "waiting" if j in s.jobs else "not active"


def _upstream(A: Simulation, B: Simulation, job: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    shares = _share_diff(A, B)
    if shares:
        first = shares[0]
        out["lp"] = {"jobs": [d["job_id"] for d in shares], "first": first,
                     "text": f"{len(shares)} job(s)' LP shares differ, first job {first['job_id']}: "
                             f"A {first['a']} vs B {first['b']}"}
    ta, tb = A.state.selection, B.state.selection
    if isinstance(ta, SelectionTrace) and isinstance(tb, SelectionTrace):
        sel_a, sel_b = dict(ta.chosen), dict(tb.chosen)
        only_a = sorted(set(sel_a) - set(sel_b))
        only_b = sorted(set(sel_b) - set(sel_a))
        other = sorted(j for j in set(sel_a) & set(sel_b) if sel_a[j] != sel_b[j])
        if only_a or only_b or other:
            out["selection"] = {"only_a": only_a, "only_b": only_b, "other_type": other,
                                "text": f"selected only in A: {_ids(only_a)}; only in B: {_ids(only_b)}"
                                        + (f"; on another GPU type: jobs {_ids(other)}" if other else "")}
        if job is not None and job in sel_a and job in sel_b:
            ra, rb = _record(A, job), _record(B, job)
            if ra is not None or rb is not None:
                out["placement"] = {"job_id": job, "a": ra, "b": rb,
                                    "text": f"job {job} selected in both; A's placement {_cands(ra)}, "
                                            f"B's {_cands(rb)}"}
    return out


def _ids(ids: list[int], limit: int = 8) -> str:
    if not ids:
        return "none"
    return ", ".join(map(str, ids[:limit])) + (f" … ({len(ids)})" if len(ids) > limit else "")


def _share_diff(A: Simulation, B: Simulation) -> list[dict[str, Any]]:
    pa, pb = A.state.allocation, B.state.allocation
    out = []
    for j in sorted(set(pa) | set(pb)):
        xa = {w: round(float(v), SHARE_DECIMALS) for w, v in pa.get(j, {}).items()}
        xb = {w: round(float(v), SHARE_DECIMALS) for w, v in pb.get(j, {}).items()}
        if xa != xb:
            out.append({"job_id": j, "a": xa, "b": xb})
    return out


def _record(sim: Simulation, job: int) -> dict[str, Any] | None:
    placer = sim.state.placer
    rec = placer.records.get(job) if placer is not None else None
    if rec is None or rec.round != sim.state.num_steps - 1:
        return None
    return {"placement": rec.placement, "server": rec.server_id, "gpus": list(rec.gpus), "rule": rec.rule,
            "score": rec.score, "candidates": [{"server": c[0], "gpu": c[1], "score": c[2]}
                                               for c in rec.candidates[:5]]}


def _cands(rec: dict[str, Any] | None) -> str:
    if rec is None:
        return "kept its GPUs or was not scored"
    top = ", ".join(f"server {c['server']} ({c['score']:g})" for c in rec["candidates"][:3])
    return f"chose server {rec['server']} ({rec['rule']}); top candidates {top}"


__all__ = ["Divergence", "INGREDIENTS", "SAME_WORLD", "check_same_world", "diverge", "fingerprints"]
