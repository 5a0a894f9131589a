"""The GPU grid: every server's GPUs as stacked fill bars, or a dense fill heatmap.

A Line-API widget (``ScrollView`` + ``render_line`` → ``Strip``): only the rows on
screen are built, and built rows are cached per frame, so a 6 212-GPU cluster redraws
in a few milliseconds (one widget per bar would cost ~0.5 ms per bar per frame, tui.md §2.3).

* **bars**: one row per server, grouped by GPU model; each GPU a bar whose coloured
  runs are the jobs packed on it (eighth-block precision, ids printed where they fit).
* **heatmap**: two GPUs per character cell (upper/lower half block), shaded by fill, so
  ~6 000 GPUs fit in ~30 rows of 100 columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual import events

from fragscope import ServerView

from ..paint import FILL_COLOURS, _style, bar_segments
from ..frames import ArmFrame
from ..messages import GpuChosen

LABEL_WIDTH = 6          # "  123 " server id column in bars mode
HEAT_GUTTER = 8          # heatmap: GPU model and % used in a left gutter (no header rows)
MIN_BAR, MAX_BAR = 3, 24
HEATMAP_AUTO_GPUS = 512  # clusters larger than this open in heatmap mode
CURSOR_STYLE = Style(color="#ffffff", bold=True)
HEADER_STYLE = Style(color="#ffffff", bold=True)
HEADER_DIM = Style(color="#8a8a8a")
MATCH_COLOUR = "#ff5fff"


@dataclass(frozen=True)
class Row:
    """One display row: a group header, a server (bars) or a heatmap strip."""

    kind: str              # "header" | "server" | "heat"
    group: int
    server: int = -1       # index into frame.servers (bars)
    start: int = 0         # first index into the group's GPU list (heatmap)


@dataclass(frozen=True)
class Group:
    gpu_type: str
    servers: tuple[int, ...]   # indices into frame.servers
    gpus: tuple[int, ...]      # GPU ids in display order


def build_groups(servers: tuple[ServerView, ...], type_order: tuple[str, ...]) -> list[Group]:
    """Servers grouped by GPU model (scenario's type order, then any others); CPU-only last."""
    by_type: dict[str, list[int]] = {}
    for i, srv in enumerate(servers):
        key = srv.gpu_type if srv.gpus else ""
        by_type.setdefault(key, []).append(i)
    order = [t for t in type_order if t in by_type] + sorted(t for t in by_type if t not in type_order and t)
    if "" in by_type:
        order.append("")
    return [Group(t or "cpu-only", tuple(by_type[t]),
                  tuple(g.gpu_id for i in by_type[t] for g in servers[i].gpus)) for t in order]


class GpuGrid(ScrollView, can_focus=True):
    """Per-server GPU bars or a fill heatmap for one arm (A or B)."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("left_square_bracket", "cursor_gpu(-1)", "Prev GPU", show=False),
        Binding("right_square_bracket", "cursor_gpu(1)", "Next GPU", show=False),
        Binding("pageup", "cursor(-10)", show=False),
        Binding("pagedown", "cursor(10)", show=False),
        Binding("enter", "select", "Inspect", show=False),
    ]
    DEFAULT_CSS = """
    GpuGrid { height: 1fr; scrollbar-size: 1 1; }
    """

    heatmap: reactive[bool] = reactive(False)

    def __init__(self, arm: str = "A", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.arm = arm
        self.frame: ArmFrame | None = None
        self.matched: frozenset[int] | None = None   # job filter (None = no filter)
        self.cursor_gpu = 0
        self._groups: list[Group] = []
        self._rows: list[Row] = []
        self._layout_key: tuple = ()
        self._server_of_gpu: dict[int, tuple[int, int]] = {}   # gpu -> (server idx, slot)
        self._pos_of_gpu: dict[int, tuple[int, int]] = {}      # gpu -> (group, index in group)
        self._cache: LRUCache[tuple, Strip] = LRUCache(2048)
        self._filter_version = 0
        self._group_arrays: dict[int, np.ndarray] = {}
        self._levels_key: tuple = ()
        self._levels_cache = np.zeros(0, dtype=np.int64)
        self._most_gpus = 1          # GPUs of the largest server (bar width), per topology

    # ------------------------------------------------------------------ data in
    def update_frame(self, frame: ArmFrame, auto_mode: bool = False) -> None:
        """New data for this pane; ``auto_mode`` picks heatmap for large clusters."""
        first = self.frame is None or len(self.frame.servers) != len(frame.servers)
        self.frame = frame
        if first:
            self._groups = build_groups(frame.servers, frame.gpu_types)
            self._server_of_gpu = {g.gpu_id: (i, k) for i, s in enumerate(frame.servers)
                                   for k, g in enumerate(s.gpus)}
            self._pos_of_gpu = {gpu: (gi, k) for gi, grp in enumerate(self._groups)
                                for k, gpu in enumerate(grp.gpus)}
            self._layout_key = ()
            self._group_arrays = {}
            self._most_gpus = max((len(s.gpus) for s in frame.servers), default=1) or 1
            if auto_mode:
                self.set_reactive(GpuGrid.heatmap, len(frame.fill) > HEATMAP_AUTO_GPUS)
        self._relayout()
        self.refresh()

    def set_filter(self, matched: frozenset[int] | None) -> None:
        self.matched = matched
        self._filter_version += 1
        self.refresh()

    def watch_heatmap(self) -> None:
        self._layout_key = ()
        self._relayout()
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()

    # ------------------------------------------------------------------ layout
    def _usable_width(self) -> int:
        return max(10, self.scrollable_content_region.width)

    def bar_width(self) -> int:
        if not self.frame:
            return MIN_BAR
        return max(MIN_BAR, min(MAX_BAR, (self._usable_width() - LABEL_WIDTH) // self._most_gpus - 1))

    def heat_width(self) -> int:
        return max(8, self._usable_width() - HEAT_GUTTER)

    def _relayout(self) -> None:
        if self.frame is None:
            return
        key = (self.heatmap, self._usable_width(), len(self.frame.servers))
        if key == self._layout_key:
            return
        self._layout_key = key
        rows: list[Row] = []
        width = 0
        if self.heatmap:
            w = self.heat_width()
            for gi, grp in enumerate(self._groups):
                if not grp.gpus:
                    continue
                rows.extend(Row("heat", gi, start=s) for s in range(0, len(grp.gpus), 2 * w))
            width = w + HEAT_GUTTER
        else:
            bw = self.bar_width()
            for gi, grp in enumerate(self._groups):
                rows.append(Row("header", gi))
                rows.extend(Row("server", gi, server=i) for i in grp.servers)
            width = LABEL_WIDTH + self._most_gpus * (bw + 1)
        self._rows = rows
        self.virtual_size = Size(width, len(rows))
        self._cache.clear()

    # ------------------------------------------------------------------ drawing
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.scrollable_content_region.width
        base = self._base_style()
        if self.frame is None or index >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[index]
        cursor = self._cursor_key(row)
        key = (index, self.frame.version, self._layout_key, cursor, self._filter_version)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._build_row(row)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _base_style(self) -> Style:
        """The widget's background style, computed once per frame (rich_style is costly)."""
        key = (self.frame.version if self.frame else -1, self.app.theme)
        if getattr(self, "_base_key", None) != key:
            self._base_key = key
            self._base = self.rich_style
        return self._base

    def _cursor_key(self, row: Row) -> int:
        if not self.has_focus:
            return -1
        if row.kind == "server":
            loc = self._server_of_gpu.get(self.cursor_gpu)
            return loc[1] if loc and loc[0] == row.server else -1
        if row.kind == "heat":
            gi, k = self._pos_of_gpu.get(self.cursor_gpu, (-1, -1))
            w = self.heat_width()
            return k - row.start if gi == row.group and row.start <= k < row.start + 2 * w else -1
        return -1

    def _build_row(self, row: Row) -> Strip:
        frame = self.frame
        assert frame is not None
        if row.kind == "header":
            return Strip(self._header_segments(row.group))
        if row.kind == "server":
            return Strip(self._server_segments(frame.servers[row.server], self._cursor_key(row)))
        return Strip(self._heat_segments(row, self._cursor_key(row)))

    def _header_segments(self, gi: int) -> list[Segment]:
        grp = self._groups[gi]
        n = len(grp.gpus)
        used = busy = 0
        if self.frame is not None and n:
            sel = self.frame.fill[self._group_index(gi)]
            used, busy = int(sel.sum()), int(np.count_nonzero(sel))
        pct = 100 * used / (1000 * n) if n else 0.0
        return [Segment(f"▌{grp.gpu_type} ", HEADER_STYLE),
                Segment(f"{len(grp.servers)} server{'s' if len(grp.servers) != 1 else ''} · {n} GPUs · "
                        f"{busy} busy · {pct:.0f}% of capacity used",
                        HEADER_DIM)]

    def _server_segments(self, srv: ServerView, cursor: int) -> list[Segment]:
        bw = self.bar_width()
        label_style = Style(reverse=True, bold=True) if cursor >= 0 else HEADER_DIM
        segs = [Segment(f"{srv.server_id:>{LABEL_WIDTH - 1}} ", label_style)]
        if not srv.gpus:
            segs.append(Segment("(no GPU)", HEADER_DIM))
            return segs
        for k, gpu in enumerate(srv.gpus):
            segs.extend(bar_segments(gpu.jobs, bw, dim=self.matched))
            segs.append(Segment("◀" if k == cursor else " ", CURSOR_STYLE))
        return segs

    def _group_index(self, gi: int) -> np.ndarray:
        arr = self._group_arrays.get(gi)
        if arr is None:
            arr = self._group_arrays[gi] = np.asarray(self._groups[gi].gpus, dtype=np.int64)
        return arr

    def _levels(self) -> np.ndarray:
        """Heatmap colour index per GPU id for this frame (0 = free, 1..8 = fill, 9 = filter match)."""
        frame = self.frame
        assert frame is not None
        key = (frame.version, self._filter_version)
        if self._levels_key != key:
            levels = np.minimum(8, (np.asarray(frame.fill, dtype=np.int64) + 124) // 125)
            matched = self._matched_gpus()
            if matched:
                levels[np.fromiter(matched, dtype=np.int64)] = 9
            self._levels_cache, self._levels_key = levels, key
        return self._levels_cache

    def _gutter(self, row: Row, w: int) -> list[Segment]:
        """Model name on a group's first heatmap row, its % of capacity used on the second."""
        index = row.start // (2 * w)
        if index == 0:
            text, style = self._groups[row.group].gpu_type[:HEAT_GUTTER - 1], HEADER_STYLE
        elif index == 1:
            sel = self.frame.fill[self._group_index(row.group)] if self.frame is not None else None
            pct = 100 * int(sel.sum()) / (1000 * len(sel)) if sel is not None and len(sel) else 0.0
            text, style = f"{pct:4.0f}%", HEADER_DIM
        else:
            text, style = "", HEADER_DIM
        return [Segment(f"{text:<{HEAT_GUTTER - 1}} ", style)]

    def _heat_segments(self, row: Row, cursor: int) -> list[Segment]:
        """One heatmap row: upper half = GPU i, lower half = GPU i + width; runs merged with numpy."""
        w = self.heat_width()
        idx = self._group_index(row.group)
        levels = self._levels()
        top = levels[idx[row.start:row.start + w]]
        bottom = np.full(len(top), -1, dtype=np.int64)
        lower = levels[idx[row.start + w:row.start + 2 * w]]
        bottom[:len(lower)] = lower
        codes = top * 16 + (bottom + 1)
        if 0 <= cursor < 2 * w:
            x = cursor % w
            if x < len(codes):
                codes = codes.copy()
                codes[x] = (10 * 16 + (bottom[x] + 1)) if cursor < w else (top[x] * 16 + 11)
        segs = self._gutter(row, w)
        if len(codes) == 0:
            return segs
        cuts = np.flatnonzero(np.diff(codes)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(codes)]))
        for a, b in zip(starts.tolist(), ends.tolist()):
            segs.append(Segment("▀" * (b - a), _heat_style(int(codes[a]))))
        return segs

    def _matched_gpus(self) -> set[int] | None:  # noqa: D401
        if self.matched is None or self.frame is None:
            return None
        return {g.gpu_id for s in self.frame.servers for g in s.gpus
                if any(j in self.matched for j, _ in g.jobs)}

    # ------------------------------------------------------------------ legend
    def legend(self) -> str:
        """Markup for the pane's subtitle: what the colours mean in this mode."""
        if self.heatmap:
            n = len(self.frame.fill) if self.frame is not None else 0
            return (f"{n} GPUs, 2 per cell ▀▄: [{FILL_COLOURS[0]}]█[/] free [{FILL_COLOURS[2]}]█[/] ≤25% "
                    f"[{FILL_COLOURS[5]}]█[/] ≤63% [{FILL_COLOURS[8]}]█[/] full")
        return "█ job (colour+id per job)  · free  ▏▎▍ 1/8 GPU steps"

    # ------------------------------------------------------------------ cursor
    def gpu_ids(self) -> list[int]:
        return [g for grp in self._groups for g in grp.gpus]

    def action_cursor(self, delta: int) -> None:
        if not self._pos_of_gpu:
            return
        if self.heatmap:
            gi, k = self._pos_of_gpu.get(self.cursor_gpu, (0, 0))
            gpus = self._groups[gi].gpus
            k2 = k + delta * self.heat_width()
            if 0 <= k2 < len(gpus):
                self.move_cursor(gpus[k2])
            else:
                self.action_cursor_gpu(1 if delta > 0 else -1)
            return
        loc = self._server_of_gpu.get(self.cursor_gpu)
        if loc is None or self.frame is None:
            return
        server_rows = [r.server for r in self._rows if r.kind == "server" and self.frame.servers[r.server].gpus]
        i = server_rows.index(loc[0]) if loc[0] in server_rows else 0
        j = min(max(0, i + delta), len(server_rows) - 1)
        srv = self.frame.servers[server_rows[j]]
        self.move_cursor(srv.gpus[min(loc[1], len(srv.gpus) - 1)].gpu_id)

    def action_cursor_gpu(self, delta: int) -> None:
        ids = self.gpu_ids()
        if not ids:
            return
        i = ids.index(self.cursor_gpu) if self.cursor_gpu in self._pos_of_gpu else 0
        self.move_cursor(ids[min(max(0, i + delta), len(ids) - 1)])

    def move_cursor(self, gpu_id: int) -> None:
        """Put the cursor on ``gpu_id`` and scroll it into view."""
        if gpu_id not in self._pos_of_gpu:
            return
        self.cursor_gpu = gpu_id
        row = self._row_of_gpu(gpu_id)
        if row is not None:
            self.scroll_to_region_if_needed(row)
        self.refresh()

    def scroll_to_region_if_needed(self, row: int) -> None:
        top, height = int(self.scroll_y), self.scrollable_content_region.height
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def _row_of_gpu(self, gpu_id: int) -> int | None:
        if self.heatmap:
            gi, k = self._pos_of_gpu[gpu_id]
            w = self.heat_width()
            for i, r in enumerate(self._rows):
                if r.kind == "heat" and r.group == gi and r.start <= k < r.start + 2 * w:
                    return i
            return None
        srv = self._server_of_gpu[gpu_id][0]
        return next((i for i, r in enumerate(self._rows) if r.kind == "server" and r.server == srv), None)

    def jobs_on(self, gpu_id: int) -> tuple[tuple[int, int], ...]:
        loc = self._server_of_gpu.get(gpu_id)
        if loc is None or self.frame is None:
            return ()
        return self.frame.servers[loc[0]].gpus[loc[1]].jobs

    def action_select(self) -> None:
        jobs = self.jobs_on(self.cursor_gpu)
        self.post_message(GpuChosen(self.arm, self.cursor_gpu, jobs[0][0] if jobs else None))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ mouse
    def gpu_at(self, x: int, y: int) -> int | None:
        """The GPU drawn at content offset (x, y) (scroll included), if any."""
        if self.frame is None:
            return None
        index = y + int(self.scroll_y)
        if not 0 <= index < len(self._rows):
            return None
        row = self._rows[index]
        x += int(self.scroll_x)
        if row.kind == "server":
            srv = self.frame.servers[row.server]
            k = (x - LABEL_WIDTH) // (self.bar_width() + 1)
            return srv.gpus[k].gpu_id if x >= LABEL_WIDTH and 0 <= k < len(srv.gpus) else None
        if row.kind == "heat":
            gpus = self._groups[row.group].gpus
            i = row.start + x - HEAT_GUTTER
            return gpus[i] if x >= HEAT_GUTTER and i < len(gpus) and x - HEAT_GUTTER < self.heat_width() else None
        return None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        gpu = self.gpu_at(offset.x, offset.y)
        if gpu is not None:
            self.cursor_gpu = gpu
            self.focus()
            self.action_select()


_LEVEL_COLOURS = tuple(FILL_COLOURS) + (MATCH_COLOUR, "#ffffff")  # 0..8 fill, 9 match, 10 cursor


def _heat_style(code: int) -> Style:
    """Style of a heatmap cell code: upper level * 16 + (lower level + 1); lower 0 = no GPU."""
    top, bottom = divmod(code, 16)
    return _style(_LEVEL_COLOURS[top], _LEVEL_COLOURS[bottom - 1] if bottom else None)


def _merge_segments(segs: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for seg in segs:
        if out and out[-1].style is seg.style:
            out[-1] = Segment(out[-1].text + seg.text, seg.style)
        else:
            out.append(seg)
    return out
