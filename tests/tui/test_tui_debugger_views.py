"""The debugger's views (issue 22): the first divergence with both arms' decisions side
by side, a watched job's and GPU's history, the breakpoints list, exports, dropping a
failing arm, and pause stopping at the frame shown — each checked against the engine."""

from __future__ import annotations

import csv

from fragscope import Simulation, diverge
from fragscope.tui.app import FragscopeApp
from fragscope.tui.messages import Diverge, DropArm, Export, GoTo, Step, Watch
from fragscope.tui.screens.breakpoints import BreakpointsScreen
from fragscope.tui.screens.divergence import DivergenceScreen
from fragscope.tui.screens.history import HistoryScreen
from fragscope.tui.session import Session
from fragscope.tui.watch import Watched
from tui_helpers import wait_until

FRAG = "teach/frag-demo"


def _app(processes: bool = False) -> FragscopeApp:
    return FragscopeApp(Session(Simulation.from_scenario(FRAG), processes=processes))


def _headless(n: int, overrides=()) -> Simulation:
    sim = Simulation.from_scenario(FRAG, list(overrides), decisions=True)
    for _ in sim.run(max_steps=n):
        pass
    return sim


async def _divergence(processes: bool) -> None:
    d = diverge(FRAG, FRAG, [], ["placement=bestfit"])
    app = _app(processes)
    async with app.run_test(size=(160, 50)) as pilot:
        app.action_fork(placement="bestfit")
        await app.wait_for_engine()
        app.run_engine(Diverge())                      # forward: they have not diverged yet
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, DivergenceScreen))
        assert app.session.step_index == d.round + 1 and app.screen.step == d.round + 1
        a, b = app.screen.rows["A"], app.screen.rows["B"]
        assert {(x.job_id, x.action, x.gpus) for x in a} != {(x.job_id, x.action, x.gpus) for x in b}
        # the same decisions as the headless runs' logs of that round
        # (the app's round N is the state after N steps: the log's round N - 1)
        head_a = [x for x in _headless(d.round + 1).decisions() if x.round == d.round]
        head_b = [x for x in _headless(d.round + 1, ["placement=bestfit"]).decisions() if x.round == d.round]
        assert [(x.job_id, x.action, x.gpus) for x in a] == [(x.job_id, x.action, x.gpus) for x in head_a]
        assert [(x.job_id, x.action, x.gpus) for x in b] == [(x.job_id, x.action, x.gpus) for x in head_b]
        await pilot.press("escape")
        # backward: from later on, d goes back to the same round
        app.run_engine(Step(5))
        await app.wait_for_engine()
        app.run_engine(Diverge())
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, DivergenceScreen))
        assert app.session.step_index == d.round + 1


async def test_first_divergence_forward_and_back_with_decisions_side_by_side():
    await _divergence(processes=False)


async def test_first_divergence_in_arm_processes():
    await _divergence(processes=True)


async def test_watched_job_history_is_exact_and_enter_goes_to_its_round():
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.run_engine(GoTo(9))
        await app.wait_for_engine()
        app.run_engine(Watch("job", 5))                # replayed from the oldest checkpoint
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        rows = app.screen.rows["A"]
        assert [r.step for r in rows] == list(range(0, 10))
        # each row is the job as a fresh run shows it after that many steps
        for r in rows[1:]:
            sim = _headless(r.step)
            view = sim.job(5)
            if view is not None and view.gpus:
                assert f"GPUs {','.join(map(str, view.gpus))}" in r.where
            else:
                assert r.where == ""
        await pilot.press("escape")
        app.run_engine(Step(2))                        # the watch goes on with the steps
        await app.wait_for_engine()
        assert [r.step for r in app.session.watch_history("A")][-2:] == [10, 11]
        app.run_engine(Watch(""))                      # w: the watched history again
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        table = app.screen.query_one("DataTable")
        await wait_until(pilot, lambda: table.row_count == 12)   # (mounted: its cursor is on the last row)
        table.move_cursor(row=3)
        await pilot.press("enter")
        await pilot.pause()
        await app.wait_for_engine()
        assert app.session.step_index == 3
        assert [r.step for r in app.session.watch_history("A")][-1] == 3   # rewound with the arm


async def test_watch_from_the_inspector_and_gpu_history():
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.run_engine(GoTo(4))
        await app.wait_for_engine()
        gpu = next(g for s in app.frames[0].servers for g in s.gpus if g.jobs)
        app.open_inspector("A", gpu_id=gpu.gpu_id)
        await pilot.pause()
        await pilot.press("w")                         # the inspector's job becomes the watch
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert app.session.watched == Watched("job", gpu.jobs[0][0])
        await pilot.press("escape")
        app.run_engine(Watch("gpu", gpu.gpu_id))
        await app.wait_for_engine()
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        last = app.screen.rows["A"][-1]
        assert last.step == 4 and f"job {gpu.jobs[0][0]}" in last.where
        assert last.share == f"{sum(m for _, m in gpu.jobs)}/1000"


async def test_breakpoints_list_toggles_deletes_and_counts_hits():
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.session.add_breakpoint("queued >= 12")
        app.session.add_breakpoint("round >= 3")
        app.run_engine(Step(5))
        await app.wait_for_engine()
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointsScreen))
        table = app.screen.query_one("DataTable")
        assert table.row_count == 2
        assert str(table.get_row_at(1)[3]) == "1"            # round >= 3 fired once (at round 3)
        table.move_cursor(row=1)
        await pilot.press("space")                           # off (space is the list's, not play)
        await pilot.pause()
        assert app.session.breakpoints[1].enabled is False and not app.playing
        await pilot.press("d")                               # delete it
        await pilot.pause()
        assert [bp.condition for bp in app.session.breakpoints] == ["queued >= 12"]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BreakpointsScreen)


