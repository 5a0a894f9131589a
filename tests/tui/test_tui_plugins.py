"""The app with a user's placement plug-in: header, inspector, palette forks, one-key A/B
against FGD, and a plug-in that fails mid-run leaving the session usable."""

from __future__ import annotations

import fragscope
from fragscope.tui.app import make_app
from fragscope.tui.screens.inspector import InspectorScreen
from tui_helpers import REPO, TINY, WORST_FIT, deterministic_env, settle, step, wait_until  # noqa: F401

SIZE = (160, 50)
PLUGIN = REPO / "scenarios" / "plugins" / "worst_fit.py"
BROKEN = REPO / "tests" / "plugins" / "broken.py"


async def test_a_plugin_placement_is_named_in_the_header_and_explained_in_the_inspector():
    app = make_app(WORST_FIT)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 6)
        assert app.frames[0].placement == "worst-fit"          # the plug-in's own name
        job = next(j for j in app.frames[0].jobs if j.gpus)
        app.open_inspector("A", job_id=job.job_id)
        await wait_until(pilot, lambda: isinstance(app.screen, InspectorScreen))
        d = app.screen.inspection.decision
        assert d.placement == "worst-fit" and d.extra_columns == ("free GPU", "free CPU")
        assert len(d.candidates) >= 1 and len(d.extra) == len(d.candidates)
        scores = [c[2] for c in d.candidates]
        assert scores == sorted(scores, reverse=True)            # best first, as scored by the plug-in


async def test_palette_offers_the_scenarios_own_plugin_and_f_forks_with_fgd():
    app = make_app(WORST_FIT)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 3)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Fork with placement worst-fit (worst_fit.py:WorstFit)" in titles
        assert {f"Fork with placement {n}" for n in fragscope.placement_names()} <= set(titles)
        await pilot.press("f")                                     # A: worst-fit, B: fgd
        await wait_until(pilot, lambda: app.session.forked)
        await settle(pilot)
        await step(pilot, 2)
        assert [f.placement for f in app.frames] == ["worst-fit", "fgd"]


async def test_palette_fork_to_a_plugin_from_a_builtin_run():
    app = make_app(TINY)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 4)
        app.action_fork(placement=f"{PLUGIN}:WorstFit")            # what the palette entry does
        await wait_until(pilot, lambda: app.session.forked)
        await settle(pilot)
        await step(pilot, 3)
        assert [f.placement for f in app.frames] == ["bestfit", "worst-fit"]


async def test_a_plugin_failing_mid_run_is_a_message_and_the_session_stays_usable():
    app = make_app(TINY)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 3)
        app.action_fork(placement=f"{BROKEN}:Raises")
        await wait_until(pilot, lambda: app.session.forked)
        await settle(pilot)
        for _ in range(12):                       # until a round places a job on B
            app.action_step()
            await settle(pilot)
            if app.last_notice:
                break
        assert "my scorer gave up" in app.last_notice and not app.playing
        await pilot.pause()
        from fragscope.tui.widgets.event_log import EventLog
        log = app.screen.query_one(EventLog)
        assert any("my scorer gave up" in line.plain for line in log.notices)   # kept in Events
        # the failed round left no half-stepped arm: both are back at the round before it,
        # in lock-step, and B's state is the one it had then (a replay of it agrees)
        a, b = app.session.arms
        assert a.step_index == b.step_index == b.history[-1].step
        if hasattr(b, "sim"):                      # an arm in this process (not in its own)
            fresh = b.ring.restore(b.step_index)
            assert fresh.step_index == b.sim.step_index and fresh.now == b.sim.now
            assert fresh.state.assignments == b.sim.state.assignments
            assert fresh.state.steps_run == b.sim.state.steps_run
        app.action_close_fork()                                    # drop the broken arm, go on
        await wait_until(pilot, lambda: not app.session.forked)
        await step(pilot, 2)
        assert app.frames[0].step >= 5
