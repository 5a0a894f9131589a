"""Deterministic replay: a run folder or a scenario brought back to any round.

The engine is deterministic (same scenario and seed, same decisions), so a round is
explained by re-stepping the run up to it with explanations off, then stepping that
round with explanations on (debugger.md §2: cheap records, rich replay).  A run folder
is replayed from the scenario its summary.json records (the mode it ran in).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..core.report import RoundReport
from ..core.results import DECISIONS_FILE
from ..core.scenario import ScenarioConfig, load_scenario
from ..core.simulation import Simulation
from ..experiments.measure import run_bounded
from ..model.errors import InputError


@dataclass(frozen=True)
class Source:
    """What to replay: the scenario, where it came from (for messages), and for a run
    folder its folder and the number of rounds it ran."""

    config: ScenarioConfig
    label: str
    run_dir: Path | None = None
    num_rounds: int | None = None


def is_run_dir(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "summary.json").is_file()


def open_source(source: str | Path, overrides: list[str] | None = None) -> Source:
    """A run folder (holding summary.json) or a scenario (file or shipped name) with
    ``--set`` overrides.  Bad input is an InputError naming the file."""
    if is_run_dir(source):
        folder = Path(source)
        where = str(folder / "summary.json")
        try:
            summ = json.loads((folder / "summary.json").read_text())
        except (OSError, ValueError) as exc:
            raise InputError(where, f"cannot read this run's summary ({exc})") from None
        record = summ.get("scenario") if isinstance(summ, dict) else None
        if not isinstance(record, dict):
            raise InputError(where, "has no 'scenario' record: not a fragscope run folder")
        if summ.get("mode_changes"):
            first = summ["mode_changes"][0]
            raise InputError(where, f"this run switched its mode at round {first.get('round')} "
                             f"({', '.join(first.get('changed', []))}); it cannot be replayed from its "
                             "summary: replay the scenario with the fork's settings instead")
        if overrides:
            raise InputError("--set", "a run folder replays the scenario it ran; give --set with a scenario")
        return Source(load_scenario(record), str(folder), folder, int(summ.get("num_steps", 0)))
    return Source(load_scenario(source, overrides or []), str(source))


def replay(src: Source, explain_from: int | None = None,
           decisions: bool = False) -> Iterator[tuple[Simulation, RoundReport]]:
    """Step ``src`` round by round, as ``fragscope run`` did (its bound and overload
    check), yielding the simulation after each round with its report.  Rounds from
    ``explain_from`` on are stepped with explanations on."""
    sim = Simulation(src.config, explain=explain_from == 0, decisions=decisions)
    limit = src.num_rounds
    steps = run_bounded(sim)
    while limit is None or sim.step_index < limit:
        if explain_from is not None and sim.step_index >= explain_from:
            sim.explain = True
        try:
            report, _ = next(steps)
        except StopIteration:
            return
        yield sim, report


def replay_to(src: Source, round_index: int, explain: bool = True) -> Simulation:
    """The simulation right after stepping round ``round_index`` (that round explained
    when ``explain``); an InputError when the run ends before it."""
    if round_index < 0:
        raise InputError("--round", f"{round_index} is not a round (rounds count from 0)")
    last = -1
    for sim, report in replay(src, round_index if explain else None):
        last = report.index
        if report.index == round_index:
            return sim
    raise InputError("--round", f"round {round_index} is past the end of {src.label}: it has rounds 0–{last}")


def decisions_path(src: Source) -> Path | None:
    """The run folder's decisions.parquet, when it has one."""
    if src.run_dir is None:
        return None
    path = src.run_dir / DECISIONS_FILE
    return path if path.is_file() else None


__all__ = ["Source", "decisions_path", "is_run_dir", "open_source", "replay", "replay_to"]
