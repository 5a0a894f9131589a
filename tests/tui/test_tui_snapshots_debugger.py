"""SVG snapshots of the debugger's screens: the first divergence, a watched job's history
and the breakpoints list (update as in test_tui_snapshots.py, and review the report)."""

from __future__ import annotations

from fragscope.tui.app import make_app
from fragscope.tui.messages import Diverge, GoTo, Watch
from fragscope.tui.screens.breakpoints import BreakpointsScreen
from fragscope.tui.screens.divergence import DivergenceScreen
from fragscope.tui.screens.history import HistoryScreen
from tui_helpers import FRAG, deterministic_env, settle, wait_until  # noqa: F401

WIDE = (160, 50)


def test_divergence_screen(snap_compare):
    async def run_before(pilot):
        app = pilot.app
        await settle(pilot)
        app.action_fork(placement="bestfit")
        await app.wait_for_engine()
        app.run_engine(Diverge())
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, DivergenceScreen))
        await pilot.pause()

    assert snap_compare(make_app(FRAG), terminal_size=WIDE, run_before=run_before)


def test_history_screen_with_a_fork(snap_compare):
    async def run_before(pilot):
        app = pilot.app
        await settle(pilot)
        app.run_engine(GoTo(3))
        await app.wait_for_engine()
        app.action_fork()
        await app.wait_for_engine()
        app.run_engine(GoTo(8))
        await app.wait_for_engine()
        app.run_engine(Watch("job", 5))
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen)
                         and app.screen.query_one("DataTable").row_count > 0)
        await pilot.pause()

    assert snap_compare(make_app(FRAG), terminal_size=WIDE, run_before=run_before)


def test_breakpoints_screen(snap_compare):
    async def run_before(pilot):
        app = pilot.app
        await settle(pilot)
        app.session.add_breakpoint("queued >= 12")
        app.session.add_breakpoint("round >= 3 and not overloaded")
        app.session.toggle_breakpoint(0)
        app.run_engine(GoTo(5))
        await app.wait_for_engine()
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointsScreen)
                         and app.screen.query_one("DataTable").row_count > 0)
        await pilot.pause()

    assert snap_compare(make_app(FRAG), terminal_size=WIDE, run_before=run_before)


def test_run_until_prompt_with_an_inline_error(snap_compare):
    from fragscope.tui.screens.prompt import PromptScreen

    async def run_before(pilot):
        app = pilot.app
        await settle(pilot)
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        for ch in "queued >>= 3":
            await pilot.press(ch if ch != " " else "space")
        await pilot.pause()

    assert snap_compare(make_app(FRAG), terminal_size=WIDE, run_before=run_before)
