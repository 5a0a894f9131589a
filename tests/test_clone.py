"""clone() and snapshot/restore: a fork continues exactly as the original would."""

from __future__ import annotations

import pytest

from fragscope import Simulation, write_run_outputs
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


def test_state_copy_shares_no_mutable_container_and_keeps_shared_objects_shared():
    """SimState copies its flat dicts, rows and lists by structure (engine/state.py):
    each copied container must be new, equal, independent, and an object reached
    through another path of the same deepcopy must stay one object."""
    import copy

    from dataclasses import fields

    from fragscope.core.state import SimState

    how = {f.name: f.metadata.get("copy", "deep") for f in fields(SimState)}
    by_shape = {n for n, h in how.items() if h in ("flat_dict", "dict_of_rows", "list")}
    assert {"jobs", "job_time", "rounds", "dispatched"} <= by_shape   # the metadata is read
    sim = Simulation.from_scenario(SCENARIOS / "teach" / "frag-demo.yaml")
    for _ in sim.run(max_steps=12):
        pass
    s = sim.state
    c = copy.deepcopy(s)
    for name in by_shape:
        assert getattr(c, name) == getattr(s, name) and getattr(c, name) is not getattr(s, name), name
    for name in (n for n in by_shape if how[n] == "dict_of_rows"):
        for key, row in getattr(s, name).items():
            assert getattr(c, name)[key] is not row, (name, key)
    j = next(iter(s.job_time))
    w = next(iter(s.job_time[j]))
    before = s.job_time[j][w]
    c.job_time[j][w] += 1.0
    c.priorities[w][j] = -1.0
    c.dispatched.append((0.0, -1, (), 0))
    assert s.job_time[j][w] == before and s.priorities[w][j] != -1.0 and (0.0, -1, (), 0) not in s.dispatched
    for order in (("alloc", "state"), ("state", "alloc")):
        both = {"alloc": s.allocation, "state": s}
        out = copy.deepcopy({k: both[k] for k in order})
        assert out["alloc"] is out["state"].allocation and out["alloc"] == s.allocation
