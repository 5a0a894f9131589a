"""The arm protocol: everything :class:`~fragscope.tui.session.Session` asks of an arm.

An arm is one simulation (A, or the fork B) plus what the UI remembers of its past.  It
lives in the app's process (:class:`fragscope.tui.arm.Arm`) or in a process of its own
(:class:`fragscope.tui.arm_process.RemoteArm`); the session drives both through this
protocol alone, by ordinary method calls, so either kind can stand in for the other and a
type checker sees every call.

Lock-step: A and B each run a round before either is shown.  With arms in processes they
should run it at the same time, so the four operations the session applies to every arm
come in two halves: ``begin_*`` starts the operation and returns a :class:`Reply`, whose
:meth:`~Reply.result` finishes it.  An arm in this process does the work in ``begin_*``
and hands back a :class:`Ready` value; an arm in a process sends the call and waits only
in ``result``.  :func:`lock_step` begins the operation on every arm, then collects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from fragscope import DecisionRow, JobView, Simulation

from .frames import ArmFrame, RoundSummary
from .inspection import Inspection
from .watch import Watched, WatchRow

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Reply(Protocol[T_co]):
    """An arm operation begun and not yet finished."""

    def result(self) -> T_co:
        """Wait for the operation and return its value (or raise its error)."""
        ...


@dataclass(frozen=True)
class Ready(Generic[T]):
    """A reply that is already there: an arm in this process did the work at once."""

    value: T

    def result(self) -> T:
        return self.value


@dataclass(frozen=True)
class ForkChange:
    """What the fork B changes from A, from its first round on.

    ``sharing`` None flips A's GPU-sharing setting (the ``s`` key); a placement, policy
    or LP capacity (None: A's) comes with the sharing setting the caller chose, so a
    variant fork changes one thing at a time.  Picklable: it crosses to an arm's process.
    """

    sharing: bool | None = None
    placement: str | None = None
    policy: str | None = None
    lp_capacity: str | None = None

    @classmethod
    def variant(cls, a_sharing: bool, placement: str | None = None, policy: str | None = None,
                lp_capacity: str | None = None) -> "ForkChange":
        """The app's fork: with a placement, policy or LP capacity, B keeps A's sharing
        (one change at a time); with none, B flips sharing (the ``s`` key)."""
        changes = placement is not None or policy is not None or lp_capacity is not None
        return cls(a_sharing if changes else None, placement, policy, lp_capacity)

    def apply(self, sim: Simulation) -> Simulation:
        """A clone of ``sim`` (arm A's simulation) changed as the fork B starts."""
        b = sim.clone()
        b.set_sharing((not sim.sharing) if self.sharing is None else self.sharing)
        if self.placement is not None:
            b.set_placement(self.placement)
        if self.policy is not None:
            b.set_policy(self.policy)
        if self.lp_capacity is not None:
            b.set_lp_capacity(self.lp_capacity)
        return b


class ArmProtocol(Protocol):
    """What a session may ask of an arm (local or in a process), and nothing else."""

    label: str                       # "A" or "B"
    fork_step: int | None            # the round B was forked at (None for A)
    num_gpus: int
    history: list[RoundSummary]      # one summary per round this arm has shown

    @property
    def step_index(self) -> int:
        """The round the arm stands at (0 = the initial state)."""
        ...

    @property
    def done(self) -> bool:
        """Whether the simulation has finished."""
        ...

    @property
    def earliest_step(self) -> int:
        """The oldest round the arm can rewind to (its checkpoints, its fork point)."""
        ...

    @property
    def sharing(self) -> bool:
        """Whether GPU sharing is on in this arm."""
        ...

    # ---------------------------------------------------------------- lock-step halves
    def begin_step(self) -> Reply[RoundSummary]:
        """Start one round; the reply is its summary."""
        ...

    def begin_rewind(self, target: int) -> Reply[int]:
        """Start going back to round ``target`` (clamped); the reply is the round reached."""
        ...

    def begin_frame(self, version: int, full: bool = True) -> Reply[ArmFrame]:
        """Start capturing the arm as an :class:`ArmFrame` (``full=False``: reuse the last
        full frame's job views, see :meth:`fragscope.tui.arm.Arm.frame`)."""
        ...

    def begin_checkpoint(self) -> Reply[bool]:
        """Start checkpointing the current round; the reply says whether one was taken."""
        ...

    # ---------------------------------------------------------------- one arm at a time
    def step(self) -> RoundSummary:
        """One round, finished."""
        ...

    def rewind_to(self, target: int) -> int:
        """Back to round ``target`` (clamped to what the arm holds); the round reached."""
        ...

    def frame(self, version: int, full: bool = True) -> ArmFrame:
        """The arm now, as one immutable value."""
        ...

    def checkpoint_now(self) -> bool:
        """Checkpoint the current round unless it already is one."""
        ...

    def set_explain(self, explain: bool) -> None:
        """Keep placement decision records or not (play mode on large clusters: not)."""
        ...

    def set_checks(self, conditions: tuple[str, ...]) -> None:
        """Check ``conditions`` after each step from now on (RoundSummary.held: which held)."""
        ...

    def set_watched(self, target: Watched | None) -> None:
        """Watch a job or GPU (None: stop); its rows so far are rebuilt exactly, see
        :meth:`fragscope.tui.arm.Arm.set_watched`."""
        ...

    def watch_history(self) -> tuple[WatchRow, ...]:
        """The watched target's history, one row per round, oldest first."""
        ...

    def round_decisions(self) -> tuple[DecisionRow, ...]:
        """The decisions of the round the arm stands at."""
        ...

    def relabel(self, label: str) -> None:
        """Become arm ``label``, no longer a fork (the arm kept when the other is dropped)."""
        ...

    def set_prefetch(self, rounds: int) -> None:
        """Let the arm run up to ``rounds`` steps ahead of the ones asked for (an arm in a
        process, playing at maximum speed; an arm in this process never runs ahead)."""
        ...

    def run_ahead(self) -> None:
        """Start the steps :meth:`set_prefetch` allows now (a no-op without a process)."""
        ...

    def settle(self) -> None:
        """Wait for the steps run ahead (a no-op without a process)."""
        ...

    def inspect(self, job_id: int | None = None, gpu_id: int | None = None) -> Inspection:
        """A job's and/or a GPU's details in this arm now (the inspector's data)."""
        ...

    def job(self, job_id: int) -> JobView | None:
        """One job's view, None before it arrives."""
        ...

    def costs(self) -> tuple[float, float, int]:
        """(step seconds, checkpoint seconds, checkpoint bytes) as estimated so far."""
        ...

    def fork(self, label: str, ring: int, checkpoint_every: int | None, change: ForkChange,
             redecide: bool = False) -> ArmProtocol:
        """A new arm ``label`` continuing from this one's current round with ``change``
        (``redecide``: from the round before, so one step re-decides the current round
        with the change; see :meth:`fragscope.tui.arm.Arm.fork_seed`)."""
        ...

    def close(self) -> None:
        """Release what the arm holds (its process); idempotent."""
        ...


def lock_step(arms: Sequence[ArmProtocol], begin: Callable[[ArmProtocol], Reply[T]]) -> list[T]:
    """``begin`` on every arm, then every reply's result, in the arms' order.

    Arms in processes thus work at the same time.  A reply that was begun is always
    collected, even after another arm failed (each process's pipe must be drained before
    its next call); then the first error is raised.  An arm that fails while beginning
    (one in this process does its work there) stops the remaining arms from beginning,
    as a plain loop would.
    """
    replies: list[Reply[T]] = []
    errors: list[Exception] = []
    for arm in arms:
        try:
            replies.append(begin(arm))
        except Exception as exc:
            errors.append(exc)
            break
    out: list[T] = []
    for reply in replies:
        try:
            out.append(reply.result())
        except Exception as exc:  # collect every reply first
            errors.append(exc)
    if errors:
        raise errors[0]
    return out
