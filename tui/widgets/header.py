"""The one-line header: scenario, round, simulated time, policy, placement, SHARING badge(s).

The sharing badge is the single most important fact when comparing A and B, so it is a
high-contrast reversed block with the word ON/OFF (readable without colour too).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..paint import A_COLOUR, B_COLOUR
from ..fmt import fmt_duration
from ..frames import ArmFrame

ON_STYLE = "bold #000000 on #5fd75f"
OFF_STYLE = "bold #ffffff on #af0000"


def sharing_badge(sharing: bool) -> Text:
    return Text(" SHARING ON " if sharing else " SHARING OFF ", style=ON_STYLE if sharing else OFF_STYLE)


class SimHeader(Static):
    """Scenario and transport state; rebuilt from frames after every sync."""

    DEFAULT_CSS = """
    SimHeader { height: 1; background: $panel; color: $text; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, frames: list[ArmFrame], playing: bool, speed_label: str) -> None:
        if not frames:
            return
        a = frames[0]
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" fragscope ", style="bold")
        t.append(f"{a.name} ", style="bold #5fafff")
        t.append(f"│ round {a.step} ")
        t.append(f"│ t {fmt_duration(a.now)} ")
        policies = "/".join(dict.fromkeys(f.policy for f in frames))
        placements = "/".join(dict.fromkeys(f.placement for f in frames))
        t.append(f"│ {policies} ")
        t.append(f"│ placement {placements} │ ")
        if len(frames) == 1:
            t.append_text(sharing_badge(a.sharing))
        else:
            for f, colour in zip(frames, (A_COLOUR, B_COLOUR)):
                t.append(f"{f.label} ", style=f"bold {colour}")
                t.append_text(sharing_badge(f.sharing))
                t.append(" ")
            t.append(f"fork@{frames[1].fork_step}")
        t.append(" │ ")
        overload = "/".join(dict.fromkeys(f.overload for f in frames if f.overload))
        if overload:
            t.append(f"{overload} ", style="bold #ff5f5f")
            t.append("│ ")
        if all(f.done for f in frames):
            t.append("■ done", style="bold")
        else:
            t.append("▶ playing" if playing else "▮▮ paused", style="bold")
            t.append(f"  {speed_label}")
        self.update(t, layout=False)
