"""The queue panel: jobs waiting for GPUs this round, oldest first."""

from __future__ import annotations

from rich.text import Text
from ._static import PanelStatic

from ..fmt import fmt_duration
from ..frames import ArmFrame
from .alloc_table import demand_text, short_type


class QueuePanel(PanelStatic):
    """Queued jobs of one arm (filtered by the job filter), as many as fit."""

    def show(self, frame: ArmFrame, matched: frozenset[int] | None) -> None:
        queued = [jv for jv in frame.jobs if jv.status == "queued"
                  and (matched is None or jv.job_id in matched)]
        queued.sort(key=lambda jv: (jv.arrival_s, jv.job_id))
        self.border_title = f"Queue · {len(queued)} waiting"
        rows = max(1, (self.size.height or 8) - 1)
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"{'job':>6} {'type':<20} {'demand':>7} {'waited':>8}\n", style="bold")
        for jv in queued[:rows - 1]:
            out.append(f"{jv.job_id:>6} {short_type(jv.job_type)[:20]:<20} {demand_text(jv):>7} "
                       f"{fmt_duration(frame.now - jv.arrival_s):>8}\n")
        if len(queued) > rows - 1:
            out.append(f"… {len(queued) - (rows - 1)} more", style="dim")
        elif not queued:
            out.append("(empty)", style="dim")
        out.rstrip()
        self.update(out, layout=False)
