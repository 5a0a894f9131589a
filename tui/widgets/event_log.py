"""The event log: arrivals, completions, placements and LP recomputes, newest at the bottom.

Appended incrementally each sync; rebuilt after a rewind or a fork change so it never
shows rounds that no longer happened.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from ..paint import A_COLOUR, B_COLOUR

KIND_STYLE = {"arrival": "#5fafff", "completion": "#5fd75f", "lp": "#d7af5f", "placement": "#af87d7",
              "rejected": "#ff5f5f", "notice": "bold #ff5f5f"}
KIND_MARK = {"arrival": "+", "completion": "✓", "lp": "≡", "placement": "▸", "rejected": "✗", "notice": "!"}


def event_text(step: int, kind: str, text: str, arm: str | None = None) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    if arm is not None:
        t.append(f"{arm} ", style=f"bold {A_COLOUR if arm == 'A' else B_COLOUR}")
    t.append(f"r{step:<5}", style="dim")
    t.append(f"{KIND_MARK.get(kind, '·')} ", style=KIND_STYLE.get(kind, ""))
    t.append(text)
    return t


NOTICES_KEPT = 20


class EventLog(RichLog):
    """A bounded log of round events for A (and B after the fork)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=500, wrap=False, markup=False, highlight=False,
                         auto_scroll=True)
        self.shown: dict[str, int] = {}
        self.notices: list[Text] = []

    def on_mount(self) -> None:
        # Anchored: every layout pass (not only the refresh after a write, RichLog's own
        # auto-scroll) puts the newest line at the bottom until the user scrolls up.  A
        # screen captured right after a sync — a snapshot, or the inspector pushed over the
        # main screen while the log was shrinking — then never shows the log mid-scroll
        # (a snapshot test flaked on that with arms in processes).
        self.anchor()

    def reset(self) -> None:
        """Cleared for a rebuild; the engine's warnings stay (they are not round events
        that a rewind undoes: a plug-in that failed still failed)."""
        self.clear()
        self.shown = {}
        for line in self.notices:
            self.write(line)

    def notice(self, step: int, text: str) -> None:
        """An engine warning or error (a plug-in failed, …), kept across rebuilds."""
        line = event_text(step, "notice", text)
        self.notices.append(line)
        del self.notices[:-NOTICES_KEPT]
        self.write(line)

    def add(self, lines: list[tuple[int, str, str]], arm: str | None) -> None:
        for step, kind, text in lines:
            self.write(event_text(step, kind, text, arm))

    def add_many(self, lines: list[tuple[tuple[int, str, str], str | None]], skipped: int = 0) -> None:
        """Append lines in one write (one layout pass, not one per line); ``skipped``
        earlier lines of the same batch are summarised in a single dim line."""
        if not lines and not skipped:
            return
        out = Text(no_wrap=True, overflow="ellipsis")
        if skipped:
            out.append(f"… {skipped} earlier event{'s' if skipped != 1 else ''} not listed", style="dim")
        for i, ((step, kind, text), arm) in enumerate(lines):
            if i or skipped:
                out.append("\n")
            out.append_text(event_text(step, kind, text, arm))
        self.write(out)
