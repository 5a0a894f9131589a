"""The LP allocation table: active jobs × GPU types, time shares as a heat scale.

A ``DataTable`` (itself a Line-API widget) updated cell by cell: only cells whose value
changed are rewritten, because clearing and re-adding a 1 000-row table costs ~2× more
(tui.md §2.3).  The app throttles calls to :meth:`AllocTable.show` while playing.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable

from fragscope import JobView

from ..paint import heat_style
from ..frames import ArmFrame
from ..messages import JobChosen

FIXED_COLUMNS = ("job", "type", "demand", "state")
TAIL_COLUMNS = ("prio", "deficit")
COLUMN_WIDTHS = {"job": 5, "type": 20, "demand": 6, "state": 7, "prio": 7, "deficit": 9}
#: Rows shown at most (the first ones in sort order): a 3 000-row table is unreadable and
#: its cell-by-cell diff would cost ~1 s per refresh; the filter (/) narrows the rest.
MAX_ROWS = 300
#: More rows entering or leaving than this: rebuild the table (clear + add + measuring 300
#: rows is ~50 ms; each ``remove_row`` costs ~0.5 ms and shifts every row below it).
REBUILD_ROWS = 100


def column_label(name: str, width: int) -> str:
    """A header that fits ``width`` and keeps both ends: 'V100M16' → 'V1…16' (not 'V100M')."""
    return name if len(name) <= width or width < 4 else f"{name[:width - 3]}…{name[-2:]}"


def demand_text(jv: JobView) -> str:
    """GPU demand as GPUs × share of each: 1×0.5, 4×1."""
    return f"{jv.num_gpus}×{jv.gpu_milli / 1000:g}"


def short_type(job_type: str) -> str:
    """Gavel's job types, shortened for narrow tables: 'ResNet-18 (batch size 64)' → 'ResNet-18 (bs 64)'."""
    return job_type.replace("batch size ", "bs ")


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "∞"
    if math.isnan(x):
        return "—"
    return f"{x:.2f}"


def row_values(jv: JobView, gpu_types: tuple[str, ...]) -> tuple[Any, ...]:
    """Raw (sortable) values of one row, in column order."""
    prio = max(jv.priority.values(), default=0.0)
    deficit = max(jv.deficit.values(), default=0.0, key=abs)
    return (jv.job_id, short_type(jv.job_type), jv.num_gpus * jv.gpu_milli / 1000, jv.status,
            *(jv.allocation.get(t, 0.0) for t in gpu_types), prio, deficit)


