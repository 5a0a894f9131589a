"""Pure drawing helpers: colours, stacked GPU bars, heat scales, inline sparklines.

No Textual imports: these return Rich ``Segment``/``Style`` values so they can be
unit-tested and reused by several widgets.

Colour choices degrade on purpose: every colour is an exact xterm-256 cube colour (so a
256-colour terminal shows the same picture as a true-colour one); job cells are drawn
with the full-block glyph in the job's *foreground* colour and empty capacity with a
dotted track, so with 16 colours or ``NO_COLOR`` the bars still show where jobs are,
where capacity is free, and (via the printed ids) which job is which.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

from rich.segment import Segment
from rich.style import Style

#: Left-eighth blocks: EIGHTHS[k] covers k/8 of a cell (k = 1..7); index 0 unused.
EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
TRACK_CHAR = "·"
SPARK = " ▁▂▃▄▅▆▇█"

JOB_COLOURS: tuple[str, ...] = (
    "#d75f5f", "#5f87d7", "#87af5f", "#d7af5f", "#af87d7", "#5fafaf",
    "#d787af", "#87afd7", "#afaf5f", "#d7875f", "#5faf87", "#8787af",
)
TRACK_BG = "#303030"
TRACK_FG = "#6c6c6c"
DIM_JOB = "#585858"
#: Heatmap: fill level 1..8 (ceil(milli / 125)); level 0 is the empty track.
FILL_COLOURS: tuple[str, ...] = (
    TRACK_BG, "#005f87", "#0087af", "#00afaf", "#00af87", "#5faf5f", "#87af00", "#afd700", "#ffd700",
)
#: LP time-share heat scale (0 < share <= 1), five steps.
HEAT_COLOURS: tuple[str, ...] = ("#5f5f00", "#875f00", "#af5f00", "#d75f00", "#ff8700")
A_COLOUR = "#5fafff"
B_COLOUR = "#ff875f"


def job_colour(job_id: int) -> str:
    """Stable colour per job: every GPU of a multi-GPU job shows the same colour."""
    return JOB_COLOURS[job_id % len(JOB_COLOURS)]


@lru_cache(maxsize=4096)
def _style(fg: str | None, bg: str | None, bold: bool = False) -> Style:
    return Style(color=fg, bgcolor=bg, bold=bold or None)


@lru_cache(maxsize=256)
def label_fg(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour``."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def bar_segments(jobs: Sequence[tuple[int, int]], width: int, *, labels: bool = True,
                 dim: frozenset[int] | None = None) -> list[Segment]:
    """Cached :func:`_bar_segments` (GPUs rarely change between rounds)."""
    return list(_bar_cached(tuple(jobs), width, labels, dim))


@lru_cache(maxsize=8192)
def _bar_cached(jobs: tuple[tuple[int, int], ...], width: int, labels: bool,
                dim: frozenset[int] | None) -> tuple[Segment, ...]:
    return tuple(_bar_segments(jobs, width, labels=labels, dim=dim))


def _bar_segments(jobs: Sequence[tuple[int, int]], width: int, *, labels: bool = True,
                  dim: frozenset[int] | None = None) -> list[Segment]:
    """One GPU as ``width`` cells: each job a coloured run ∝ its milli, then the free track.

    Boundaries are quantised to eighths of a cell; the cell where job *i* ends shows a
    left-eighth block in *i*'s colour over the next job's (or the track's) colour.  Two
    boundaries inside one cell collapse to one (1/8 cell ≈ 1/(8·width) GPU).  ``dim``:
    jobs *not* in this set are greyed (the job filter).
    """
    if width <= 0:
        return []
    total = 8 * width
    owners: list[int] = []          # owner index per eighth, -1 = free
    colours: list[str] = []
    cum = 0
    for idx, (job, milli) in enumerate(jobs):
        start = round(cum * total / 1000)
        cum = min(1000, cum + max(0, milli))
        end = round(cum * total / 1000)
        owners.extend([idx] * (end - start))
        colours.append(DIM_JOB if (dim is not None and job not in dim) else job_colour(job))
    owners.extend([-1] * (total - len(owners)))

    def colour(o: int) -> str:
        return TRACK_BG if o < 0 else colours[o]

    cells: list[tuple[str, Style]] = []
    for c in range(width):
        first, last = owners[8 * c], owners[8 * c + 7]
        if first == last:
            if first < 0:
                cells.append((TRACK_CHAR, _style(TRACK_FG, TRACK_BG)))
            else:
                cells.append((FULL, _style(colour(first), TRACK_BG)))
        else:
            k = sum(1 for e in range(8 * c, 8 * c + 8) if owners[e] == first)
            cells.append((EIGHTHS[k], _style(colour(first), colour(last))))
    if labels:
        _overlay_labels(cells, owners, jobs, colours)
    return _merge(cells)


def _overlay_labels(cells: list[tuple[str, Style]], owners: list[int],
                    jobs: Sequence[tuple[int, int]], colours: list[str]) -> None:
    """Print each job's id over its run of whole cells when it fits."""
    width = len(cells)
    c = 0
    while c < width:
        o = owners[8 * c]
        if o < 0 or owners[8 * c + 7] != o:
            c += 1
            continue
        end = c
        while end < width and owners[8 * end] == o and owners[8 * end + 7] == o:
            end += 1
        text = str(jobs[o][0])
        if len(text) <= end - c:
            style = _style(label_fg(colours[o]), colours[o], bold=True)
            for i, ch in enumerate(text):
                cells[c + i] = (ch, style)
        c = end


def _merge(cells: list[tuple[str, Style]]) -> list[Segment]:
    out: list[Segment] = []
    for ch, style in cells:
        if out and out[-1].style is style:
            out[-1] = Segment(out[-1].text + ch, style)
        else:
            out.append(Segment(ch, style))
    return out


def fill_colour(milli: int) -> str:
    """Heatmap shade for a GPU's used milli (0 = empty track)."""
    if milli <= 0:
        return FILL_COLOURS[0]
    return FILL_COLOURS[min(8, max(1, math.ceil(milli / 125)))]


def heat_style(share: float) -> Style:
    """Background for an LP time share in (0, 1]; text contrasts with it."""
    if share <= 1e-9:
        return _heat(-1)
    return _heat(min(len(HEAT_COLOURS) - 1, int(share * len(HEAT_COLOURS) - 1e-9)))


@lru_cache(maxsize=16)
def _heat(level: int) -> Style:
    if level < 0:
        return _style(TRACK_FG, None)
    bg = HEAT_COLOURS[level]
    return _style(label_fg(bg), bg)


def sparkline(values: Sequence[float], width: int, lo: float | None = None,
              hi: float | None = None) -> str:
    """The last ``width`` values as block characters on a fixed [lo, hi] scale.

    A fixed scale (not Textual's Sparkline min..max) keeps a flat series flat and makes
    the A and B strips comparable.
    """
    vals = [v for v in values[-width:]] if width > 0 else []
    finite = [v for v in vals if not math.isnan(v)]
    if not finite:
        return " " * len(vals)
    lo = min(finite) if lo is None else lo
    hi = max(finite) if hi is None else hi
    span = hi - lo
    out = []
    for v in vals:
        if math.isnan(v):
            out.append(" ")
        elif span <= 0:
            out.append(SPARK[4] if v > 0 else SPARK[1])
        else:
            level = (min(max(v, lo), hi) - lo) / span
            out.append(SPARK[max(1, round(level * 8))])
    return "".join(out)


def resample(values: Sequence[float], width: int) -> list[float]:
    """Squeeze a series into ``width`` columns (mean of each bucket; NaN-aware)."""
    n = len(values)
    if n <= width:
        return list(values)
    out = []
    for i in range(width):
        lo, hi = i * n // width, (i + 1) * n // width
        chunk = [v for v in values[lo:max(hi, lo + 1)] if not math.isnan(v)]
        out.append(sum(chunk) / len(chunk) if chunk else math.nan)
    return out
