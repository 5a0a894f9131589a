"""SVG snapshots of every screen and mode (pytest-textual-snapshot).

Update after an intended UI change with ``pytest tests/tui --snapshot-update`` (without
``-n``) and review ``snapshot_report.html`` first.  Determinism: make_app fixes theme and
animation level, NO_COLOR is removed, no clocks are drawn, and every engine operation is
awaited in ``run_before`` (Pilot.pause does not wait for thread workers).
"""

from __future__ import annotations

from pathlib import Path

from fragscope.tui.app import make_app
from fragscope.tui.screens.help import HelpScreen
from fragscope.tui.screens.inspector import InspectorScreen
from tui_helpers import BIG, FRAG, GAVEL36, TINY, deterministic_env, settle, step, wait_until  # noqa: F401

WIDE = (160, 50)


def test_main_screen_bars(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await step(pilot, 12)

    assert snap_compare(make_app(TINY), terminal_size=WIDE, run_before=run_before)


def test_main_screen_heatmap_mode_by_key(snap_compare):
    async def run_before(pilot):
        await step(pilot, 12)
        await pilot.press("h")
        await pilot.pause()

    assert snap_compare(make_app(TINY), terminal_size=WIDE, run_before=run_before)


def test_large_cluster_heatmap_fits_one_screen(snap_compare):
    async def run_before(pilot):
        await step(pilot, 2)

    assert snap_compare(make_app(BIG), terminal_size=WIDE, run_before=run_before)


def test_large_cluster_bars_mode(snap_compare):
    async def run_before(pilot):
        await step(pilot, 2)
        await pilot.press("h")
        await pilot.pause()

    assert snap_compare(make_app(BIG), terminal_size=WIDE, run_before=run_before)


def test_ab_split_side_by_side(snap_compare):
    async def run_before(pilot):
        await step(pilot, 8)
        await pilot.press("s")
        await settle(pilot)
        await step(pilot, 20)

    assert snap_compare(make_app(TINY), terminal_size=WIDE, run_before=run_before)


def test_ab_split_stacked_on_a_narrow_terminal(snap_compare):
    async def run_before(pilot):
        await step(pilot, 20)
        await pilot.press("s")
        await settle(pilot)
        await step(pilot, 20)

    assert snap_compare(make_app(GAVEL36), terminal_size=(110, 50), run_before=run_before)


def test_job_inspector(snap_compare):
    async def run_before(pilot):
        await step(pilot, 14)
        job = next(j for j in pilot.app.frames[0].jobs if j.gpus)
        pilot.app.open_inspector("A", job_id=job.job_id)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, InspectorScreen))

    assert snap_compare(make_app(TINY), terminal_size=WIDE, run_before=run_before)


def test_gpu_inspector(snap_compare):
    async def run_before(pilot):
        await step(pilot, 14)
        pilot.app.open_inspector("A", gpu_id=8)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, InspectorScreen))

    assert snap_compare(make_app(TINY), terminal_size=WIDE, run_before=run_before)


def test_help_screen(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))

    assert snap_compare(make_app(TINY), terminal_size=WIDE, run_before=run_before)


def test_too_small_terminal(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(make_app(TINY), terminal_size=(70, 20), run_before=run_before)


def test_inspector_with_an_fgd_placement_decision(snap_compare):
    async def run_before(pilot):
        await step(pilot, 30)
        job = next(j for j in pilot.app.frames[0].jobs if j.gpus)
        pilot.app.open_inspector("A", job_id=job.job_id)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, InspectorScreen))
        assert pilot.app.screen.inspection.decision is not None

    assert snap_compare(make_app(FRAG), terminal_size=WIDE, run_before=run_before)


def test_fork_with_another_placement(snap_compare):
    async def run_before(pilot):
        await step(pilot, 10)
        pilot.app.action_fork(placement="bestfit")
        await settle(pilot)
        await step(pilot, 20)

    assert snap_compare(make_app(FRAG), terminal_size=WIDE, run_before=run_before)


def test_inspector_on_a_plugin_placement_decision(snap_compare):
    """A user's placement (scenarios/plugins/worst_fit.py): its scores for every candidate
    node, its own explain() columns, the winner and the tie rule."""
    from tui_helpers import WORST_FIT

    async def run_before(pilot):
        await step(pilot, 8)
        job = next(j for j in pilot.app.frames[0].jobs if j.gpus)
        pilot.app.open_inspector("A", job_id=job.job_id)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, InspectorScreen))
        assert pilot.app.screen.inspection.decision is not None

    assert snap_compare(make_app(WORST_FIT), terminal_size=WIDE, run_before=run_before)


def test_every_snapshot_file_belongs_to_a_test():
    """A snapshot no test uses (a test renamed or removed) fails syrupy's session check only
    in a run without pytest-xdist; this check holds with ``-n`` too."""
    folder = Path(__file__).parent / "__snapshots__" / Path(__file__).stem
    tests = {name for name, obj in globals().items() if name.startswith("test_") and callable(obj)}
    stale = sorted(p.name for p in folder.iterdir()
                   if p.suffix != ".svg" or p.stem.split("[", 1)[0] not in tests)
    assert not stale, f"snapshot files no test uses (remove them, or --snapshot-update without -n): {stale}"
