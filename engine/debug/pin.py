"""Pinning a scenario's behaviour: the golden a CI test compares against (docs/ci.md).

A golden is JSON, reviewable in a pull request: the golden format, the fragscope
version that wrote it, the scenario's identity, the ingredients, one fingerprint per
round (the decisions; the LP shares as a second list), every decision in words, and
headline metrics rounded to :data:`METRIC_DECIMALS`.  Never pinned: wall times, solver
names, paths — what changes between machines without the behaviour changing.

:func:`compare` says in words where a run left its golden: the first divergent round,
the first differing decision ("round 37, job 812: server 114 GPUs 3 → server 90 GPUs
0,1"), whether the LP shares changed first, and the metric deltas.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.version import VERSION as __version__
from ..core.results import summary
from ..core.scenario import load_scenario
from ..core.simulation import Simulation
from ..experiments.measure import run_bounded
from ..model.errors import InputError

GOLDEN_FORMAT = 1
METRIC_DECIMALS = 6
METRICS = ("avg_jct_s", "utilization", "makespan_s", "num_rounds", "num_steps", "jobs_completed", "jobs_failed",
           "lease_extension_pct", "lp_non_optimal")


def _round(v: Any) -> Any:
    return round(v, METRIC_DECIMALS) if isinstance(v, float) else v


def _identity(effective: dict) -> str:
    """A hash of the effective scenario without its prose (name, description)."""
    keep = {k: v for k, v in effective.items() if k not in ("name", "description")}
    return hashlib.blake2b(json.dumps(keep, sort_keys=True).encode(), digest_size=8).hexdigest()


def pin_data(scenario: str | Path | dict, overrides: list[str] | None = None,
             rounds: int | None = None, label: str | None = None) -> dict[str, Any]:
    """Run ``scenario`` headless (as ``fragscope run`` does, or only its first
    ``rounds`` rounds) and return the golden's content."""
    cfg = load_scenario(scenario, list(overrides or []))
    if rounds is not None and (not isinstance(rounds, int) or rounds < 1):
        raise InputError("rounds", f"must be a positive whole number or None, got {rounds!r}")
    sim = Simulation(cfg, explain=False, decisions=True)
    for _ in run_bounded(sim):
        if rounds is not None and sim.step_index >= rounds:
            break
    cluster = sim.mech.cluster
    decisions = []
    for d in sim.decisions():
        where = f"server {d.server} GPUs {','.join(map(str, d.gpus))}" if d.gpus else "no GPUs"
        decisions.append(f"round {d.round}, job {d.job_id}: {d.action} {where}")
    summ = summary(sim)
    return {
        "golden_format": GOLDEN_FORMAT,
        "fragscope_version": __version__,
        "scenario": {"source": label if label is not None else str(scenario), "overrides": list(overrides or []),
                     "name": cfg.name, "identity": _identity(cfg.effective), "gpus": cluster.num_gpus},
        "rounds": sim.step_index,
        "ingredients": ["decisions", "lp"],
        "precision": {"metrics_decimals": METRIC_DECIMALS, "lp_share_decimals": 6},
        "fingerprints": [r.fingerprint for r in sim.state.rounds],
        "lp_fingerprints": [r.lp_fingerprint for r in sim.state.rounds],
        "decisions": decisions,
        "metrics": {k: _round(summ.get(k)) for k in METRICS},
    }


@dataclass(frozen=True)
class Comparison:
    same: bool
    message: str            # in words; "" when the same


