"""The fragscope Textual app: owns the Session, steps the engine off the UI thread.

Threading: every engine operation (step, play loop, rewind, fork) runs in one
``@work(thread=True, exclusive=True, group="engine")`` worker; results come back as
immutable frames through ``call_from_thread``.  While playing, the UI syncs at most
every ``SYNC_INTERVAL`` and the allocation table at most every ``TABLE_INTERVAL``, so
play speed is decoupled from render cost.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed, get_current_worker

import fragscope
from fragscope import InputError, Simulation

from . import keymap
from .commands import JobProvider, system_commands
from .screens.help import HelpScreen
from .screens.inspector import InspectorScreen
from .screens.main import MainScreen
from .arm_process import PREFETCH_ROUNDS
from .frames import ArmFrame
from .session import Session
from .widgets.gpu_grid import GpuGrid
from .widgets.alloc_table import AllocTable

SPEEDS: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 0)   # rounds/s; 0 = as fast as possible
SYNC_INTERVAL = 0.1
#: While playing, frames are drawn at most every SYNC_COST_FACTOR × (what the last one cost
#: to build and apply); drawing it to the screen costs about as much again, so the UI takes
#: roughly 2/SYNC_COST_FACTOR of the time and the engine the rest.
SYNC_COST_FACTOR = 5
TABLE_INTERVAL = 0.25
# `fragscope view` with no argument: a shipped scenario by name, so it opens from any folder
TEACH_DEFAULT = "teach/tiny-packing"
_TRANSPORT = {a.action for a in keymap.BINDINGS}


class FragscopeApp(App[None]):
    """Watch a scheduler round by round; fork it, flip sharing, compare A and B."""

    CSS_PATH = Path(__file__).parent / "fragscope.tcss"
    BINDINGS = keymap.BINDINGS
    COMMANDS = App.COMMANDS | {JobProvider}
    TITLE = "fragscope"

    def __init__(self, session: Session, *, speed_index: int = 2) -> None:
        super().__init__()
        self.session = session
        self.playing = False
        self.speed_index = speed_index
        self.frames: list[ArmFrame] = []
        self._applied_version = -1
        self._last_table = 0.0
        self._table_pending = False
        self._table_interval = TABLE_INTERVAL
        self.last_error: Exception | None = None
        self.last_input_error: Exception | None = None
        # the scenario's own plug-ins, offered by the palette beside the registered names
        self.own_plugins: dict[str, tuple[tuple[str, str], ...]] = {}
        self.last_notice = ""
        self._ops: deque[tuple[str, int, dict | None]] = deque()
        self._ops_lock = threading.Lock()
        self._drain_lock = threading.Lock()

    @classmethod
    def from_scenario(cls, scenario: Any, overrides: list[str] | None = None, **kw: Any) -> "FragscopeApp":
        sim = Simulation.from_scenario(scenario, overrides or [])
        app = cls(Session(sim), **kw)
        app.own_plugins = own_plugins(sim)
        return app

    def on_unmount(self) -> None:
        """End the arms' processes (if the session uses any) with the app."""
        self.session.close()

    # ------------------------------------------------------------------ screens
    def get_default_screen(self) -> Screen:
        return MainScreen()

    def _main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not mounted")

    def main_ready(self) -> None:
        """Called by the main screen once its widgets exist: draw the first frame."""
        self.run_engine("sync")

    # ------------------------------------------------------------------ engine worker
    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    @property
    def speed_label(self) -> str:
        return "max r/s" if self.speed == 0 else f"{self.speed:g} r/s"

    def run_engine(self, op: str, count: int = 1, fork_kw: dict | None = None) -> None:
        """Queue an engine operation and make sure a worker drains the queue.

        Operations are queued, not passed to the worker, so the ``exclusive`` worker
        group can cancel an older drainer (e.g. the play loop) without losing a key press.
        """
        with self._ops_lock:
            self._ops.append((op, count, fork_kw))
        self._drain()

    @work(thread=True, exclusive=True, group="engine")
    def _drain(self) -> None:
        """Every engine operation, off the UI thread, one drainer at a time."""
        worker = get_current_worker()
        with self._drain_lock:
            while not worker.is_cancelled:
                with self._ops_lock:
                    if not self._ops:
                        return
                    op, count, fork_kw = self._ops.popleft()
                self._run_op(op, count, fork_kw)
                with self._ops_lock:
                    more = bool(self._ops)
                if not more:  # coalesce: keys mashed faster than rounds draw only once
                    self._call(self._apply, self.session.frames())
                    if not self.playing and op in ("step", "back", "fork", "play"):
                        self._checkpoint_idle()

    def _checkpoint_idle(self) -> None:
        """The engine is idle: checkpoint the shown round so ← from here is instant."""
        try:
            self.session.checkpoint_idle()
        except Exception as exc:  # a failed copy must not kill the UI
            self.last_error = exc

    def _run_op(self, op: str, count: int, fork_kw: dict | None) -> None:
        session = self.session
        try:
            if op == "step":
                for _ in range(count):
                    if session.done:
                        self._notify_threadsafe("the simulation is complete")
                        break
                    session.step()
            elif op == "back":
                if session.rewind(count) == 0:
                    self._notify_threadsafe("cannot rewind further (snapshot ring limit or fork point)")
            elif op == "fork":
                if session.forked:
                    self._notify_threadsafe("a fork is already open (x closes it)")
                else:
                    session.fork(**(fork_kw or {}))
            elif op == "close":
                session.close_fork()
            elif op == "play":
                self._play_loop(session)
        except (NotImplementedError, InputError) as exc:   # incl. a plug-in that failed
            self.playing = False
            self.last_input_error = exc   # headless drivers (snapshot) turn it into exit 2
            self._notify_threadsafe(str(exc), "warning")
        except Exception as exc:  # an engine error must not kill the UI
            self.last_error = exc
            self._notify_threadsafe(f"engine error: {exc}", "error")
            self.playing = False

    async def wait_for_engine(self, timeout: float = 120.0) -> None:
        """Until the first frame is drawn, the op queue is empty and no engine worker runs.

        Tests and headless snapshots call this between operations, so every run applies the
        same frames in the same order (coalescing only merges operations queued together).
        """
        deadline = time.monotonic() + timeout
        while not self.frames:  # the main screen's first sync has not run yet
            if time.monotonic() > deadline:
                raise TimeoutError("the app never drew its first frame")
            await asyncio.sleep(0.01)
        while True:
            workers = [w for w in self.workers if w.group == "engine" and not w.is_finished]
            with self._ops_lock:
                queued = bool(self._ops)
            if not workers and not queued:
                return
            for w in workers:
                try:
                    await w.wait()
                except (WorkerCancelled, WorkerFailed):
                    pass
            if not workers:
                await asyncio.sleep(0.01)

    def _play_loop(self, session: Session) -> None:
        """Step at the chosen speed; draw at most every SYNC_INTERVAL.

        The sync interval stretches to three times what the last sync cost (frame building
        plus the UI update), so on a 6 000-GPU cluster the engine gets most of the CPU
        instead of redrawing a 3 000-row table after every round.
        """
        worker = get_current_worker()
        last_sync = time.monotonic()
        interval = SYNC_INTERVAL
        session.set_playing(True)
        try:
            self._play_rounds(session, worker, last_sync, interval)
        finally:
            session.set_playing(False)
        if session.done:
            self.playing = False
        if worker.is_cancelled and self.playing:
            # superseded by another operation: keep playing after it
            with self._ops_lock:
                self._ops.append(("play", 1, None))

    def _play_rounds(self, session: Session, worker: Any, last_sync: float, interval: float) -> None:
        while self.playing and not worker.is_cancelled and not session.done:
            t0 = time.monotonic()
            # at maximum speed, arms in processes may run a few rounds ahead (no effect on
            # local arms); at a set speed they must not outrun the pace
            session.set_ahead(0 if self.speed else PREFETCH_ROUNDS)
            session.step()
            if time.monotonic() - last_sync >= interval:
                session.settle()  # waiting for rounds run ahead is not the frame's cost
                s0 = time.monotonic()
                # job views (O(jobs)) only when the table is due: the grid, metrics and log
                # need none, the queue panel shows the last full frame's queue meanwhile
                full = s0 - self._last_table >= self._table_interval
                frames = session.frames(full=full)
                session.run_ahead()  # the arms step on while the screen draws
                self._call(self._apply, frames, full)
                last_sync = time.monotonic()
                interval = max(SYNC_INTERVAL, SYNC_COST_FACTOR * (last_sync - s0))
            if self.speed:
                wait = 1.0 / self.speed - (time.monotonic() - t0)
                while wait > 0 and self.playing and not worker.is_cancelled:
                    time.sleep(min(wait, 0.05))
                    wait -= 0.05

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            self.call_from_thread(fn, *args, **kwargs)
        except RuntimeError:  # the app is shutting down
            pass

    def _notify_threadsafe(self, message: str, severity: str = "information") -> None:
        self.last_notice = message
        self._call(self.notify, message, severity=severity, timeout=3)

    async def _apply(self, frames: list[ArmFrame], full: bool = True) -> None:
        """Show frames; ``full=False`` frames carry the job list of the last full frame
        (play mode between table refreshes), so the table is not refreshed from them."""
        if not frames or frames[0].version < self._applied_version:
            return  # a stale frame from a worker that was superseded
        self._applied_version = frames[0].version
        self.frames = frames
        now = time.monotonic()
        table = full and (not self.playing or now - self._last_table >= self._table_interval)
        try:
            main = self._main_screen()
        except LookupError:
            return
        await main.apply(frames, self.playing, self.speed_label, table=table)
        if table:
            self._last_table = time.monotonic()
            # a 3 000-job table costs ~0.1 s to refresh: while playing keep it near 10 % of the time
            self._table_interval = max(TABLE_INTERVAL, 10 * (self._last_table - now))
        elif full and not self._table_pending:
            self._table_pending = True
            self.set_timer(self._table_interval, self._flush_table)

    def _flush_table(self) -> None:
        """The throttled table refresh (a timer: it may fire while the app shuts down)."""
        self._table_pending = False
        self._last_table = time.monotonic()
        try:
            self._main_screen().refresh_table()
        except LookupError:
            pass

    def _refresh_header(self) -> None:
        if self.frames:
            from .widgets.header import SimHeader
            self._main_screen().query_one(SimHeader).show(self.frames, self.playing, self.speed_label)

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Release the transport keys while the job filter is being typed into."""
        focused = self.focused
        if action in _TRANSPORT and isinstance(focused, Input) and focused.display:
            return False
        return True

    def action_toggle_play(self) -> None:
        if self.session.done and not self.playing:
            self.notify("the simulation is complete", timeout=2)
            return
        self.playing = not self.playing
        if self.playing:
            self.run_engine("play")
        self._refresh_header()

    def action_step(self) -> None:
        self.playing = False
        self.run_engine("step")

    def action_back(self) -> None:
        self.playing = False
        self.run_engine("back")

    def action_faster(self) -> None:
        self.speed_index = min(len(SPEEDS) - 1, self.speed_index + 1)
        self._refresh_header()

    def action_slower(self) -> None:
        self.speed_index = max(0, self.speed_index - 1)
        self._refresh_header()

    def action_fork(self, placement: str | None = None, policy: str | None = None,
                    lp_capacity: str | None = None) -> None:
        if self.session.forked:
            self.notify("a fork is already open (x closes it)", timeout=2)
            return
        kw = {k: v for k, v in (("placement", placement), ("policy", policy), ("lp_capacity", lp_capacity))
              if v is not None}
        if kw:  # a placement/policy variant keeps A's sharing setting: one change at a time
            kw["sharing"] = self.session.a.sharing
        self.run_engine("fork", fork_kw=kw)

    def action_close_fork(self) -> None:
        if not self.session.forked:
            self.notify("no fork is open (s forks)", timeout=2)
            return
        self.run_engine("close")

    def action_toggle_heatmap(self) -> None:
        self._main_screen().toggle_heatmap()

    def action_cycle_plot(self) -> None:
        self._main_screen().cycle_plot()

    def action_filter(self) -> None:
        self._main_screen().open_filter()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        desc = self.frames[0].description if self.frames else ""
        self.push_screen(HelpScreen(desc))

    def action_quit(self) -> None:  # type: ignore[override]
        self.playing = False
        self.exit()

    def action_save_screenshot(self) -> None:
        step = self.frames[0].step if self.frames else 0
        path = self.save_screenshot(f"fragscope-round-{step}.svg", path=".")
        self.notify(f"saved {path}", timeout=3)

    # ------------------------------------------------------------------ inspector
    def open_inspector(self, arm: str, job_id: int | None = None, gpu_id: int | None = None) -> None:
        ins = self.session.inspect(arm, job_id=job_id, gpu_id=gpu_id)
        if ins.job is None and ins.gpu_id is None:
            self.notify(f"job {job_id} has not arrived yet", timeout=2)
            return
        if isinstance(self.screen, InspectorScreen):
            self.pop_screen()
        self.push_screen(InspectorScreen(ins))

    def on_gpu_grid_selected(self, event: GpuGrid.Selected) -> None:
        self.open_inspector(event.arm, gpu_id=event.gpu_id)

    def on_alloc_table_job_chosen(self, event: AllocTable.JobChosen) -> None:
        self.open_inspector(event.arm, job_id=event.job_id)

    def jump_to_job(self, arm: str, job_id: int) -> None:
        frame = next((f for f in self.frames if f.label == arm), None)
        jv = next((j for j in frame.jobs if j.job_id == job_id), None) if frame else None
        if jv is not None and jv.gpus:
            grid = self._main_screen().query_one(f"#grid-{arm}", GpuGrid)
            grid.move_cursor(jv.gpus[0])
            grid.focus()
        self.open_inspector(arm, job_id=job_id)

    def job_index(self) -> list[tuple[str, int, str, str]]:
        return [(f.label, jv.job_id, jv.job_type, jv.status) for f in self.frames for jv in f.jobs]

    # ------------------------------------------------------------------ palette
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own "Screenshot" saves to a Downloads folder that often does not exist
        # ("Failed to save screenshot"); ours writes fragscope-round-N.svg here instead.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Screenshot")
        yield from system_commands(self)

    def placement_choices(self) -> tuple[tuple[str, str], ...]:
        """(label, name to fork with) for every registered placement and the scenario's own
        plug-in (by its canonical spelling, so the fork finds it from any folder)."""
        return tuple((n, n) for n in fragscope.placement_names()) + self.own_plugins.get("placement", ())

    def policy_choices(self) -> tuple[tuple[str, str], ...]:
        """(label, name) for every registered policy and the scenario's own plug-in."""
        return tuple((n, n) for n in fragscope.policy_names()) + self.own_plugins.get("policy", ())

    def action_fork_fgd(self) -> None:
        """One key to put the run's placement (say, your plug-in) beside FGD."""
        if self.frames and self.frames[0].placement == "fgd":
            self.notify("A already uses fgd: ctrl+p offers a fork with any other placement", timeout=3)
        else:
            self.action_fork(placement="fgd")


def own_plugins(sim: Simulation) -> dict[str, tuple[tuple[str, str], ...]]:
    """The scenario's placement and policy when they are plug-ins of the user's own (not
    registered names): (label, canonical spelling) for the palette's fork entries."""
    cfg = sim.config
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for kind, ref, label in (("placement", cfg.placement_ref, sim.placement_label),
                             ("policy", cfg.policy_ref, sim.policy_label)):
        if ref is not None and not ref.entry:
            out[kind] = ((f"{label} ({ref.spec})", ref.canonical),)
    return out


def make_app(scenario: Any, overrides: list[str] | None = None, *, speed_index: int = 2) -> FragscopeApp:
    """An app with everything environment-dependent fixed (theme, animations): tests, snapshots."""
    app = FragscopeApp.from_scenario(scenario, overrides, speed_index=speed_index)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app
