"""The app's debugger keys: go to, run until (both ways), breakpoints, the first
divergence, a watched job or GPU, exports, dropping a failing arm.

A mixin of :class:`~fragscope.tui.app.FragscopeApp` (its own module: the app's core is
screens and frames; this is what the debugger adds).  Every action either asks the engine
worker for something in a request (:mod:`fragscope.tui.messages`) or opens a screen on
data the worker sent back in a message; none touches a simulation.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fragscope import InputError, parse_condition

from .export import export_path, write_export
from .messages import Diverge, Diverged, DropArm, Export, ExportReady, GoTo, RunUntil, Watch, WatchReady
from .screens.breakpoints import BreakpointsScreen
from .screens.divergence import DivergenceScreen
from .screens.history import HistoryScreen
from .screens.inspector import InspectorScreen
from .screens.prompt import PromptScreen

if TYPE_CHECKING:   # the mixin's base for a type checker: the app is a Textual App
    from textual.app import App as _Base

    from .frames import ArmFrame
    from .session import Session
else:
    _Base = object

CONDITION_HINT = ("e.g. frag_rate_pct > 40 · queued >= 10 and not overloaded · job 12 placed · gpu 17 changes · "
                  "server 3 full · diverged (with a fork) — README 'Conditions'")


def condition_error(text: str) -> str:
    """The prompt's check of a condition: "" when it parses, else the error (with its column)."""
    try:
        parse_condition(text, "condition")
    except InputError as exc:
        return str(exc)
    return ""


def watch_error(text: str) -> str:
    """The watch prompt's check: ``job N`` or ``gpu N``."""
    parts = text.split()
    if len(parts) == 2 and parts[0] in ("job", "gpu") and parts[1].isdigit():
        return ""
    return "job N or gpu N (e.g. job 12, gpu 40)"


def arm_title(frame: Any) -> str:
    """What an arm is, in one line (the divergence screen's column titles)."""
    return (f"sharing {'on' if frame.sharing else 'off'} · {frame.placement} · {frame.policy}"
            f" · LP capacity {frame.lp_capacity}")