async def test_export_writes_the_views_data_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAGSCOPE_EXPORT_DIR", str(tmp_path))
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.run_engine(GoTo(6))
        await app.wait_for_engine()
        app.action_fork()
        await app.wait_for_engine()
        app.run_engine(Step())
        await app.wait_for_engine()
        for _ in range(2):
            app.run_engine(Export())
            await app.wait_for_engine()
            await wait_until(pilot, lambda: app.last_export is not None and app.last_export.exists())
            first = app.last_export
            app.last_export = None
        folders = sorted(p.name for p in (tmp_path / app.frames[0].name).iterdir())
        assert folders == ["round-7", "round-7-2"]
        out = tmp_path / app.frames[0].name / "round-7"
        assert (out / "screen.svg").exists()
        for arm in ("A", "B"):
            jobs = list(csv.DictReader(open(out / arm / "jobs.csv")))
            frame = next(f for f in app.frames if f.label == arm)
            assert [int(r["job_id"]) for r in jobs] == [j.job_id for j in frame.jobs]
            dec = list(csv.DictReader(open(out / arm / "decisions.csv")))
            assert [int(r["job_id"]) for r in dec] == [d.job_id for d in app.session.round_decisions(arm)]
            assert dec and all(r["round"] == "6" for r in dec), (arm, [r["round"] for r in dec])   # the log numbering: step 7 = round 6
            gpus = list(csv.DictReader(open(out / arm / "gpus.csv")))
            assert len(gpus) == frame.fill.size
        assert first.name == "round-7-2"


async def test_a_failing_arm_names_itself_and_can_be_dropped(tmp_path):
    plugin = tmp_path / "bad.py"
    plugin.write_text("class Bad:\n"
                      "    name = 'bad'\n"
                      "    def score(self, task, cluster, nodes):\n"
                      "        if task.job_id == 7:\n"
                      "            raise ValueError('no node for you')\n"
                      "        return [0.0] * len(nodes)\n")
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.action_fork(placement=f"{plugin}:Bad")
        await app.wait_for_engine()
        for _ in range(30):
            app.run_engine(Step())
            await app.wait_for_engine()
            if app.last_input_error is not None:
                break
        err = str(app.last_input_error)
        assert err.startswith("arm B: round ") and ", seed " in err and "job 7" in err, err
        stuck = app.session.step_index
        app.run_engine(DropArm("B"))
        await app.wait_for_engine()
        assert not app.session.forked and app.session.a.label == "A"
        app.run_engine(Step())
        await app.wait_for_engine()
        assert app.session.step_index == stuck + 1
        await pilot.pause()


async def test_dropping_a_keeps_the_fork_as_a():
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.run_engine(GoTo(3))
        await app.wait_for_engine()
        sharing_b = not app.session.a.sharing
        app.action_fork()
        await app.wait_for_engine()
        app.run_engine(Step(2))
        await app.wait_for_engine()
        app.run_engine(DropArm("A"))
        await app.wait_for_engine()
        await pilot.pause()
        assert [f.label for f in app.frames] == ["A"] and app.frames[0].sharing == sharing_b
        assert app.frames[0].step == 5


async def test_pause_stops_at_the_frame_shown_and_the_label_is_the_measured_rate():
    from fragscope.tui.messages import Pause, Play
    app = FragscopeApp(Session(Simulation.from_scenario(FRAG), processes=False), speed_index=3)   # 10 r/s
    async with app.run_test(size=(160, 50)) as pilot:
        await app.wait_for_engine()
        app.rates.reset()
        app.run_engine(Play())
        await wait_until(pilot, lambda: app.frames[0].step >= 6 and app.rates.rate() is not None, timeout=20)
        label = app.speed_label
        assert label.endswith("r/s (set 10)"), label        # measured while playing
        assert 0 < float(label.split()[0]) <= 11
        app.run_engine(Pause())
        await app.wait_for_engine()
        assert app.speed_label == "10 r/s"
        # at maximum speed a frame is drawn every 0.1 s or more while rounds take ms: the
        # engine runs ahead of the screen, and pause must go back to a round that was shown
        shown: list[int] = []
        apply = app._apply

        async def spy(frames, full=True):
            shown.append(frames[0].step)
            await apply(frames, full)
        app._apply = spy
        app.engine._show = spy
        app.speed_index = 6                                 # max r/s
        app.run_engine(Play())
        await wait_until(pilot, lambda: len(shown) >= 4, timeout=20)
        await wait_until(pilot, lambda: app.session.a.step_index > shown[-1] + 1, timeout=5)   # ahead of the screen
        app.run_engine(Pause())
        await app.wait_for_engine()
        during = shown[:-1]                                # the last one is drawn after the pause
        assert app.session.step_index in during, (app.session.step_index, shown)
        assert shown[-1] == app.session.step_index
        await pilot.pause()


def test_rate_meter_measures_rounds_per_second_over_its_window():
    from fragscope.tui.rate import RateMeter
    m = RateMeter()
    assert m.rate() is None
    for i in range(11):
        m.observe(100.0 + 0.5 * i, 3 * i)   # 3 rounds every 0.5 s
    assert abs(m.rate() - 6.0) < 1e-9
    m.observe(106.0, 2)                     # went back: a new run of frames
    assert m.rate() is None
