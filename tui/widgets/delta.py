"""The A/B delta panel: B − A on the figures the fork is meant to answer."""

from __future__ import annotations

import math

from rich.text import Text
from ._static import PanelStatic

from ..fmt import fmt_duration

ROWS = (("avg_jct_s", "Δ avg JCT"), ("completed", "Δ completed"),
        ("utilization", "Δ utilization"), ("frag_rate", "Δ frag rate"))


def delta_line(key: str, a: float | None, b: float | None) -> tuple[str, str]:
    """(text, style) of B − A for one metric; green when B is better."""
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "—", "dim"
    d = b - a
    better = {"avg_jct_s": d < 0, "completed": d > 0, "utilization": d > 0, "frag_rate": d < 0}[key]
    style = "bold #5fd75f" if (better and d != 0) else ("bold #ff5f5f" if d != 0 else "")
    if key == "avg_jct_s":
        rel = f" ({100 * d / a:+.1f}%)" if a else ""
        return f"{'+' if d >= 0 else '−'}{fmt_duration(abs(d))}{rel}", style
    if key == "completed":
        return f"{d:+.0f}", style
    if key == "utilization":  # a fraction
        d *= 100
    return f"{d:+.2f} pp", style


class DeltaPanel(PanelStatic):
    """B − A for avg JCT, completed jobs, utilization and frag rate."""

    DEFAULT_CSS = """
    DeltaPanel { height: auto; }
    """

    def show(self, a: dict[str, float], b: dict[str, float], fork_step: int | None) -> None:
        out = Text(no_wrap=True, overflow="crop")
        out.append(f"B − A since fork at round {fork_step}\n", style="dim")
        for key, label in ROWS:
            text, style = delta_line(key, a.get(key), b.get(key))
            out.append(f"{label:<15}", style="bold")
            out.append(text + "\n", style=style)
        out.rstrip()
        self.update(out, layout=self._relayout_needed(out))
