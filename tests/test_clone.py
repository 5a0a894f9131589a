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


def test_clone_shares_frozen_records_and_caches_but_not_state():
    """One clone for forks and the UI's rewind checkpoints: the frozen placement decision
    records (most of a large round-mode state) and the pure caches are shared, the state
    is not, and the clone continues exactly as the original."""
    sim = Simulation.from_scenario(SCENARIOS / "teach" / "frag-demo.yaml", explain=True)
    for _ in sim.run(max_steps=5):
        pass
    ids = [jv.job_id for jv in sim.jobs()]
    other = sim.clone()
    shared = [j for j in ids if sim.placement_decision(j) is not None]
    assert shared and all(other.placement_decision(j) is sim.placement_decision(j) for j in shared)
    assert other.state is not sim.state and other.config is sim.config and other.mech is sim.mech
    assert type(other) is type(sim) and other.explain == sim.explain
    before = (sim.step_index, sim.jobs(), sim.servers(), sim.allocation())
    other.step()
    assert (sim.step_index, sim.jobs(), sim.servers(), sim.allocation()) == before  # the original is untouched
    sim.step()
    assert (other.step_index, other.jobs(), other.servers(), other.allocation()) == \
        (sim.step_index, sim.jobs(), sim.servers(), sim.allocation())


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
