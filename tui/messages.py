"""The app's vocabulary: requests to the engine, and the messages posted inside the app.

Engine requests are small frozen dataclasses without Textual: what a key press, a palette
entry or a headless driver asks the engine to do.  The app hands them to
:meth:`fragscope.tui.engine_worker.EngineWorker.submit`, which queues them and runs them
in order off the UI thread (a value, not a method name: the worker dispatches on the type,
and a type checker sees every field).

Textual messages are posted to the app: by a widget (the user chose a GPU or a job), by
the main screen (its widgets exist), by the engine worker (a notice to show).  They are
Textual :class:`~textual.message.Message` dataclasses like Textual's own; they cannot be
frozen, since Textual marks a message while dispatching it, but nothing else writes to
them.  Their handlers are the app's ``on_<snake_case_name>`` methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from textual.message import Message

from .arm_protocol import ForkChange

Severity = Literal["information", "warning", "error"]


# ---------------------------------------------------------------------- engine requests
@dataclass(frozen=True)
class Sync:
    """Draw the arms as they are (the first frame; no round runs)."""


@dataclass(frozen=True)
class Step:
    """Run ``count`` rounds on every arm, in lock-step; pauses play."""

    count: int = 1


@dataclass(frozen=True)
class Back:
    """Rewind every arm ``count`` rounds (bounded by the checkpoints and the fork point);
    pauses play."""

    count: int = 1


@dataclass(frozen=True)
class Fork:
    """Clone A into B, which differs by ``change`` from its first round on; ``redecide``
    (the fork key): B re-decides the round on screen, so it shows its own state at once
    (see :meth:`fragscope.tui.session.Session.fork_with`)."""

    change: ForkChange = field(default_factory=ForkChange)
    redecide: bool = True


@dataclass(frozen=True)
class CloseFork:
    """Drop the fork B."""


@dataclass(frozen=True)
class Play:
    """Step at the chosen speed until paused or done."""


@dataclass(frozen=True)
class Pause:
    """Stop playing.  Never queued: it takes effect at once, as the play loop checks
    between rounds whether it should go on."""


@dataclass(frozen=True)
class GoTo:
    """Go to round ``step`` (forward by stepping, back through the checkpoints); pauses play."""

    step: int


@dataclass(frozen=True)
class RunUntil:
    """Step until ``condition`` holds (the debugger's condition language), drawing only
    the round it stops at; ``backward``: the last earlier round where it held (replay from
    the checkpoints).  Pause (space) stops a forward run."""

    condition: str
    backward: bool = False


@dataclass(frozen=True)
class Diverge:
    """Go to the first round where A's and B's decisions differ (back if both arms have
    run it, else forward until they do), then show both arms' decisions of that round."""


@dataclass(frozen=True)
class DropArm:
    """Close arm ``label`` and keep the other, which becomes A (a failing arm A, a
    healthy fork B)."""

    label: str


@dataclass(frozen=True)
class Watch:
    """Watch a job or GPU (``kind`` "job" or "gpu", ``id``) in every arm and show its
    history; ``kind`` "" shows the history of what is watched already."""

    kind: str
    id: int = -1


@dataclass(frozen=True)
class Export:
    """Draw the arms as they are and hand the app their data for an export (pauses play)."""


EngineRequest = (Sync | Step | Back | Fork | CloseFork | Play | Pause | GoTo | RunUntil | Diverge | DropArm | Watch
                 | Export)
#: Requests after which the engine goes idle at a round the user may rewind from: the
#: worker checkpoints that round then (unless playing), so ← is instant.
MOVES = (Step, Back, Fork, Play, GoTo, RunUntil, Diverge)


# ---------------------------------------------------------------------- posted to the app
@dataclass
class MainReady(Message):
    """The main screen's widgets exist: the first frame can be drawn."""


@dataclass
class GpuChosen(Message):
    """The user asked to inspect a GPU of arm ``arm`` (enter or click on the grid)."""

    arm: str
    gpu_id: int
    job_id: int | None   # the first job on it, None when idle


@dataclass
class JobChosen(Message):
    """The user asked to inspect a job of arm ``arm`` (enter or click on the table)."""

    arm: str
    job_id: int


@dataclass
class EngineNotice(Message):
    """Something the engine worker has to tell the user (a plug-in failed, nothing to
    rewind to, ...); shown as a notification."""

    text: str
    severity: Severity = "information"


@dataclass
class Diverged(Message):
    """The engine reached the arms' first divergence: round ``step``'s decisions per arm."""

    step: int
    note: str
    rows: dict = field(default_factory=dict)       # arm label -> tuple[DecisionRow, ...]


@dataclass
class WatchReady(Message):
    """A watched target's history per arm, ready to show."""

    target: object                                  # fragscope.tui.watch.Watched
    rows: dict = field(default_factory=dict)       # arm label -> tuple[WatchRow, ...]


@dataclass
class ExportReady(Message):
    """The frames just drawn and each arm's decisions of that round: write the export."""

    frames: list = field(default_factory=list)     # list[ArmFrame]
    decisions: dict = field(default_factory=dict)  # arm label -> tuple[DecisionRow, ...]
