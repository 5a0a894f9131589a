"""The too-small guard: shown instead of a broken layout (btop/nvtop style)."""

from __future__ import annotations

from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 80, 24


class TooSmall(Static):
    """A centred message; the main screen's breakpoint classes decide when it shows."""

    DEFAULT_CSS = """
    TooSmall { display: none; width: 1fr; height: 1fr; content-align: center middle;
               text-align: center; color: $warning; text-style: bold; }
    """

    def show_size(self, width: int, height: int) -> None:
        self.update(f"Terminal too small: {width}×{height}\n"
                    f"fragscope needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n"
                    f"Enlarge the window (q quits).")
