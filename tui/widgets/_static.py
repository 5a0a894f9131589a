"""A Static that only asks for a re-layout when its line count changes.

``Static.update`` re-lays-out the whole screen by default (tens of ms on this app);
panels whose height is fixed or depends only on their number of lines skip that.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class PanelStatic(Static):
    DEFAULT_CSS = """
    PanelStatic { text-wrap: nowrap; text-overflow: clip; }
    """
    _lines: int = -1

    def _relayout_needed(self, text: Text) -> bool:
        lines = text.plain.count("\n") + 1
        changed = lines != self._lines
        self._lines = lines
        return changed
