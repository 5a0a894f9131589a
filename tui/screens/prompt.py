"""A one-line prompt (go to round, run until a condition): the answer is checked as it is
typed and a bad one is said inline, pointing at the column, before anything runs."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen[str | None]):
    """``check(text)`` returns an error message or "" (fine); enter on a fine answer
    dismisses with it, esc with None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical { width: 80; max-width: 100%; height: auto; border: thick $accent;
                              background: $surface; padding: 0 1; }
    PromptScreen #prompt-error { color: $error; height: auto; }
    PromptScreen #prompt-hint { color: $text-muted; height: auto; }
    """

    def __init__(self, title: str, hint: str, check: Callable[[str], str], value: str = "") -> None:
        super().__init__()
        self.title_text, self.hint, self.check, self.value = title, hint, check, value

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"{self.title_text} (enter: go, esc: cancel)"
            yield Input(value=self.value, id="prompt-input")
            yield Static("", id="prompt-error")
            yield Static(self.hint, id="prompt-hint")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#prompt-error", Static).update(self.check(event.value) if event.value.strip() else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        error = self.check(event.value)
        if error:
            self.query_one("#prompt-error", Static).update(error)
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
