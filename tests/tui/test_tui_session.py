"""The pure model: lock-step stepping, fork, rewind, histories (no terminal needed).

These read the local Arm's internals (its simulation, its checkpoints), so every session
here keeps its arms in this process; test_tui_arm_process.py pins arms in processes to these."""

from __future__ import annotations

import math

import pytest

from fragscope import Simulation
import fragscope.tui.session as session_mod
from fragscope.tui.events import describe_round
from fragscope.tui.fmt import fmt_duration
from fragscope.tui.session import Session
from tui_helpers import FRAG, GAVEL36, TINY


def _state(sim: Simulation) -> tuple:
    """Everything observable through the public API, for equality checks."""
    metrics = {k: (None if isinstance(v, float) and math.isnan(v) else v)
               for k, v in sim.live_metrics().items()}
    return (sim.step_index, sim.now, sim.done, sim.sharing, sim.servers(), sim.jobs(),
            sim.allocation(), metrics, sim.gpu_fill().tolist())


def _reports(sim: Simulation, n: int) -> list:
    out = []
    for r in sim.run(max_steps=n):
        out.append((r.index, r.time, r.arrivals, r.completions, r.allocation_recomputed,
                    r.placements, r.running, r.queued, r.completed_total, r.busy_gpus))
    return out


@pytest.mark.parametrize("k", [1, 3, 7])
def test_rewind_k_rounds_then_forward_equals_never_rewinding(k):
    straight = Simulation.from_scenario(GAVEL36, explain=True)
    for _ in straight.run(max_steps=20):
        pass
    expected_state = _state(straight)
    expected_next = _reports(straight, 10)

    session = Session(Simulation.from_scenario(GAVEL36, explain=True), processes=False, ring=64)
    for _ in range(20):
        session.step()
    assert session.rewind(k) == k
    assert session.step_index == 20 - k
    for _ in range(k):
        session.step()
    sim = session.a.sim
    assert _state(sim) == expected_state
    assert [s.step for s in session.a.history] == list(range(21))
    assert _reports(sim, 10) == expected_next


def test_rewind_replays_from_sparse_checkpoints():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False, ring=64, checkpoint_every=5)  # as a big cluster
    for _ in range(17):
        session.step()
    assert [s for s, _ in session.a.checkpoints] == [0, 5, 10, 15]
    ref = Simulation.from_scenario(TINY, explain=True)
    for _ in ref.run(max_steps=13):
        pass
    session.rewind(4)
    assert _state(session.a.sim) == _state(ref)


def _decisions(sim: Simulation) -> dict:
    """Every active job's latest placement decision record (round mode), by value."""
    return {jv.job_id: sim.placement_decision(jv.job_id) for jv in sim.jobs()}


@pytest.mark.parametrize("every,k", [(4, 1), (4, 6), (7, 3)])
def test_checkpoint_and_replay_equals_never_rewinding_with_fgd_and_sharing(every, k):
    """Sparse checkpoints (as on a big cluster): rewinding k rounds copies the nearest
    checkpoint at or before the target and replays; then stepping forward again gives
    exactly the run that never rewound — state, decision records and the next reports."""
    straight = Simulation.from_scenario(FRAG, explain=True)
    for _ in straight.run(max_steps=18):
        pass
    expected = (_state(straight), _decisions(straight))
    expected_next = _reports(straight, 6)

    session = Session(Simulation.from_scenario(FRAG, explain=True), processes=False, ring=64, checkpoint_every=every)
    for _ in range(18):
        session.step()
    assert [s for s, _ in session.a.checkpoints] == list(range(0, 18, every))
    assert session.rewind(k) == k
    mid = Simulation.from_scenario(FRAG, explain=True)
    for _ in mid.run(max_steps=18 - k):
        pass
    assert (_state(session.a.sim), _decisions(session.a.sim)) == (_state(mid), _decisions(mid))
    for _ in range(k):
        session.step()
    sim = session.a.sim
    assert (_state(sim), _decisions(sim)) == expected
    assert _reports(sim, 6) == expected_next


def test_rewinding_twice_to_one_checkpoint_never_alters_it():
    session = Session(Simulation.from_scenario(FRAG, explain=True), processes=False, ring=64, checkpoint_every=5)
    for _ in range(9):
        session.step()
    session.rewind(2)            # 7: copy of checkpoint 5, replayed 2 rounds
    first = _state(session.a.sim)
    for _ in range(3):
        session.step()
    session.rewind(3)            # 7 again, from the same checkpoint
    assert _state(session.a.sim) == first
    saved = session.a.checkpoints[-1][1]
    assert saved.sim.step_index == 5 and saved.sim is not session.a.sim


