"""The fragscope Textual app: owns the Session and shows it; the engine runs elsewhere.

The app speaks in messages (:mod:`fragscope.tui.messages`): a key press or a palette entry
becomes an engine request (``Step``, ``Back``, ``Fork``, ``Play`` ...) handed to the engine
worker (:mod:`fragscope.tui.engine_worker`), which runs it off the UI thread and sends back
immutable frames; widgets, the main screen and the worker post Textual messages to the app
(``GpuChosen``, ``JobChosen``, ``MainReady``, ``EngineNotice``).  The allocation table is
refreshed at most every ``TABLE_INTERVAL`` while playing, so play speed is decoupled from
render cost.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widgets import Input

import fragscope
from fragscope import Simulation

from . import keymap
from .commands import JobProvider, system_commands
from .engine_worker import EngineWorker
from .screens.help import HelpScreen
from .screens.inspector import InspectorScreen
from .screens.main import MainScreen
from .frames import ArmFrame
from .arm_protocol import ForkChange
from .messages import (Back, CloseFork, EngineNotice, EngineRequest, Fork, GpuChosen, JobChosen, MainReady, Pause,
                       Play, Step, Sync)
from .rate import RateMeter
from .session import Session
from .debugger_actions import DebuggerActions, condition_error
from .widgets.event_log import EventLog
from .widgets.gpu_grid import GpuGrid

__all__ = ["FragscopeApp", "TEACH_DEFAULT", "condition_error", "make_app", "own_plugins"]

SPEEDS: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 0)   # rounds/s; 0 = as fast as possible
TABLE_INTERVAL = 0.25
# `fragscope view` with no argument: a shipped scenario by name, so it opens from any folder
TEACH_DEFAULT = "teach/tiny-packing"
_TRANSPORT = {a.action for a in keymap.BINDINGS}


class FragscopeApp(DebuggerActions, App[None]):
    """Watch a scheduler round by round; fork it, flip sharing, compare A and B."""

    CSS_PATH = Path(__file__).parent / "fragscope.tcss"
    BINDINGS = keymap.BINDINGS
    COMMANDS = App.COMMANDS | {JobProvider}
    TITLE = "fragscope"

    def __init__(self, session: Session, *, speed_index: int = 2) -> None:
        super().__init__()
        self.session = session
        self.speed_index = speed_index
        self.frames: list[ArmFrame] = []
        self._applied_version = -1
        self._last_table = 0.0
        self._table_pending = False
        self._table_interval = TABLE_INTERVAL
        # the scenario's own plug-ins, offered by the palette beside the registered names
        self.own_plugins: dict[str, tuple[tuple[str, str], ...]] = {}
        self.last_condition = ""   # the run-until prompt offers the last condition again
        self.rates = RateMeter()   # the rounds/s actually shown while playing (the speed label)
        self.last_export: Path | None = None   # the folder of the latest export (e)
        self.engine = EngineWorker(self, session, speed=lambda: self.speed, show=self._apply,
                                   table_due=self._table_due)

    @classmethod
    def from_scenario(cls, scenario: Any, overrides: list[str] | None = None, **kw: Any) -> "FragscopeApp":
        sim = Simulation.from_scenario(scenario, overrides or [])   # (the Session turns its records on)
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

    def on_main_ready(self, message: MainReady) -> None:
        """The main screen's widgets exist: draw the first frame."""
        self.run_engine(Sync())

    # ------------------------------------------------------------------ the engine
    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    @property
    def speed_label(self) -> str:
        """The set speed; while playing, the rate measured on the frames shown beside it
        (``2.7 r/s (set 10)``): a big cluster's rounds may cost more than the set pace."""
        chosen = "max" if self.speed == 0 else f"{self.speed:g}"
        rate = self.rates.rate() if self.playing else None
        if rate is None:
            return f"{chosen} r/s"
        return f"{rate:.1f} r/s (set {chosen})"

    @property
    def playing(self) -> bool:
        """Whether the engine plays (the worker's flag: its play loop checks it)."""
        return self.engine.playing

    @playing.setter
    def playing(self, value: bool) -> None:
        self.engine.playing = value

    @property
    def last_error(self) -> Exception | None:
        """The latest engine error (a headless driver turns it into exit 2)."""
        return self.engine.last_error

    @property
    def last_input_error(self) -> Exception | None:
        """The latest bad input or failed plug-in met while stepping."""
        return self.engine.last_input_error

    @property
    def last_notice(self) -> str:
        """The latest notice the engine gave (also shown as a notification)."""
        return self.engine.last_notice

    def run_engine(self, request: EngineRequest) -> None:
        """Hand ``request`` to the engine worker (queued, run off the UI thread in order)."""
        self.engine.submit(request)

    async def wait_for_engine(self, timeout: float = 120.0) -> None:
        """Until the first frame is drawn, no request is queued and no engine worker runs.

        Tests and headless snapshots call this between requests, so every run applies the
        same frames in the same order (coalescing only merges requests queued together).
        """
        deadline = time.monotonic() + timeout
        while not self.frames:  # the main screen's first sync has not run yet
            if time.monotonic() > deadline:
                raise TimeoutError("the app never drew its first frame")
            await asyncio.sleep(0.01)
        await self.engine.wait()

    def on_engine_notice(self, message: EngineNotice) -> None:
        """Information for 3 s; a warning or an error for 10 s, and it stays in the Events
        panel (a failed plug-in's message must not vanish)."""
        serious = message.severity != "information"
        self.notify(message.text, severity=message.severity, timeout=10 if serious else 3)
        if serious:
            try:
                self._main_screen().query_one(EventLog).notice(self.session.step_index, message.text)
            except Exception:   # the main screen is not mounted yet (or any more)
                pass

    def _table_due(self, now: float) -> bool:
        """Whether a frame built at ``now`` while playing should carry the job list."""
        return now - self._last_table >= self._table_interval

    async def _apply(self, frames: list[ArmFrame], full: bool = True) -> None:
        """Show frames; ``full=False`` frames carry the job list of the last full frame
        (play mode between table refreshes), so the table is not refreshed from them."""
        if not frames or frames[0].version < self._applied_version:
            return  # a stale frame from a worker that was superseded
        self._applied_version = frames[0].version
        self.frames = frames
        now = time.monotonic()
        if self.playing:
            self.rates.observe(now, frames[0].step)
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
        """Release the transport keys while the job filter is being typed into, and on
        the debugger's list screens."""
        focused = self.focused
        if action in _TRANSPORT and isinstance(focused, Input) and focused.display:
            return False
        # a list screen (breakpoints, history, divergence) uses keys of its own
        if action in _TRANSPORT and action not in ("quit", "help") and getattr(self.screen, "OWN_KEYS", False):
            return False
        return True

    def action_toggle_play(self) -> None:
        if self.session.done and not self.playing:
            self.notify("the simulation is complete", timeout=2)
            return
        if not self.playing:
            self.rates.reset()
        self.run_engine(Pause() if self.playing else Play())
        self._refresh_header()

    def action_step(self) -> None:
        self.run_engine(Step())

    def action_back(self) -> None:
        self.run_engine(Back())

    def action_faster(self) -> None:
        self.speed_index = min(len(SPEEDS) - 1, self.speed_index + 1)
        self._refresh_header()

    def action_slower(self) -> None:
        self.speed_index = max(0, self.speed_index - 1)
        self._refresh_header()

    def action_fork(self, placement: str | None = None, policy: str | None = None,
                    lp_capacity: str | None = None, redecide: bool = True) -> None:
        """Fork B; it re-decides the round on screen with its change (``redecide``; the
        headless snapshot's ``--fork-at K`` forks after round K instead, as ``ab`` does)."""
        if self.session.forked:
            self.notify("a fork is already open (x closes it)", timeout=2)
            return
        self.run_engine(Fork(ForkChange.variant(self.session.a.sharing, placement, policy, lp_capacity), redecide))

    def action_close_fork(self) -> None:
        if not self.session.forked:
            self.notify("no fork is open (s forks)", timeout=2)
            return
        self.run_engine(CloseFork())

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
        self.run_engine(Pause())
        self.exit()

    # ------------------------------------------------------------------ inspector
    def open_inspector(self, arm: str, job_id: int | None = None, gpu_id: int | None = None) -> None:
        ins = self.session.inspect(arm, job_id=job_id, gpu_id=gpu_id)
        if ins.job is None and ins.gpu_id is None:
            self.notify(f"job {job_id} has not arrived yet", timeout=2)
            return
        if isinstance(self.screen, InspectorScreen):
            self.pop_screen()
        self.push_screen(InspectorScreen(ins))

    def on_gpu_chosen(self, message: GpuChosen) -> None:
        self.open_inspector(message.arm, gpu_id=message.gpu_id)

    def on_job_chosen(self, message: JobChosen) -> None:
        self.open_inspector(message.arm, job_id=message.job_id)

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
        # ("Failed to save screenshot"); ours writes to the export folder (export_path) instead.
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
    for kind, ref, label in (("placement", cfg.mode.placement, sim.placement_label),
                             ("policy", cfg.mode.policy, sim.policy_label)):
        if ref is not None and not ref.entry:
            out[kind] = ((f"{label} ({ref.spec})", ref.canonical),)
    return out


def make_app(scenario: Any, overrides: list[str] | None = None, *, speed_index: int = 2) -> FragscopeApp:
    """An app with everything environment-dependent fixed (theme, animations): tests, snapshots."""
    app = FragscopeApp.from_scenario(scenario, overrides, speed_index=speed_index)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app
