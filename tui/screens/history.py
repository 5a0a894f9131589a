"""A watched job's or GPU's history: one row per round — where, what share, why waiting.

The rows come from the arms (:mod:`fragscope.tui.watch`): exact, rebuilt by replay from the
oldest checkpoint.  With a fork open, A's and B's rows for a round sit next to each other
(rows where they differ are marked).  Enter on a row goes to that round.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ..fmt import fmt_duration
from ..watch import Watched, WatchRow


class HistoryScreen(ModalScreen[int | None]):
    """The history of ``target`` in each arm (label → rows); dismisses with a round to go to."""

    OWN_KEYS = True   # the app's transport keys are released here (FragscopeApp.check_action)
    BINDINGS = [Binding("escape,q,w", "close", "Close"), Binding("enter", "go", "Go to round")]
    DEFAULT_CSS = """
    HistoryScreen { align: center middle; background: $background 60%; }
    HistoryScreen > Vertical { width: 96%; height: 90%; border: thick $accent; background: $surface; }
    HistoryScreen #history-help { height: 1; color: $text-muted; }
    HistoryScreen DataTable { height: 1fr; }
    """

    def __init__(self, target: Watched, rows: dict[str, tuple[WatchRow, ...]]) -> None:
        super().__init__()
        self.target = target
        self.rows = rows
        self._steps: list[int] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"history of {self.target} — enter goes to the round, esc closes"
            yield Static("state · where · share (LP time share per GPU type) · what happened or why it waits",
                         id="history-help")
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        arms = list(self.rows)
        table.add_columns("round", "time", *(["arm"] if len(arms) > 1 else []), "state", "where", "share", "why")
        by_step: dict[int, dict[str, WatchRow]] = {}
        for label, rows in self.rows.items():
            for r in rows:
                by_step.setdefault(r.step, {})[label] = r
        for step in sorted(by_step):
            here = by_step[step]
            differ = len(here) > 1 and len({(r.state, r.where, r.share) for r in here.values()}) > 1
            for label in arms:
                r = here.get(label)
                if r is None:
                    continue
                style = "bold #ffd75f" if differ else ""
                cells = [str(step), fmt_duration(r.time_s), *([label] if len(arms) > 1 else []),
                         r.state, r.where or "—", r.share or "—", r.why]
                table.add_row(*(Text(c, style=style) for c in cells))
                self._steps.append(step)
        if self._steps:
            table.move_cursor(row=len(self._steps) - 1)
        table.focus()

    def action_go(self) -> None:
        table = self.query_one(DataTable)
        if self._steps:
            self.dismiss(self._steps[table.cursor_row])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_go()   # (enter on the table: the table's own binding selects the row)

    def action_close(self) -> None:
        self.dismiss(None)
