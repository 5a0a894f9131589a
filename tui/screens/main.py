"""The main screen: header, GPU grid pane(s), LP allocation table, metrics, A/B, queue, events.

Widgets are only *told* new frames (``apply``); they never read the simulation.  Layout
is responsive: A and B side by side from 140 columns, stacked below; under 80×24 the
whole body is replaced by a "terminal too small" message (breakpoint classes).
"""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from ..events import describe_round
from ..frames import ArmFrame
from ..messages import MainReady
from ..metric_keys import FRACTION_KEYS, PERCENT_KEYS, metric_scale
from ..widgets.alloc_table import AllocTable
from ..widgets.delta import DeltaPanel
from ..widgets.event_log import EventLog
from ..widgets.gpu_grid import GpuGrid
from ..widgets.header import SimHeader, sharing_badge
from ..widgets.metrics import LABELS, MetricsPanel
from ..widgets.plot import ABPlot
from ..widgets.queue import QueuePanel
from .too_small import MIN_HEIGHT, MIN_WIDTH, TooSmall

#: Event-log lines written per frame at most (older ones of the batch are summarised):
#: at full speed a 6 000-GPU cluster logs hundreds of events per frame.
EVENTS_PER_SYNC = 300
EVENTS_PER_SYNC_PLAYING = 40

PLOT_KEYS = ("frag_rate", "utilization", "avg_jct_s", "completed", "queued", "running",
             "unalloc_gpu_pct", "frag_amount", "frag_over_total", "busy_milli_pct", "partial_gpus",
             "occupied_nodes")


class SimPane(Vertical):
    """One arm's GPU grid with a titled border (arm label + sharing state)."""

    def __init__(self, arm: str) -> None:
        super().__init__(id=f"pane-{arm}", classes="pane")
        self.arm = arm

    def compose(self) -> ComposeResult:
        yield GpuGrid(self.arm, id=f"grid-{self.arm}")

    def set_title(self, frame: ArmFrame, legend: str, other: ArmFrame | None = None) -> None:
        """Label, sharing, placement, round — and, beside the other arm, whatever else
        differs (policy, LP capacity), so a fork never looks like its original."""
        badge = sharing_badge(frame.sharing).plain.strip()
        if other is not None:
            self.other = other
        other = getattr(self, "other", None)
        extra = ""
        if frame.fork_step is not None and frame.step == frame.fork_step:
            extra += " · its change applies from the next round"
        if other is not None and other.label != frame.label:
            if other.policy != frame.policy:
                extra += f" · policy {frame.policy}"
            if other.lp_capacity != frame.lp_capacity:
                extra += f" · LP capacity {frame.lp_capacity}"
        title = (f"{frame.label} · {badge} · {frame.placement}{extra} · round {frame.step}"
                 + (" · done" if frame.done else ""))
        if title != self.border_title:
            self.border_title = title
        if legend != self.border_subtitle:  # markup: parse only when it changes
            self.border_subtitle = legend


