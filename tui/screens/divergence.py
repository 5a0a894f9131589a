"""The first divergence of the arms: A's and B's decisions of that round side by side.

A decision (placed, moved, preempted, finished) both arms made alike is dim; one that only
one arm made is bright and marked ``≠`` — the place where the two futures part.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from fragscope import DecisionRow


def _key(d: DecisionRow) -> tuple:
    return d.job_id, d.action, d.gpus


def decision_table(title: str, rows: tuple[DecisionRow, ...], other: tuple[DecisionRow, ...]) -> Table:
    """One arm's decisions of the round; those the other arm did not make are marked."""
    theirs = {_key(d) for d in other}
    t = Table(title=title, expand=True, show_edge=False, pad_edge=False)
    for col in ("", "job", "action", "where"):
        t.add_column(col, no_wrap=True)
    t.add_column("rule", no_wrap=True, overflow="ellipsis", ratio=1)   # (the inspector has it whole)
    for d in rows:
        same = _key(d) in theirs
        style = "dim" if same else "bold #ffd75f"
        where = f"{d.gpu_type} s{d.server} g{','.join(map(str, d.gpus))}" if d.gpus else "—"
        t.add_row(Text("" if same else "≠", style=style), Text(str(d.job_id), style=style),
                  Text(d.action, style=style), Text(where, style=style), Text(d.rule, style="dim"))
    if not rows:
        t.add_row("", Text("no decisions", style="dim"), "", "", "")
    return t


class DivergenceScreen(ModalScreen[None]):
    """Round ``step``'s decisions in A and B (``titles``: what each arm is)."""

    OWN_KEYS = True   # the app's transport keys are released here (FragscopeApp.check_action)
    BINDINGS = [Binding("escape,q,d,enter", "close", "Close")]
    DEFAULT_CSS = """
    DivergenceScreen { align: center middle; background: $background 60%; }
    DivergenceScreen > VerticalScroll { width: 96%; height: 90%; border: thick $accent; background: $surface; }
    DivergenceScreen Horizontal { height: auto; }
    DivergenceScreen Horizontal > Static { width: 1fr; padding: 0 1; }
    """

    def __init__(self, step: int, note: str, rows: dict[str, tuple[DecisionRow, ...]],
                 titles: dict[str, str]) -> None:
        super().__init__()
        self.step, self.note, self.rows, self.titles = step, note, rows, titles

    def compose(self) -> ComposeResult:
        (la, a), (lb, b) = list(self.rows.items())[:2]
        with VerticalScroll() as box:
            box.border_title = f"first divergence: round {self.step} — esc closes"
            yield Static(Text(self.note, style="italic"))
            with Horizontal():
                yield Static(decision_table(f"{la}: {self.titles.get(la, '')}", a, b))
                yield Static(decision_table(f"{lb}: {self.titles.get(lb, '')}", b, a))

    def action_close(self) -> None:
        self.dismiss(None)
