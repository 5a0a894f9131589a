"""clone() and snapshot/restore: a fork continues exactly as the original would."""

from __future__ import annotations

import pytest

from engine import Simulation, write_run_outputs
from conftest import SCENARIOS

FILES = ("summary.json", "jobs.csv", "rounds.csv")


def _files(sim, folder):
    write_run_outputs(sim, folder)
    return {n: (folder / n).read_bytes() for n in FILES}


@pytest.mark.parametrize("scenario,k", [("t2-mmf.yaml", 37), ("g1-mmfp.yaml", 250),
                                        ("continuous-36.yaml", 120)])
def test_clone_at_round_k_matches_uninterrupted_run(scenario, k, tmp_path):
    overrides = ["workload.generate.window=[200, 230]"] if scenario.startswith("continuous") else []
    path = SCENARIOS / "gavel" / scenario
    straight = Simulation.from_scenario(path, overrides)
    straight.run_to_end()
    expected = _files(straight, tmp_path / "straight")

    original = Simulation.from_scenario(path, overrides)
    for _ in original.run(max_steps=k):
        pass
    fork = original.clone()
    original.run_to_end()
    fork.run_to_end()
    assert _files(original, tmp_path / "original") == expected
    assert _files(fork, tmp_path / "fork") == expected


def test_restore_then_replay_gives_same_state(tmp_path):
    sim = Simulation.from_scenario(SCENARIOS / "gavel" / "t2-mmfp.yaml")
    for _ in sim.run(max_steps=20):
        pass
    snap = sim.snapshot()
    for _ in sim.run(max_steps=15):
        pass
    after = _files(sim, tmp_path / "a")
    sim.restore(snap)
    for _ in sim.run(max_steps=15):
        pass
    assert _files(sim, tmp_path / "b") == after


def test_clone_is_independent():
    sim = Simulation.from_scenario(SCENARIOS / "gavel" / "t1-mmf.yaml")
    fork = sim.clone()
    sim.step()
    assert sim.step_index == 1 and fork.step_index == 0
    assert fork.state.jobs == {} and sim.state.jobs