class AllocTable(DataTable):
    """Jobs × GPU types of the LP's time shares, with priority, deficit, demand and state."""

    BINDINGS = [
        Binding("o", "sort_next", "Sort col", show=True),
        Binding("O", "sort_reverse", "Reverse", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.arm = "A"
        self._types: tuple[str, ...] = ()
        self._raw: dict[int, tuple[Any, ...]] = {}
        self._all: dict[int, tuple[Any, ...]] = {}
        self.total_rows = 0
        self._demand: dict[int, str] = {}
        self.sort_column = 0
        self.sort_reverse = False

    @property
    def columns_names(self) -> tuple[str, ...]:
        return FIXED_COLUMNS + self._types + TAIL_COLUMNS

    def show(self, frame: ArmFrame, matched: frozenset[int] | None) -> None:
        """Bring the table in line with ``frame`` (only changed cells are touched)."""
        if frame.gpu_types != self._types or frame.label != self.arm:
            self.arm = frame.label
            self._types = frame.gpu_types
            self.clear(columns=True)
            for name in self.columns_names:
                # fixed widths: the layout must not depend on which jobs were seen before
                width = COLUMN_WIDTHS.get(name, 5)
                self.add_column(column_label(name, width), key=name, width=width)
            self._raw = {}
        self._all = {}
        for jv in frame.jobs:
            if matched is None or jv.job_id in matched:
                self._all[jv.job_id] = row_values(jv, self._types)
                self._demand[jv.job_id] = demand_text(jv)
        self._sync_rows()

    def _sort_key(self, vals: tuple[Any, ...]) -> Any:
        v = vals[min(self.sort_column, len(vals) - 1)]
        if isinstance(v, float) and math.isnan(v):
            v = -math.inf
        return (v, vals[0])

    def _sync_rows(self) -> None:
        """Show the first MAX_ROWS jobs in sort order; diff them against what is shown."""
        order = sorted(self._all, key=lambda j: self._sort_key(self._all[j]), reverse=self.sort_reverse)
        wanted = {j: self._all[j] for j in order[:MAX_ROWS]}
        self.total_rows = len(self._all)
        churn = sum(1 for j in self._raw if j not in wanted) + sum(1 for j in wanted if j not in self._raw)
        if churn > REBUILD_ROWS:
            self._rebuild(wanted)
            return
        for j in [j for j in self._raw if j not in wanted]:
            self.remove_row(str(j))
            del self._raw[j]
        names = self.columns_names
        changed = False
        for j, vals in wanted.items():
            old = self._raw.get(j)
            if old is None:
                self.add_row(*(self._cell(j, i, v) for i, v in enumerate(vals)), key=str(j))
                changed = True
            elif old != vals:
                for i, (o, v) in enumerate(zip(old, vals)):
                    if o != v:
                        self.update_cell(str(j), names[i], self._cell(j, i, v))
                        changed = changed or i == self.sort_column
            self._raw[j] = vals
        if changed:
            self._apply_sort()

    def _rebuild(self, wanted: dict[int, tuple[Any, ...]]) -> None:
        """Replace every row (``wanted`` is in display order); keep the cursor's job and the scroll."""
        keep = None
        if self.row_count and self.cursor_row >= 0:
            try:
                keep = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
            except Exception:  # no valid cursor cell
                keep = None
        scroll_x, scroll_y = self.scroll_x, self.scroll_y
        self.clear()
        for j, vals in wanted.items():
            self.add_row(*(self._cell(j, i, v) for i, v in enumerate(vals)), key=str(j))
        self._raw = dict(wanted)
        self._apply_sort()
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep), scroll=False)
        self.scroll_to(scroll_x, scroll_y, animate=False)

    def _cell(self, job: int, col: int, value: Any) -> Any:
        n_fixed = len(FIXED_COLUMNS)
        if col == 0:
            return Text(str(value), justify="right")
        if col == 2:
            return Text(self._demand.get(job, f"{value:g}"), justify="right")
        if col == 1:
            return Text(value, overflow="ellipsis", no_wrap=True)
        if col == 3:
            return Text(value, style="bold" if value == "running" else "dim")
        if n_fixed <= col < n_fixed + len(self._types):
            return Text(f"{value:.2f}" if value > 1e-9 else "·", style=heat_style(value), justify="right")
        if isinstance(value, float):
            return Text(_fmt(value), justify="right")
        return Text(str(value))

    # ------------------------------------------------------------------ sorting
    def _apply_sort(self) -> None:
        """Sort by our raw values (the cells hold styled Text); job id breaks ties."""
        names = self.columns_names
        if not names or not self._raw:
            return
        col = min(self.sort_column, len(names) - 1)
        raw = self._raw

        def key(cells: tuple[Any, ...]) -> Any:
            vals = raw.get(int(cells[0].plain))
            if vals is None:
                return (1, 0.0, 0)
            v = vals[col]
            if isinstance(v, float) and math.isnan(v):
                v = -math.inf
            return (0, v, vals[0])

        self.sort(key=key, reverse=self.sort_reverse)

    def action_sort_next(self) -> None:
        self.sort_column = (self.sort_column + 1) % max(1, len(self.columns_names))
        self._sync_rows()
        self._apply_sort()
        self.notify(f"sorted by {self.columns_names[self.sort_column]}", timeout=1.5)

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._sync_rows()
        self._apply_sort()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        idx = event.column_index
        if idx == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = idx, False
        self._sync_rows()
        self._apply_sort()

    # ------------------------------------------------------------------ selection
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value is not None:
            self.post_message(JobChosen(self.arm, int(event.row_key.value)))

    async def _on_click(self, event: events.Click) -> None:
        before = self.cursor_row
        await super()._on_click(event)
        meta = event.style.meta
        row = meta.get("row", -1) if meta else -1
        if row >= 0 and row != before:
            self.action_select_cursor()
