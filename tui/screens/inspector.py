"""The inspector: one job or one GPU — demand, progress, LP row, priority history, placement.

Data arrives as one :class:`~fragscope.tui.inspection.Inspection` gathered under the session lock, so
the screen never touches a simulation.  The placement decision is the engine's
:class:`fragscope.PlacementRecord` of the job (candidates, winner, rule), when it has one.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..paint import bar_segments, heat_style, job_colour, sparkline
from ..fmt import fmt_duration
from ..inspection import Inspection

MAX_CANDIDATES = 12


def _bar(jobs: tuple[tuple[int, int], ...], width: int = 40) -> Text:
    t = Text()
    for seg in bar_segments(jobs, width):
        t.append(seg.text, seg.style)
    return t


def gpu_section(ins: Inspection) -> Group:
    used = min(1000, sum(m for _, m in ins.gpu_jobs))
    head = Text(f"GPU {ins.gpu_id} · {ins.gpu_type} · server {ins.server_id} · "
                f"{used / 10:.1f}% used\n", style="bold")
    rows = Text()
    for j, milli in ins.gpu_jobs:
        rows.append("  ██ ", style=job_colour(j))
        rows.append(f"job {j}: {milli} milli-GPU\n")
    if not ins.gpu_jobs:
        rows.append("  (idle)\n", style="dim")
    return Group(head, _bar(ins.gpu_jobs), rows)


def job_section(ins: Inspection) -> Group:
    jv = ins.job
    if jv is None:
        return Group(Text("No job on this GPU.", style="dim"))
    t = Text()
    t.append(f"Job {jv.job_id}", style=f"bold {job_colour(jv.job_id)}")
    t.append(f"  {jv.job_type}  ·  {jv.status}\n", style="bold")
    t.append(f"demand      {jv.num_gpus} GPU(s) × {jv.gpu_milli} milli"
             f"   cpu {jv.cpu_milli} m   mem {jv.memory_mib} MiB   weight {jv.priority_weight:g}\n")
    done = max(0.0, min(1.0, jv.progress))
    filled = round(done * 30)
    t.append("progress    ")
    t.append("█" * filled, style="#5fd75f")
    t.append("·" * (30 - filled), style="#6c6c6c")
    t.append(f" {100 * done:.1f}%  ({jv.steps_done:,.0f} / {jv.total_steps:,.0f} steps)\n")
    label = "JCT" if jv.status == "completed" else "in system"
    t.append(f"{label:<12}{fmt_duration(jv.jct_s)}   arrived t={fmt_duration(jv.arrival_s)}\n")
    t.append(f"GPUs        {', '.join(str(g) for g in jv.gpus) or '—'}\n")
    return Group(t, lp_table(ins), priority_history(ins))


def lp_table(ins: Inspection) -> Table:
    jv = ins.job
    table = Table(title="LP row", title_justify="left", box=None, padding=(0, 1))
    table.add_column("GPU type")
    table.add_column("time share", justify="right")
    table.add_column("priority", justify="right")
    table.add_column("deficit", justify="right")
    if jv is None:
        return table
    for t in sorted(set(jv.allocation) | set(jv.priority)):
        share = jv.allocation.get(t, 0.0)
        table.add_row(t, Text(f"{share:.3f}", style=heat_style(share)),
                      _num(jv.priority.get(t)), _num(jv.deficit.get(t)))
    return table


def _num(x: float | None) -> str:
    if x is None or math.isnan(x):
        return "—"
    return "∞" if math.isinf(x) else f"{x:.3f}"


def priority_history(ins: Inspection) -> Text:
    t = Text()
    if not ins.priority_history:
        t.append("priority history: none recorded\n", style="dim")
        return t
    steps = [s for s, _, _ in ins.priority_history]
    t.append(f"\npriority history (rounds {steps[0]}–{steps[-1]})\n", style="bold")
    types = sorted(ins.priority_history[-1][1])
    width = max([6, *(len(ty) + 1 for ty in types)])
    for ty in types:
        vals = [p.get(ty, math.nan) for _, p, _ in ins.priority_history]
        vals = [v if not math.isinf(v) else math.nan for v in vals]
        t.append(f"  {ty:<{width}}")
        t.append(sparkline(vals, 50, 0.0, None) + "\n", style="#5fafff")
    return t


def decision_section(ins: Inspection) -> Group:
    """The engine's placement decision record: rule, winner and the scored candidates."""
    d = ins.decision
    if d is None:
        return Group(Text("placement decision: none recorded (the engine records decisions in "
                          "round mode; Gavel placement or a job never placed has none)", style="dim"))
    winner = f"server {d.server_id} GPU(s) {', '.join(str(g) for g in d.gpus)}"
    # the engine numbers steps from 0 while scheduling; the UI's round N (header, event
    # log) is the state after N steps, so the placement the log shows at rN has round N-1
    when = d.round + 1
    head = Text(f"placement decision (round {when}) · "
                f"{d.placement} · rule: {d.rule} · winner: {winner}\n", style="bold")
    if d.feasible or d.rejected:
        head.append(f"{d.feasible} {d.gpu_type} server(s) could take it"
                    + "".join(f" · {n} rejected: {k.replace('_', ' ')}" for k, n in d.rejected)
                    + " · candidates by score, the winner first\n", style="dim")
    job = ins.job
    if job is not None and job.allocation:
        # the GPU-type choice is the round's selection (Gavel: the type where the job's
        # priority ranked it), the node and GPU choice the placement's (the table below)
        ranked = sorted(job.allocation, key=lambda w: -job.priority.get(w, 0.0))
        others = ", ".join(f"{w} {job.allocation[w]:.2f}/{job.priority.get(w, 0.0):.3g}" for w in ranked
                           if w != d.gpu_type)
        head.append(f"GPU type {d.gpu_type}: chosen by the round's selection (LP share/priority now "
                    f"{job.allocation.get(d.gpu_type, 0.0):.2f}/{job.priority.get(d.gpu_type, 0.0):.3g}"
                    + (f"; other types {others}" if others else "") + ") · node and GPU: the placement's\n",
                    style="dim")
    if job is not None and job.gpus and set(d.gpus) != set(job.gpus):
        head.append("this is an earlier placement: the job has moved since, while playing a large "
                    "cluster (no records then); step with n to record decisions\n", style="yellow")
    table = Table(box=None, padding=(0, 1))
    extra = d.extra     # a placement's own explain() columns, one tuple per candidate
    for col in ("server/node", "GPU", "score", "Δ frag") + tuple(d.extra_columns):
        table.add_column(col, justify="right")
    cands = d.candidates
    shown = cands[:MAX_CANDIDATES]
    digits = distinguishing_digits([c[2] for c in shown])
    for i, (node, choice, score, delta) in enumerate(shown):
        won = node == d.server_id and (choice in d.gpus or choice == -1)
        more_cells = [_fmtnum(v) for v in extra[i]] if i < len(extra) else []
        # a placement's own pick_gpus is asked for the winner only: its GPUs are the decision's
        gpu = str(choice) if choice not in (None, -1) else ",".join(map(str, d.gpus)) if won and d.gpus else "—"
        table.add_row(str(node), gpu, _fmtnum(score, digits), _fmtnum(delta), *more_cells,
                      style="bold #5fd75f" if won else "")
    more = Text(f"… {len(cands) - MAX_CANDIDATES} more candidates", style="dim") \
        if len(cands) > MAX_CANDIDATES else Text("")
    return Group(head, table, more)