class MainScreen(Screen):
    """Everything the user watches; the app feeds it frames after each engine step."""

    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (MIN_WIDTH, "-narrow"), (140, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (MIN_HEIGHT, "-tall")]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.frames: list[ArmFrame] = []
        self.matched: frozenset[int] | None = None
        self.filter_text = ""
        self.table_arm = "A"
        self.plot_key: str | None = None
        self.heatmap: bool | None = None   # None until the first frame picks a mode

    def compose(self) -> ComposeResult:
        yield SimHeader(id="header")
        yield Static(id="description")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                with Horizontal(id="panes"):
                    yield SimPane("A")
                table = AllocTable(id="alloc")
                table.border_title = "LP allocation · A"
                yield table
            with Vertical(id="right"):
                metrics = MetricsPanel(id="metrics")
                metrics.border_title = "Metrics"
                yield metrics
                with Vertical(id="ab"):
                    yield DeltaPanel(id="delta")
                    yield ABPlot(id="plot")
                yield QueuePanel(id="queue")
                log = EventLog(id="events")
                log.border_title = "Events"
                yield log
        yield Input(placeholder="filter jobs: id, type or state (enter keeps, esc clears)", id="filter")
        yield TooSmall(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ab").display = False
        self.query_one("#filter", Input).display = False
        self.query_one("#filter", Input).cursor_blink = False
        self.call_after_refresh(self.post_message, MainReady())

    def on_resize(self, event: Resize) -> None:
        self.query_one(TooSmall).show_size(event.size.width, event.size.height)

    # ------------------------------------------------------------------ frames in
    async def apply(self, frames: list[ArmFrame], playing: bool, speed_label: str,
                    table: bool = True) -> None:
        """Show new frames; ``table=False`` skips the (throttled) allocation table."""
        old_forked = len(self.frames) > 1
        self.frames = frames
        a = frames[0]
        if self.filter_text:
            self.matched = self._match(self.filter_text)
        self.query_one(SimHeader).show(frames, playing, speed_label)
        desc = self.query_one("#description", Static)
        if getattr(desc, "_shown", None) != (a.description or a.name):
            desc._shown = a.description or a.name  # type: ignore[attr-defined]
            desc.update(a.description or a.name, layout=False)
        forked = len(frames) > 1
        panes = self.query_one("#panes")
        if forked and not old_forked and not self.query("#pane-B"):
            await panes.mount(SimPane("B"))
        elif not forked and self.query("#pane-B"):
            if self.table_arm == "B":
                self.table_arm = "A"
            await self.query_one("#pane-B").remove()
        panes.set_class(forked, "forked")
        for frame in frames:
            found = self.query(f"#grid-{frame.label}")
            if not found:
                continue
            grid = found.first(GpuGrid)
            if self.heatmap is None:
                grid.update_frame(frame, auto_mode=True)
                self.heatmap = grid.heatmap
                self.set_class(self.heatmap, "heatmap")
            else:
                if grid.heatmap != self.heatmap:
                    grid.set_reactive(GpuGrid.heatmap, self.heatmap)
                    grid.watch_heatmap()
                grid.update_frame(frame)
            if grid.matched != self.matched:
                grid.set_filter(self.matched)
            other = next((f for f in frames if f.label != frame.label), None)
            self.query_one(f"#pane-{frame.label}", SimPane).set_title(frame, grid.legend(), other)
        self.query_one(MetricsPanel).show(frames)
        self._show_ab(frames)
        shown = self._table_frame()
        self.query_one(QueuePanel).show(shown, self.matched)
        self._show_events(frames, forked != old_forked, playing)
        if table:
            self.refresh_table()

    def _table_frame(self) -> ArmFrame:
        return next((f for f in self.frames if f.label == self.table_arm), self.frames[0])

    def refresh_table(self) -> None:
        if not self.frames:
            return
        frame = self._table_frame()
        table = self.query_one(AllocTable)
        table.show(frame, self.matched)
        shown = (f" · first {table.row_count} of {table.total_rows} (sorted; / filters)"
                 if table.total_rows > table.row_count else "")
        solver = f" · solver: {frame.lp_note}" if frame.lp_note else ""   # fallback or inaccurate
        table.border_title = f"LP allocation · {frame.label} · {len(frame.jobs)} active jobs{shown}{solver}"

    def _show_ab(self, frames: list[ArmFrame]) -> None:
        ab = self.query_one("#ab")
        ab.display = len(frames) > 1
        if len(frames) < 2:
            return
        a, b = frames[0], frames[1]
        self.query_one(DeltaPanel).show(a.metrics, b.metrics, b.fork_step)
        key = self.plot_key or self._default_plot_key(a)
        series = [a.series(key), b.series(key)]
        scale = metric_scale(key)
        if key in FRACTION_KEYS:  # plot fractions as percentages
            series = [[100 * v for v in s] for s in series]
            scale = (0.0, 100.0)
        unit = "%" if key in FRACTION_KEYS or key in PERCENT_KEYS else ""
        self.query_one(ABPlot).show(LABELS.get(key, key), series, b.fork_step, scale, unit)

    def _default_plot_key(self, frame: ArmFrame) -> str:
        value = frame.metrics.get("frag_rate")
        return "frag_rate" if value is not None and not math.isnan(value) else "utilization"

    def cycle_plot(self) -> None:
        current = self.plot_key or (self._default_plot_key(self.frames[0]) if self.frames else PLOT_KEYS[0])
        self.plot_key = PLOT_KEYS[(PLOT_KEYS.index(current) + 1) % len(PLOT_KEYS)]
        if self.frames:
            self._show_ab(self.frames)

    def _show_events(self, frames: list[ArmFrame], fork_changed: bool, playing: bool = False) -> None:
        """Append the rounds not yet logged (A and B interleaved by round)."""
        log = self.query_one(EventLog)
        if fork_changed or any(f.step < log.shown.get(f.label, -1) for f in frames):
            log.reset()
        forked = len(frames) > 1
        pending: list[tuple[int, int, tuple[int, str, str]]] = []
        for order, f in enumerate(frames):
            after = log.shown.get(f.label)
            if after is None:  # a fresh log starts at the fork, or with recent rounds only
                after = f.fork_step if f.fork_step is not None else max(-1, f.step - 60)
            prev = None
            for s in f.history:
                if s.step > after and s.step > 0:
                    pending.extend((s.step, order, line) for line in describe_round(s, prev))
                prev = s
            log.shown[f.label] = f.step
        pending.sort(key=lambda p: (p[0], p[1]))
        cap = EVENTS_PER_SYNC_PLAYING if playing else EVENTS_PER_SYNC
        shown = pending[-cap:]
        log.add_many([(line, frames[order].label if forked else None) for _, order, line in shown],
                     skipped=len(pending) - len(shown))

    # ------------------------------------------------------------------ grid mode
    def toggle_heatmap(self) -> None:
        self.heatmap = not bool(self.heatmap)
        self.set_class(self.heatmap, "heatmap")
        for grid in self.query(GpuGrid):
            grid.heatmap = self.heatmap
            if grid.frame is not None:
                pane = self.query_one(f"#pane-{grid.arm}", SimPane)
                pane.set_title(grid.frame, grid.legend())

    # ------------------------------------------------------------------ filter
    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def _match(self, text: str) -> frozenset[int]:
        q = text.strip().lower()
        out = set()
        for f in self.frames:
            for jv in f.jobs:
                if q in f"{jv.job_id} {jv.job_type} {jv.status}".lower() or q == str(jv.job_id):
                    out.add(jv.job_id)
        return frozenset(out)

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.matched = self._match(text) if text.strip() else None
        for grid in self.query(GpuGrid):
            grid.set_filter(self.matched)
        if self.frames:
            self.refresh_table()
            self.query_one(QueuePanel).show(self._table_frame(), self.matched)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.input.display = False
            self.set_focus(self.query_one("#grid-A", GpuGrid))

    def on_key(self, event) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.display:
            box.value = ""
            box.display = False
            self.set_filter("")
            self.set_focus(self.query_one("#grid-A", GpuGrid))
            event.stop()

    # ------------------------------------------------------------------ focus → table arm
    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, GpuGrid) and widget.arm != self.table_arm:
            self.table_arm = widget.arm
            if self.frames:
                self.refresh_table()
                self.query_one(QueuePanel).show(self._table_frame(), self.matched)