def compare(golden: dict[str, Any], now: dict[str, Any], golden_path: str = "golden") -> Comparison:
    """Whether ``now`` matches ``golden``, and if not, why in words."""
    if golden.get("golden_format") != GOLDEN_FORMAT:
        raise InputError(golden_path, f"golden format {golden.get('golden_format')!r} (written by fragscope "
                         f"{golden.get('fragscope_version', '?')}); this fragscope {__version__} reads format "
                         f"{GOLDEN_FORMAT}: rewrite it with pytest --fragscope-update and review the change")
    lines: list[str] = []
    if golden["scenario"].get("identity") != now["scenario"]["identity"]:
        lines.append("the scenario itself changed (its effective settings hash differs from the golden's)")
    fa, fb = golden["fingerprints"], now["fingerprints"]
    first = next((i for i, (x, y) in enumerate(zip(fa, fb)) if x != y), None)
    if first is None and len(fa) != len(fb):
        first = min(len(fa), len(fb))
        lines.append(f"the golden has {len(fa)} rounds, this run {len(fb)}")
    if first is None and golden["decisions"] != now["decisions"]:
        # the fingerprints agree but the words do not: the golden was edited by hand
        k = next((i for i, (x, y) in enumerate(zip(golden["decisions"], now["decisions"])) if x != y),
                 min(len(golden["decisions"]), len(now["decisions"])))
        lines.append(f"the golden's decision list differs from its fingerprints (edited by hand?) at line {k + 1}: "
                     f"{_at(golden['decisions'], k)!r} vs this run's {_at(now['decisions'], k)!r}")
    if first is not None:
        ga = [d for d in golden["decisions"] if d.startswith(f"round {first}, ")]
        gb = [d for d in now["decisions"] if d.startswith(f"round {first}, ")]
        lines.append(_first_decision(first, ga, gb))
        la, lb = golden["lp_fingerprints"], now["lp_fingerprints"]
        lp = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), None)
        if lp is not None and lp <= first:
            lines.append(f"upstream: the LP shares differ from round {lp}"
                         + (" (before the decisions did)" if lp < first else " (the same round)"))
        elif lp is None or lp > first:
            lines.append("upstream: the LP shares are the same up to here: the selection or the placement changed")
        lines.append(f"golden's decisions that round: {len(ga)}, this run's: {len(gb)}")
    deltas = _metric_deltas(golden["metrics"], now["metrics"])
    if deltas:
        lines.append("metrics: " + "; ".join(deltas))
    elif lines:
        lines.append("metrics: unchanged")
    if not lines:
        return Comparison(True, "")
    if golden.get("fragscope_version") != __version__:
        lines.append(f"the golden was written by fragscope {golden.get('fragscope_version')}, this is {__version__}: "
                     "the difference may come from the new version")
    return Comparison(False, "\n".join(lines))


def _first_decision(r: int, ga: list[str], gb: list[str]) -> str:
    """'round 37, job 812: placed server 114 GPUs 3 → placed server 90 GPUs 0,1'."""
    def by_job(rows: list[str]) -> dict[str, str]:
        out = {}
        for row in rows:
            head, _, what = row.partition(": ")
            out[head.split("job ")[1]] = what
        return out
    a, b = by_job(ga), by_job(gb)
    for job in list(a) + [j for j in b if j not in a]:
        if a.get(job) != b.get(job):
            return (f"first divergent decision: round {r}, job {job}: {a.get(job, 'no decision')} → "
                    f"{b.get(job, 'no decision')}")
    if sorted(a.items()) == sorted(b.items()) and len(ga) == len(gb):
        return f"round {r} differs (the same decisions, in another order)"
    return f"round {r} differs (its fingerprint; the golden's decision lines for it may have been edited)"


def _at(rows: list[str], k: int) -> str:
    return rows[k] if k < len(rows) else "(none)"


def _metric_deltas(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    for k in METRICS:
        x, y = a.get(k), b.get(k)
        if x == y:
            continue
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and x:
            out.append(f"{k} {x:g} → {y:g} ({(y - x) / abs(x) * 100:+.2f} %)")
        else:
            out.append(f"{k} {x} → {y}")
    return out


def read_golden(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise InputError(str(path), f"is not a fragscope golden (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or "fingerprints" not in data:
        raise InputError(str(path), "is not a fragscope golden (no fingerprints)")
    return data


def golden_text(data: dict[str, Any]) -> str:
    """The golden as written: one decision per line, so a pull request's diff reads."""
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


__all__ = ["Comparison", "GOLDEN_FORMAT", "METRICS", "compare", "golden_text", "pin_data", "read_golden"]
