"""Every binding, and the fork, rewind and inspector flows, driven through Pilot."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from fragscope.tui.app import SPEEDS, make_app
from fragscope.tui.screens.help import HelpScreen
from fragscope.tui.screens.inspector import InspectorScreen
from fragscope.tui.screens.main import MainScreen
from fragscope.tui.widgets.alloc_table import AllocTable
from fragscope.tui.widgets.gpu_grid import GpuGrid
from fragscope.tui.widgets.header import SimHeader
from tui_helpers import (FRAG, deterministic_env, inspect_busy_gpu, settle, step,  # noqa: F401
                         tiny_app, wait_until)

SIZE = (160, 50)


async def test_n_and_right_step_one_round_each():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.session.step_index == 1
        await pilot.press("right")
        await settle(pilot)
        assert app.session.step_index == 2
        assert app.frames[0].step == 2
        assert "round 2" in str(app.screen.query_one(SimHeader).render())


async def test_left_steps_back_and_stops_at_round_zero():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 3)
        await pilot.press("left")
        await settle(pilot)
        assert app.session.step_index == 2
        for _ in range(4):
            await pilot.press("left")
            await settle(pilot)
        assert app.session.step_index == 0


async def test_transport_keys_work_while_the_table_has_focus():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 4)
        app.screen.query_one(AllocTable).focus()
        await pilot.pause()
        await pilot.press("right")
        await settle(pilot)
        assert app.session.step_index == 5
        await pilot.press("left")
        await settle(pilot)
        assert app.session.step_index == 4


async def test_space_plays_until_paused():
    app = tiny_app(speed_index=SPEEDS.index(20))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        assert app.playing
        await wait_until(pilot, lambda: app.session.step_index >= 5)
        await pilot.press("space")
        await settle(pilot)
        assert not app.playing
        stopped = app.session.step_index
        await pilot.pause(0.1)
        assert app.session.step_index == stopped
        assert app.frames[0].step == stopped  # the last frame was drawn


async def test_plus_and_minus_change_play_speed():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = app.speed_index
        await pilot.press("plus")
        assert app.speed_index == start + 1
        await pilot.press("minus", "minus")
        assert app.speed_index == start - 1
        for _ in range(10):
            await pilot.press("minus")
        assert app.speed == SPEEDS[0]
        assert f"{SPEEDS[0]:g} r/s" in str(app.screen.query_one(SimHeader).render())


async def test_s_forks_with_sharing_flipped_and_x_closes():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 3)
        await pilot.press("s")
        await settle(pilot)
        assert app.session.forked
        assert app.session.b.sharing is (not app.session.a.sharing)
        assert app.screen.query("#pane-B") and app.screen.query_one("#ab").display
        # B re-decided the round on screen: SHARING OFF shows no GPU shared from its first frame
        a, b = app.frames
        assert a.step == b.step == 3 and b.fork_step == 2
        assert any(len(g.jobs) > 1 for s in a.servers for g in s.gpus)
        assert not any(len(g.jobs) > 1 for s in b.servers for g in s.gpus)
        await pilot.press("n")
        await settle(pilot)
        assert [f.step for f in app.frames] == [4, 4]  # lock-step
        header = str(app.screen.query_one(SimHeader).render())
        assert "SHARING OFF" in header and "SHARING ON" in header and "fork@2" in header
        await pilot.press("x")
        await settle(pilot)
        assert not app.session.forked and not app.screen.query("#pane-B")
        assert not app.screen.query_one("#ab").display


async def test_fork_then_rewind_stops_at_the_fork_round():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 2)
        await pilot.press("s")
        await settle(pilot)
        await step(pilot, 3)
        for _ in range(5):
            await pilot.press("left")
            await settle(pilot)
        assert [f.step for f in app.frames] == [1, 1]   # the fork point: the round before s


async def test_h_toggles_heatmap_and_bars():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 2)
        grid = app.screen.query_one("#grid-A", GpuGrid)
        assert not grid.heatmap  # 12 GPUs open in bars mode
        await pilot.press("h")
        await pilot.pause()
        assert grid.heatmap
        await pilot.press("h")
        await pilot.pause()
        assert not grid.heatmap


@pytest.mark.parametrize("which", ["gavel-6212", "alibaba-1213"])
async def test_large_cluster_opens_in_heatmap_mode_and_fits_one_screen(which):
    from fragscope.tui.app import make_app
    from tui_helpers import ALIBABA, BIG
    app = make_app(BIG if which == "gavel-6212" else ALIBABA)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.screen.query_one("#grid-A", GpuGrid)
        assert grid.heatmap and len(grid.frame.fill) == 6212
        assert grid.virtual_size.height <= grid.scrollable_content_region.height  # no scrolling


async def test_question_mark_opens_help_and_escape_closes_it():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_q_quits():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_slash_filters_jobs_and_typing_does_not_step():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 12)
        before = app.session.step_index
        table = app.screen.query_one(AllocTable)
        assert table.row_count > 1
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        job = app.frames[0].jobs[0]
        await pilot.press(*str(job.job_id))
        await pilot.press("n", "s", "space")  # typed into the filter, not transport keys
        assert app.focused.value == f"{job.job_id}ns "
        await pilot.press("backspace", "backspace", "backspace")
        await pilot.pause()
        assert app.session.step_index == before and not app.session.forked and not app.playing
        main = app.screen
        assert main.matched is not None and job.job_id in main.matched
        assert table.row_count == len(main.matched)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.focused, Input) and main.matched is not None
        await pilot.press("slash")
        await pilot.press("escape")
        await pilot.pause()
        assert main.matched is None and table.row_count == len(app.frames[0].jobs)


async def test_enter_on_the_grid_opens_the_gpu_inspector():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 10)
        busy = await inspect_busy_gpu(pilot, app)
        ins = app.screen.inspection
        assert ins.gpu_id == busy and ins.job is not None
        assert ins.job.job_id in [j for j, _ in ins.gpu_jobs]
        assert ins.priority_history  # LP priority over rounds
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_cursor_keys_move_over_gpus():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 1)
        grid = app.screen.query_one("#grid-A", GpuGrid)
        grid.focus()
        start = grid.cursor_gpu
        server, slot = grid._server_of_gpu[start]
        await pilot.press("right_square_bracket")
        assert grid._server_of_gpu[grid.cursor_gpu] == (server, slot + 1)
        await pilot.press("down")
        below = grid._server_of_gpu[grid.cursor_gpu]
        assert below[0] != server and below[1] == slot + 1  # next server row, same slot
        await pilot.press("left_square_bracket", "up")
        assert grid.cursor_gpu == start


async def test_click_on_a_gpu_opens_the_inspector():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 10)
        grid = app.screen.query_one("#grid-A", GpuGrid)
        # row 0 is the first group's header, row 1 its first server; x past the label = 1st GPU
        expected = grid.gpu_at(8, 1)
        assert expected == app.frames[0].servers[grid._rows[1].server].gpus[0].gpu_id
        await pilot.click(grid, offset=(8, 1))
        await wait_until(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert app.screen.inspection.gpu_id == expected


async def test_enter_on_a_table_row_opens_the_job_inspector_and_o_sorts():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 12)
        table = app.screen.query_one(AllocTable)
        table.focus()
        await pilot.press("o")  # sort by type
        assert table.sort_column == 1
        await pilot.press("O")
        assert table.sort_reverse
        first = table.get_row_at(0)
        types = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert types == sorted(types, reverse=True)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert app.screen.inspection.job.job_id == int(first[0].plain)


async def test_tab_moves_focus_between_grid_and_table():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 1)
        assert isinstance(app.focused, GpuGrid)
        await pilot.press("tab")
        assert isinstance(app.focused, DataTable)


async def test_m_cycles_the_ab_plot_metric():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 2)
        await pilot.press("s")
        await settle(pilot)
        main = app.screen
        await pilot.press("m")
        first = main.plot_key
        await pilot.press("m")
        assert main.plot_key != first


async def test_palette_jumps_to_a_job():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 10)
        job = next(j for j in app.frames[0].jobs if j.gpus)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: app.screen.id != "main")
        await pilot.press(*f"job {job.job_id} (A)")
        await pilot.pause(0.3)
        await wait_until(pilot, lambda: bool(app.screen.query("CommandList")) and
                         app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert app.screen.inspection.job.job_id == job.job_id
        main = next(s for s in app.screen_stack if isinstance(s, MainScreen))
        assert main.query_one("#grid-A", GpuGrid).cursor_gpu == job.gpus[0]


async def test_palette_forks_and_lists_the_fork_variants():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 2)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Fork and flip sharing" in titles and "Save screenshot (SVG)" in titles
        for variant in ("Fork with placement", "Fork with policy", "Fork with LP capacity"):
            assert any(t.startswith(variant) for t in titles), variant
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: app.screen.id != "main")
        await pilot.press(*"Fork and flip")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.forked)
        await settle(pilot)


async def test_too_small_terminal_shows_a_message_and_recovers():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 1)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        msg = app.screen.query_one("#too-small")
        assert msg.display and "60×20" in str(msg.render())
        assert not app.screen.query_one("#body").display
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not msg.display and app.screen.query_one("#body").display


async def test_save_screenshot_goes_to_the_export_folder_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "..")
    monkeypatch.setenv("FRAGSCOPE_EXPORT_DIR", str(tmp_path / "exports"))
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 1)
        app.action_save_screenshot()
        app.action_save_screenshot()
        folder = tmp_path / "exports" / "tiny-packing"
        assert (folder / "round-1.svg").read_text().startswith("<svg")
        assert (folder / "round-1-2.svg").read_text().startswith("<svg")


async def test_table_rebuild_on_heavy_churn_matches_the_incremental_path_and_keeps_the_cursor(monkeypatch):
    """Many rows entering/leaving at once rebuild the table (cheaper than remove_row each):
    same rows in the same order as the cell-by-cell path, cursor still on its job."""
    import dataclasses

    from fragscope.tui.widgets import alloc_table

    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 12)
        frame = app.frames[0]
        table = app.screen.query_one(AllocTable)
        jobs = list(frame.jobs)
        assert len(jobs) >= 4
        table.move_cursor(row=2)
        keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        keep_jv = next(jv for jv in jobs if str(jv.job_id) == keep)
        churned = [keep_jv] + [dataclasses.replace(jv, job_id=jv.job_id + 1000) for jv in jobs if jv is not keep_jv]
        new = dataclasses.replace(frame, jobs=tuple(churned))
        monkeypatch.setattr(alloc_table, "REBUILD_ROWS", 1)
        table.show(new, None)
        await pilot.pause()
        rebuilt = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == keep
        monkeypatch.setattr(alloc_table, "REBUILD_ROWS", 10_000)
        table.show(frame, None)
        table.show(new, None)
        await pilot.pause()
        incremental = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
        assert rebuilt == incremental
        assert sorted(rebuilt, key=int) == sorted((str(jv.job_id) for jv in churned), key=int)


async def test_event_log_keeps_its_newest_line_in_view_when_the_layout_shrinks_it():
    """The log is anchored: a layout pass alone (no new write) keeps the newest line at
    the bottom, so a screen captured before the next refresh never shows it mid-scroll."""
    from fragscope.tui.widgets.event_log import EventLog

    app = make_app(FRAG)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 30)
        log = app.screen.query_one(EventLog)
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y
        before = log.max_scroll_y
        await pilot.resize_terminal(SIZE[0], SIZE[1] - 8)
        await pilot.pause()
        assert log.max_scroll_y > before
        assert log.scroll_y == log.max_scroll_y
