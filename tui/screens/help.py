"""The ``?`` help screen: the keymap, what each panel means, and the scenario's description."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keymap import HELP_ROWS

PANELS = [
    ("GPU grid", "one row per server, grouped by GPU model; each GPU a bar. Coloured runs are "
                 "the jobs on that GPU, proportional to their milli-GPU share (1/8-cell steps), "
                 "id printed where it fits; a multi-GPU job has the same colour and id on each "
                 "of its GPUs; '·' is free capacity. Heatmap: 2 GPUs per cell, shaded by fill."),
    ("LP allocation", "the scheduler's time shares per job and GPU type (heat scale), with the "
                      "job's demand (GPUs × share), state, priority and deficit (max over types)."),
    ("Metrics", "fragmentation (rate, amount, frag/total), utilization, unallocated GPU %, "
                "occupied nodes, running / queued / completed, average JCT so far; strips "
                "show recent rounds ('—' = not measured: before round 1, or frag metrics off in this mode)."),
    ("A/B", "after 's': B is a clone of A with sharing flipped; both step in lock-step. "
            "Δ = B − A (green = B better); the plot overlays A and B, fork round marked."),
    ("Queue / events", "jobs waiting this round; per round: arrivals (+), completions (✓), "
                       "LP recomputes (≡), placements (▸)."),
]


class HelpScreen(ModalScreen[None]):
    """Keymap and legend; any of esc, ?, q closes it."""

    BINDINGS = [Binding("escape,question_mark,q,enter", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background; }
    HelpScreen > VerticalScroll { width: 92; max-width: 100%; height: auto; max-height: 95%;
                                  border: thick $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, description: str = "") -> None:
        super().__init__()
        self.description = description

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold #ffd75f", no_wrap=True)
        keys.add_column()
        for k, what in HELP_ROWS:
            keys.add_row(k, what)
        panels = Table.grid(padding=(0, 2))
        panels.add_column(style="bold", no_wrap=True)
        panels.add_column()
        for name, what in PANELS:
            panels.add_row(name, what)
        with VerticalScroll() as vs:
            vs.border_title = "fragscope — help (esc to close)"
            if self.description:
                yield Static(Text(self.description + "\n", style="italic"), classes="about")
            yield Static(keys)
            yield Static(Text(""))
            yield Static(panels)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