class DebuggerActions(_Base):
    """The debugger's actions and handlers (see the module)."""

    # provided by FragscopeApp
    session: "Session"
    frames: "list[ArmFrame]"
    last_condition: str
    last_export: "Path | None"

    if TYPE_CHECKING:
        def run_engine(self, request: object) -> None: ...

    def action_goto_round(self) -> None:
        def check(text: str) -> str:
            return "" if text.strip().isdigit() else "a round number (0, 1, 2, …)"

        def done(value: str | None) -> None:
            if value is not None:
                self.run_engine(GoTo(int(value)))
        self.push_screen(PromptScreen("Go to round", f"now at round {self.session.step_index}", check), done)

    def action_run_until(self, backward: bool = False) -> None:
        def done(value: str | None) -> None:
            if value is not None:
                self.last_condition = value
                self.run_engine(RunUntil(value, backward))
        title = "Run back until" if backward else "Run until"
        self.push_screen(PromptScreen(title, CONDITION_HINT, condition_error, self.last_condition), done)

    def action_reverse_until(self) -> None:
        self.action_run_until(backward=True)

    # ------------------------------------------------------------------ breakpoints
    def action_add_breakpoint(self) -> None:
        def done(value: str | None) -> None:
            if value is not None:
                self.add_breakpoint(value)
        self.push_screen(PromptScreen("Add a breakpoint: stop stepping or playing when", "a condition, "
                                      "as for run until (README 'Conditions')", condition_error), done)

    def add_breakpoint(self, condition: str) -> None:
        try:
            bp = self.session.add_breakpoint(condition)
        except InputError as exc:
            self.notify(str(exc), severity="warning", timeout=6)
            return
        self.notify(f"breakpoint: {bp.condition} (B lists, toggles and deletes breakpoints)", timeout=4)
        if isinstance(self.screen, BreakpointsScreen):
            self.screen.reload()

    def action_breakpoints(self) -> None:
        if not isinstance(self.screen, BreakpointsScreen):
            self.push_screen(BreakpointsScreen(self))

    def breakpoint_entries(self) -> list[tuple[int, str, bool, int]]:
        """(index, condition, enabled, hits) of every breakpoint, for the palette and the list."""
        return [(i, bp.condition, bp.enabled, bp.hits) for i, bp in enumerate(self.session.breakpoints)]

    def toggle_breakpoint(self, index: int) -> None:
        bp = self.session.toggle_breakpoint(index)
        self.notify(f"breakpoint {bp.condition}: {'on' if bp.enabled else 'off'}", timeout=3)

    def delete_breakpoint(self, index: int) -> None:
        bp = self.session.delete_breakpoint(index)
        self.notify(f"breakpoint {bp.condition} deleted", timeout=3)

    # ------------------------------------------------------------------ divergence
    def action_divergence(self) -> None:
        if not self.session.forked:
            self.notify("no fork is open: s forks, then d finds where A and B first differ", timeout=3)
            return
        self.run_engine(Diverge())

    def on_diverged(self, message: Diverged) -> None:
        titles = {f.label: arm_title(f) for f in self.frames}
        self.push_screen(DivergenceScreen(message.step, message.note, message.rows, titles))

    # ------------------------------------------------------------------ watch
    def action_watch(self) -> None:
        """The inspector's job (or GPU) becomes the watched target; elsewhere the history of
        what is watched, or a prompt when nothing is."""
        screen = self.screen
        if isinstance(screen, InspectorScreen):
            ins = screen.inspection
            kind, ident = ("job", ins.job.job_id) if ins.job is not None else ("gpu", ins.gpu_id)
            self.pop_screen()
            self.run_engine(Watch(kind, int(ident)))
        elif self.session.watched is not None:
            self.run_engine(Watch(""))
        else:
            self.action_watch_prompt()

    def action_watch_prompt(self) -> None:
        def done(value: str | None) -> None:
            if value is not None:
                kind, ident = value.split()
                self.run_engine(Watch(kind, int(ident)))
        now = self.session.watched
        self.push_screen(PromptScreen("Watch", "job N or gpu N: its history round by round (where, share, why)",
                                      watch_error, str(now) if now is not None else ""), done)

    def on_watch_ready(self, message: WatchReady) -> None:
        def done(step: int | None) -> None:
            if step is not None:
                self.run_engine(GoTo(step))
        if isinstance(self.screen, HistoryScreen):
            self.pop_screen()
        self.push_screen(HistoryScreen(message.target, message.rows), done)   # type: ignore[arg-type]

    # ------------------------------------------------------------------ exports
    def action_save_screenshot(self) -> None:
        """The screen as SVG in the export folder (:func:`~fragscope.tui.export.export_path`),
        never over an earlier one; the path is shown."""
        step = self.frames[0].step if self.frames else 0
        name = self.frames[0].name if self.frames else "scenario"
        target = export_path(name, step, ".svg")
        path = self.save_screenshot(target.name, path=str(target.parent))
        self.notify(f"saved {path}", timeout=6)

    def action_export(self) -> None:
        """The screenshot and the data on screen (jobs, GPUs, LP shares, this round's
        decisions; per arm) in a new export folder; the path is shown (pauses play)."""
        self.run_engine(Export())

    def on_export_ready(self, message: ExportReady) -> None:
        def screenshot(folder: Path) -> None:
            self.save_screenshot("screen.svg", path=str(folder))

        try:
            folder = write_export(message.frames, message.decisions, screenshot)
        except OSError as exc:
            self.notify(f"could not export: {exc}", severity="error", timeout=10)
            return
        self.last_export = folder
        self.notify(f"exported round {message.frames[0].step} to {folder}", timeout=8)

    # ------------------------------------------------------------------ a failing arm
    def arm_labels(self) -> list[str]:
        return [f.label for f in self.frames]

    def drop_arm(self, label: str) -> None:
        """Close arm ``label`` and keep the other (palette: "Close arm A, keep B")."""
        if not self.session.forked:
            self.notify("there is one arm only", timeout=2)
            return
        self.run_engine(DropArm(label))
