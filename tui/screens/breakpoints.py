"""The breakpoints list: each condition, on or off, and how often it fired.

The screen reads and changes breakpoints through the app's public methods (which go to the
session), so it holds no state of its own beyond the table it draws.
"""

from __future__ import annotations

from typing import Protocol

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


class BreakpointHost(Protocol):
    """What the screen asks of the app."""

    def breakpoint_entries(self) -> list[tuple[int, str, bool, int]]: ...
    def toggle_breakpoint(self, index: int) -> None: ...
    def delete_breakpoint(self, index: int) -> None: ...
    def action_add_breakpoint(self) -> None: ...


class BreakpointsScreen(ModalScreen[None]):
    """Space toggles, d deletes, a adds; esc closes."""

    OWN_KEYS = True   # the app's transport keys are released here (FragscopeApp.check_action)
    BINDINGS = [Binding("escape,q,B", "close", "Close"), Binding("space", "toggle", "On/off"),
                Binding("d,delete", "delete", "Delete"), Binding("a", "add", "Add")]
    DEFAULT_CSS = """
    BreakpointsScreen { align: center middle; background: $background 60%; }
    BreakpointsScreen > Vertical { width: 80; max-width: 100%; height: 20; border: thick $accent;
                                   background: $surface; }
    BreakpointsScreen #bp-help { height: 1; color: $text-muted; }
    """

    def __init__(self, host: BreakpointHost) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "breakpoints"
            yield Static("space on/off · d delete · a add · esc close", id="bp-help")
            yield DataTable(id="breakpoints", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "on", "condition", "hits")
        self.reload()
        table.focus()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        entries = self.host.breakpoint_entries()
        for i, cond, enabled, hits in entries:
            table.add_row(str(i + 1), "●" if enabled else "○", cond, str(hits))
        if not entries:
            table.add_row("", "", "(none: press a to add one)", "")
        table.move_cursor(row=min(row, max(0, len(entries) - 1)))

    def _index(self) -> int | None:
        n = len(self.host.breakpoint_entries())
        row = self.query_one(DataTable).cursor_row
        return row if 0 <= row < n else None

    def action_toggle(self) -> None:
        i = self._index()
        if i is not None:
            self.host.toggle_breakpoint(i)
            self.reload()

    def action_delete(self) -> None:
        i = self._index()
        if i is not None:
            self.host.delete_breakpoint(i)
            self.reload()

    def action_add(self) -> None:
        self.host.action_add_breakpoint()

    def on_screen_resume(self) -> None:
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)
