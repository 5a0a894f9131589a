"""Arms in their own processes (tui.arm_process) behave exactly like arms in the app's process."""

from __future__ import annotations

import dataclasses

import pytest

from fragscope import InputError, Simulation
from fragscope.tui.arm_process import PREFETCH_ROUNDS, PROCESSES_ENV, RemoteArm, RemoteArmError, crash_log, use_processes
from fragscope.tui.screens.main import MainScreen
from fragscope.tui.session import Session
from tui_helpers import (FRAG, TINY, deterministic_env, inspect_busy_gpu, settle, step,  # noqa: F401
                         tiny_app, wait_until)


def _observe(session: Session) -> list:
    """What the app can see of a session: frames (minus the version counter), every arm's
    history, events and an inspection of a busy GPU."""
    frames = [dataclasses.replace(f, version=0) for f in session.frames()]
    out = [frames, [arm.history for arm in session.arms], [session.events(arm) for arm in session.arms]]
    for f in frames:
        busy = next((g.gpu_id for s in f.servers for g in s.gpus if g.jobs), None)
        out.append(session.inspect(f.label, gpu_id=busy))
    return out


def _script(session: Session) -> list:
    seen = []
    for i in range(6):
        if i == 3:
            session.fork()
        seen.append(session.step())
    seen.append(session.rewind(2))
    seen.append(session.step())
    session.checkpoint_idle()  # its result depends on timing (how often checkpoints are due)
    return seen + _observe(session)


@pytest.mark.parametrize("scenario", [TINY, FRAG], ids=["tiny", "frag-demo"])
def test_arms_in_processes_match_arms_in_the_app_process(scenario):
    local = Session(Simulation.from_scenario(scenario), processes=False)
    remote = Session(Simulation.from_scenario(scenario), processes=True)
    try:
        assert isinstance(remote.a, RemoteArm) and not isinstance(local.a, RemoteArm)
        # repr: NaN metrics (no job finished yet) compare unequal to themselves
        assert repr(_script(remote)) == repr(_script(local))
        assert isinstance(remote.b, RemoteArm) and remote.b.sharing is (not remote.a.sharing)
    finally:
        remote.close()


def test_playing_steps_ahead_and_any_other_call_sees_the_round_it_reached():
    remote = Session(Simulation.from_scenario(FRAG), processes=True)
    try:
        remote.step()
        remote.fork()
        remote.set_playing(True)
        remote.set_ahead(PREFETCH_ROUNDS)
        for _ in range(4):
            remote.step()
        k = PREFETCH_ROUNDS
        assert k >= 1
        frames = remote.frames()  # settles the prefetched rounds of each arm first
        assert [f.step for f in frames] == [5 + k] * 2 == [arm.history[-1].step for arm in remote.arms]
        remote.step()
        remote.set_playing(False)  # settles the steps in flight: k rounds further
        assert [arm.step_index for arm in remote.arms] == [6 + 2 * k] * 2
        local = Session(Simulation.from_scenario(FRAG), processes=False)
        local.step()
        local.fork()
        for _ in range(5 + 2 * k):
            local.step()
        assert repr(_observe(remote)) == repr(_observe(local))
    finally:
        remote.close()


def test_an_error_in_an_arm_process_reaches_the_caller_and_the_arm_stays_usable():
    remote = Session(Simulation.from_scenario(TINY), processes=True)
    try:
        with pytest.raises(TypeError):
            remote.a.rewind_to("not a round")
        assert remote.step()[0].step == 1
        with pytest.raises(InputError, match="placement: unknown placement 'nope'"):  # raised in A's process
            remote.fork(placement="nope")
        assert not remote.forked
        assert remote.step()[0].step == 2
    finally:
        remote.close()


def test_an_arm_process_that_dies_names_its_exit_code_and_crash_log():
    remote = Session(Simulation.from_scenario(TINY), processes=True)
    arm = remote.a
    try:
        arm._conn.send(("step",))  # not (method, args, kwargs): the child's loop itself fails
        with pytest.raises(RemoteArmError, match=r"process of arm A ended \(exit code 1\).*traceback is in"):
            arm.step()
        log = crash_log(arm._child.proc.pid)
        assert "ValueError" in log.read_text()
        log.unlink()
    finally:
        remote.close()


def test_closing_the_fork_and_the_session_ends_their_processes():
    remote = Session(Simulation.from_scenario(TINY), processes=True)
    remote.fork()
    a, b = remote.a, remote.b
    remote.close_fork()
    assert b._child.proc.poll() is not None and a._child.alive()
    remote.close()
    assert a._child.proc.poll() is not None
    remote.close()  # idempotent


def test_processes_are_chosen_by_cluster_size_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv(PROCESSES_ENV, raising=False)
    assert use_processes(100) is False
    assert use_processes(100, requested=True) is True
    monkeypatch.setenv(PROCESSES_ENV, "1")
    assert use_processes(100) is True
    monkeypatch.setenv(PROCESSES_ENV, "0")
    assert use_processes(6212) is False


async def test_fork_inspect_and_close_through_the_app_with_arms_in_processes(monkeypatch):
    monkeypatch.setenv(PROCESSES_ENV, "1")
    app = tiny_app()
    async with app.run_test(size=(160, 50)) as pilot:
        assert isinstance(app.session.a, RemoteArm)
        await step(pilot, 3)
        await pilot.press("s")
        await settle(pilot)
        assert app.session.forked and app.session.b.sharing is (not app.session.a.sharing)
        await pilot.press("n")
        await settle(pilot)
        assert [f.step for f in app.frames] == [4, 4]
        busy = await inspect_busy_gpu(pilot, app, "B")
        assert app.screen.inspection.arm == "B" and app.screen.inspection.gpu_id == busy and app.screen.inspection.job is not None
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        b = app.session.b
        await pilot.press("x")
        await settle(pilot)
        assert not app.session.forked and b._child.proc.poll() is not None
    assert app.session.a._child.proc.poll() is not None  # the app closed its session