def why_section(ins: Inspection) -> Group:
    """A waiting job's "why waiting": its state and the reason from the mechanism down
    (fragscope.explain_job: no LP share, not selected, no server fits)."""
    why = ins.why
    if why is None or why.state != "pending":
        return Group()
    t = Text("why waiting\n", style="bold #ffaf00")
    for r in why.reasons:
        t.append(f"  {r.kind.replace('_', ' ')}: ", style="bold")
        t.append(r.text + "\n")
        for item in r.details.get("counts", ()):
            t.append(f"    {item['nodes']} server(s): {item['check'].replace('_', ' ')}\n", style="dim")
    return Group(t)


def _fmtnum(x: Any, digits: int = 4) -> str:
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return "—" if x is None else str(x)


def distinguishing_digits(values: list[Any], least: int = 4, most: int = 12) -> int:
    """Significant digits enough to tell different scores apart (1.001e+07 for every
    candidate says nothing): the fewest from ``least`` on that keep distinct values
    distinct, at most ``most``."""
    floats = [v for v in values if isinstance(v, float)]
    distinct = len(set(floats))
    for digits in range(least, most + 1):
        if len({f"{v:.{digits}g}" for v in floats}) == distinct:
            return digits
    return most


class InspectorScreen(ModalScreen[None]):
    """Details of one job (and the GPU it was opened from)."""

    BINDINGS = [Binding("escape,q,enter,i", "dismiss", "Close")]
    DEFAULT_CSS = """
    InspectorScreen { align: center middle; }
    InspectorScreen > VerticalScroll { width: 96; max-width: 100%; height: auto; max-height: 95%;
                                       border: thick $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, inspection: Inspection) -> None:
        super().__init__()
        self.inspection = inspection

    def compose(self) -> ComposeResult:
        ins = self.inspection
        with VerticalScroll() as vs:
            what = f"GPU {ins.gpu_id}" if ins.gpu_id is not None else f"job {ins.job.job_id if ins.job else '?'}"
            vs.border_title = f"Inspector · {what} · arm {ins.arm} · round {ins.step} (esc to close)"
            if ins.gpu_id is not None:
                yield Static(gpu_section(ins), id="gpu")
            yield Static(job_section(ins), id="job")
            yield Static(why_section(ins), id="why")
            yield Static(decision_section(ins), id="decision")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
