"""The app's debugger (issue 22): go to round, run until a condition forward and back, and
the first divergence of two arms — each checked against a headless run of the engine."""

from __future__ import annotations

from fragscope import Simulation, diverge
from fragscope.tui.app import FragscopeApp
from fragscope.tui.messages import GoTo, RunUntil, Step
from fragscope.tui.screens.prompt import PromptScreen
from fragscope.tui.session import Session

FRAG = "teach/frag-demo"


def _first(cond_rounds) -> int:
    return next(r.index for r in cond_rounds)


def _headless_rounds(n: int = 200):
    sim = Simulation.from_scenario(FRAG)
    for _ in sim.run(max_steps=n):
        pass
    return sim.rounds()


def _app(processes: bool = False) -> FragscopeApp:
    return FragscopeApp(Session(Simulation.from_scenario(FRAG), processes=processes))


async def test_go_to_and_run_until_forward_and_back():
    rounds = _headless_rounds()
    first = _first(r for r in rounds if r.frag is not None and r.frag.frag_rate_pct > 40)
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.run_engine(GoTo(12))
        await app.wait_for_engine()
        assert app.session.step_index == 12 and app.frames[0].step == 12
        app.run_engine(RunUntil("frag_rate_pct > 40"))
        await app.wait_for_engine()
        # holds at round r = the state after r + 1 steps, which the screen shows
        assert app.session.step_index == first + 1 and app.frames[0].step == first + 1
        assert f"holds at round {first + 1}" in app.engine.last_notice
        later = _first(r for r in rounds if r.index > first and r.frag.frag_rate_pct > 40)
        app.run_engine(RunUntil("frag_rate_pct > 40"))
        await app.wait_for_engine()
        assert app.session.step_index == later + 1
        app.run_engine(RunUntil("frag_rate_pct > 40", backward=True))
        await app.wait_for_engine()
        assert app.session.step_index == first + 1      # the last earlier round where it held
        await pilot.pause()


async def test_run_until_diverged_with_a_fork_is_diffs_round():
    d = diverge(FRAG, FRAG, [], ["placement=bestfit"])
    app = _app()
    async with app.run_test(size=(160, 50)):
        app.action_fork(placement="bestfit")
        await app.wait_for_engine()
        app.run_engine(RunUntil("diverged"))
        await app.wait_for_engine()
        assert app.session.step_index == d.round + 1


async def test_run_until_in_arm_processes_agrees():
    rounds = _headless_rounds()
    first = _first(r for r in rounds if r.queued >= 12)
    app = _app(processes=True)
    async with app.run_test(size=(160, 50)):
        app.run_engine(RunUntil("queued >= 12"))
        await app.wait_for_engine()
        assert app.session.step_index == first + 1


async def test_the_prompt_says_a_bad_condition_inline_and_runs_nothing():
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        for ch in "queued >>= 3":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)           # still open: nothing ran
        assert "column 8" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("escape")
        await app.wait_for_engine()
        assert app.session.step_index == 0
        await pilot.press("g")
        await pilot.pause()
        for ch in "7":
            await pilot.press(ch)
        await pilot.press("enter")
        await app.wait_for_engine()
        assert app.session.step_index == 7


async def test_an_lp_capacity_fork_says_so_in_its_title():
    from fragscope.tui.screens.main import SimPane
    app = FragscopeApp(Session(Simulation.from_scenario("teach/tiny-packing"), processes=False))
    async with app.run_test(size=(160, 50)) as pilot:
        app.action_fork(lp_capacity="scale_factor")
        await app.wait_for_engine()
        await pilot.pause()
        title_b = str(app.screen.query_one("#pane-B", SimPane).border_title)
        title_a = str(app.screen.query_one("#pane-A", SimPane).border_title)
        assert "LP capacity scale_factor" in title_b and "LP capacity demand" in title_a
        assert "applies from the next round" in title_b      # right after the fork, B still shows A's round
        app.run_engine(GoTo(app.session.step_index + 1))
        await app.wait_for_engine()
        await pilot.pause()
        assert "applies from the next round" not in str(app.screen.query_one("#pane-B", SimPane).border_title)


async def test_breakpoints_stop_play_and_say_which_fired():
    rounds = _headless_rounds()
    first = _first(r for r in rounds if r.queued >= 12)
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.session.add_breakpoint("queued >= 12")
        app.session.add_breakpoint("round >= 100000")        # never: only the first fires
        app.action_toggle_play()
        await app.wait_for_engine()
        assert not app.playing and app.session.step_index == first + 1
        assert "breakpoint at round" in app.engine.last_notice and "queued >= 12 (hit 1)" in app.engine.last_notice
        app.toggle_breakpoint(0)
        assert app.session.breakpoints[0].enabled is False and app.session.breakpoints[0].hits == 1
        app.delete_breakpoint(1)
        assert len(app.session.breakpoints) == 1
        app.run_engine(Step(3))
        await app.wait_for_engine()
        assert app.session.step_index == first + 4                 # disabled: no stop
        await pilot.pause()