def test_fork_b_rewinds_by_checkpoint_and_replay():
    session = Session(Simulation.from_scenario(FRAG, explain=True), processes=False, ring=64, checkpoint_every=3)
    for _ in range(4):
        session.step()
    session.fork()
    for _ in range(8):
        session.step()
    ref = Simulation.from_scenario(FRAG, explain=True)
    for _ in ref.run(max_steps=4):
        pass
    ref.set_sharing(not ref.sharing)
    for _ in ref.run(max_steps=5):
        pass
    session.rewind(3)
    assert _state(session.b.sim) == _state(ref)
    assert _decisions(session.b.sim) == _decisions(ref)


def test_idle_checkpoint_makes_the_current_round_a_checkpoint():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False, ring=64, checkpoint_every=10)
    for _ in range(3):
        session.step()
    assert [s for s, _ in session.a.checkpoints] == [0]
    assert session.checkpoint_idle() is True
    assert session.checkpoint_idle() is False  # already one
    assert [s for s, _ in session.a.checkpoints] == [0, 3]


def test_play_mode_skips_decision_records_only_on_large_clusters(monkeypatch):
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False)  # 16 GPUs
    session.set_playing(True)
    assert session.a.sim.explain is True
    monkeypatch.setattr(session_mod, "PLAY_RECORDS_MAX_GPUS", 8)
    session.fork()
    session.set_playing(True)
    assert session.a.sim.explain is False and session.b.sim.explain is False
    session.set_playing(False)
    assert session.a.sim.explain is True and session.b.sim.explain is True


def test_rewind_to_a_checkpoint_taken_while_playing_keeps_records_on(monkeypatch):
    monkeypatch.setattr(session_mod, "PLAY_RECORDS_MAX_GPUS", 8)
    session = Session(Simulation.from_scenario(FRAG, explain=True), processes=False, ring=64, checkpoint_every=2)
    session.set_playing(True)
    for _ in range(6):
        session.step()
    session.set_playing(False)
    session.rewind(3)
    assert session.a.sim.explain is True


def test_decision_records_do_not_change_the_simulation():
    """Play mode turns records off on large clusters: the run must not depend on them."""
    runs = []
    for pattern in ((True,), (False,), (True, False, False)):
        sim = Simulation.from_scenario(FRAG, explain=True)
        out = []
        for i in range(25):
            sim.explain = pattern[i % len(pattern)]
            r = sim.step()
            out.append((r.placements, r.completions, r.running, r.metrics))
        runs.append(out)
    assert runs[0] == runs[1] == runs[2]


def test_rewind_stops_at_the_ring_limit():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False, ring=3, checkpoint_every=1)
    for _ in range(10):
        session.step()
    earliest = session.a.earliest_step
    assert earliest > 0
    session.rewind(100)
    assert session.step_index == earliest
    assert not session.can_rewind()


def test_fork_flips_sharing_and_steps_in_lock_step():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False)
    for _ in range(5):
        session.step()
    b = session.fork()
    assert session.forked and b.fork_step == 5
    assert b.sim.sharing is (not session.a.sim.sharing)
    assert [s.step for s in b.history] == list(range(6))  # shared prefix
    session.step()
    session.step()
    assert session.a.step_index == b.step_index == 7
    with pytest.raises(RuntimeError):
        session.fork()
    assert session.close_fork() and not session.forked


def test_rewind_with_a_fork_stops_at_the_fork_round():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False)
    for _ in range(4):
        session.step()
    session.fork()
    for _ in range(3):
        session.step()
    session.rewind(10)
    assert session.a.step_index == session.b.step_index == 4


def test_fork_with_another_policy_or_placement_keeps_sharing_when_asked():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False)
    session.step()
    sim = session.a.sim
    if not hasattr(sim, "set_policy"):
        with pytest.raises(NotImplementedError):
            session.fork(policy="fifo")
        assert not session.forked
        return
    b = session.fork(sharing=sim.sharing, policy="fifo", placement="fgd")
    assert b.sim.sharing is sim.sharing
    assert b.sim.policy_name == "fifo" and b.sim.placement == "fgd"
    assert session.frames()[1].policy == "fifo" and session.frames()[1].placement == "fgd"


def test_frames_are_snapshots_of_each_arm():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False)
    for _ in range(6):
        session.step()
    session.fork()
    frames = session.frames()
    assert [f.label for f in frames] == ["A", "B"]
    assert frames[1].sharing is (not frames[0].sharing)
    assert len(frames[0].history) == 7
    assert frames[0].fill.shape == (16,)
    assert frames[0].series("utilization")[0] == 0.0


def test_event_lines_describe_arrivals_completions_lp_and_placements():
    session = Session(Simulation.from_scenario(TINY, explain=True), processes=False)
    kinds = set()
    for _ in range(40):
        for s in session.step():
            kinds |= {k for _, k, _ in describe_round(s)}
    assert kinds == {"arrival", "completion", "lp", "placement"}
    assert session.events(session.a, limit=5) and len(session.events(session.a, limit=5)) <= 5


def test_fmt_duration_units():
    assert fmt_duration(None) == "—"
    assert fmt_duration(45) == "45 s"
    assert fmt_duration(600) == "10.0 m"
    assert fmt_duration(7200 * 2) == "4.00 h"
