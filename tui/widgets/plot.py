"""A and B histories of one metric overlaid on one braille plot, fork round marked.

Hand-rolled (≈80 lines) rather than textual-plot/plotext: no new dependency, and output
that is byte-stable for snapshot tests.  Each character cell holds 2×4 braille dots;
cells with only A's dots take A's colour, only B's B's colour, both: white.
"""

from __future__ import annotations

import math
from typing import Sequence

from rich.text import Text
from textual.widget import Widget

from ..paint import A_COLOUR, B_COLOUR

_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] of a 2x4 cell
FORK_BG = "#3a3a00"
AXIS_W = 7


def braille_plot(series: Sequence[Sequence[float]], width: int, height: int,
                 lo: float, hi: float, fork_x: int | None = None) -> list[list[tuple[int, int]]]:
    """Grid[height][width] of (braille bits, owner mask); x axis = rounds 0..len-1."""
    grid = [[(0, 0) for _ in range(width)] for _ in range(height)]
    n = max((len(s) for s in series), default=0)
    dots_w, dots_h = 2 * width, 4 * height
    span = (hi - lo) or 1.0

    def put(x: int, y: int, owner: int) -> None:
        cx, cy = x // 2, y // 4
        if 0 <= cx < width and 0 <= cy < height:
            bits, mask = grid[cy][cx]
            grid[cy][cx] = (bits | _BITS[y % 4][x % 2], mask | owner)

    for idx, s in enumerate(series):
        owner = 1 << idx
        prev = None
        for r, v in enumerate(s):
            if math.isnan(v):
                prev = None
                continue
            x = round(r * (dots_w - 1) / max(1, n - 1))
            y = dots_h - 1 - round((min(max(v, lo), hi) - lo) / span * (dots_h - 1))
            if prev is None:
                put(x, y, owner)
            else:
                px, py = prev
                steps = max(abs(x - px), abs(y - py), 1)
                for k in range(1, steps + 1):
                    put(px + round((x - px) * k / steps), py + round((y - py) * k / steps), owner)
            prev = (x, y)
    return grid


class ABPlot(Widget):
    """History of one metric for A and B on a shared axis."""

    DEFAULT_CSS = """
    ABPlot { height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = ""
        self.series: list[list[float]] = []
        self.fork_step: int | None = None
        self.scale: tuple[float, float] | None = None
        self.unit = ""

    def show(self, title: str, series: list[list[float]], fork_step: int | None,
             scale: tuple[float, float] | None, unit: str = "") -> None:
        """``scale``: fixed (lo, hi) or None for 0..max of the data; ``unit`` is appended to labels."""
        self.title, self.series, self.fork_step, self.scale, self.unit = title, series, fork_step, scale, unit
        self.refresh()

    def render(self) -> Text:
        width = max(4, self.size.width - AXIS_W)
        height = max(1, self.size.height - 1)
        finite = [v for s in self.series for v in s if not math.isnan(v)]
        lo, hi = self.scale or (0.0, max(finite) if finite else 1.0)
        grid = braille_plot(self.series, width, height, lo, hi)
        n = max((len(s) for s in self.series), default=0)
        fork_col = None
        if self.fork_step is not None and n > 1:
            fork_col = round(self.fork_step * (2 * width - 1) / (n - 1)) // 2
        out = Text(no_wrap=True, overflow="crop")
        out.append(f"{self.title}  ", style="bold")
        out.append("━ A ", style=A_COLOUR)
        out.append("━ B ", style=B_COLOUR)
        out.append("▌fork", style="#afaf00")
        out.append(f"  rounds 0–{max(0, n - 1)}\n", style="dim")
        for y, row in enumerate(grid):
            label = _axis_label(hi if y == 0 else lo if y == height - 1 else None, self.unit, hi)
            out.append(f"{label:>{AXIS_W - 1}}│", style="dim")
            for x, (bits, mask) in enumerate(row):
                colour = {1: A_COLOUR, 2: B_COLOUR, 3: "#ffffff"}.get(mask)
                style = (colour or "") + (f" on {FORK_BG}" if x == fork_col else "")
                out.append(chr(0x2800 + bits) if bits else " ", style=style.strip() or None)
            if y < height - 1:
                out.append("\n")
        return out


def _axis_label(value: float | None, unit: str, hi: float) -> str:
    if value is None:
        return ""
    return f"{value:.3g}{unit}"
