"""The UI's model: arm A, optionally the fork B, stepped in lock-step under one lock.

No Textual imports here (nor in the modules it is built from: :mod:`~fragscope.tui.arm`,
:mod:`~fragscope.tui.arm_process`, :mod:`~fragscope.tui.arm_protocol`,
:mod:`~fragscope.tui.checkpoints`, :mod:`~fragscope.tui.frames`,
:mod:`~fragscope.tui.events`, :mod:`~fragscope.tui.inspection`), so every behaviour the
app shows (stepping in lock-step, rewinding, forking, the series the plots draw) is
unit-testable without a terminal.  Arms are driven only through the arm protocol
(:class:`~fragscope.tui.arm_protocol.ArmProtocol`), whichever process they live in.

Threading contract: the app steps the engine in a worker thread.  Every method that
touches a :class:`Simulation` takes ``Session.lock``; the UI thread never reads a
simulation directly, it reads immutable :class:`~fragscope.tui.frames.ArmFrame` values
built under the lock.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from fragscope import InputError, JobView, Simulation

from .arm import Arm, ArmSeed
from .arm_process import RemoteArm, use_processes
from .arm_protocol import ArmProtocol, ForkChange, lock_step
from .events import event_lines
from .frames import ArmFrame, RoundSummary
from .inspection import Inspection
from .watch import Watched
from .session_debug import RUN_UNTIL_LIMIT, Breakpoint, SessionDebugger

__all__ = ["PLAY_RECORDS_MAX_GPUS", "RUN_UNTIL_LIMIT", "Breakpoint", "Session"]

T = TypeVar("T")

#: While playing, clusters with more GPUs than this keep no placement decision records
#: (``Simulation.explain`` off: FGD's scored candidates cost ~35 % of a 6 212-GPU round);
#: single steps always record them, so the inspector has them when stepping.
PLAY_RECORDS_MAX_GPUS = 512
class Session(SessionDebugger):
    """The app's model: arm A, optionally the fork B, stepped in lock-step.

    ``ring`` bounds the number of checkpoints kept per arm (memory ∝ ring × state size).
    ``processes``: run each arm in its own process (:mod:`fragscope.tui.arm_process`); None decides
    by cluster size and cores (and the ``FRAGSCOPE_ARM_PROCESSES`` variable).  Call
    :meth:`close` when done with a session that may use processes.
    """

    def __init__(self, sim: Simulation, ring: int = 64, checkpoint_every: int | None = None,
                 processes: bool | None = None) -> None:
        self.lock = threading.RLock()
        self.ring = ring
        self.checkpoint_every = checkpoint_every
        self.processes = use_processes(int(sim.gpu_fill().size), processes)
        sim.explain = True   # the inspector's records (a stepping choice: no decision changes)
        seed = ArmSeed("A", sim, ring, checkpoint_every=checkpoint_every)
        self.arms: list[ArmProtocol] = [RemoteArm.start(seed) if self.processes else Arm.from_seed(seed)]
        self.version = 0
        self.breakpoints: tuple[Breakpoint, ...] = ()
        self.fired: tuple[Breakpoint, ...] = ()   # the breakpoints that held in the last step
        self._target: str | None = None           # run until's own condition, while it runs
        self._checked: tuple[tuple[str, bool], ...] = ()   # (condition, diverged) by position
        self._positions: dict[int, int] = {}      # checked position -> position in the arms' checks
        self.watched: Watched | None = None       # the job or GPU whose history the arms keep

    # -------------------------------------------------------------- properties
    @property
    def a(self) -> ArmProtocol:
        return self.arms[0]

    @property
    def b(self) -> ArmProtocol | None:
        return self.arms[1] if len(self.arms) > 1 else None

    @property
    def forked(self) -> bool:
        return len(self.arms) > 1

    @property
    def done(self) -> bool:
        return all(arm.done for arm in self.arms)

    @property
    def step_index(self) -> int:
        return max(arm.step_index for arm in self.arms)

    @property
    def fork_step(self) -> int | None:
        b = self.b
        return b.fork_step if b is not None else None

    # -------------------------------------------------------------- actions
    def step(self) -> list[RoundSummary]:
        """One round on every arm that is not finished (lock-step; arms in processes step
        at the same time)."""
        with self.lock:
            arms = [arm for arm in self.arms if not arm.done]
            before = [arm.step_index for arm in arms]
            try:
                out = lock_step(arms, lambda arm: arm.begin_step())
            except InputError:
                # a plug-in failed in one arm (which put itself back, see Arm.step): the
                # arms that did step go back too, so all stay in lock-step
                for arm, step in zip(arms, before):
                    if arm.step_index > step:
                        arm.rewind_to(step)
                self.version += 1
                raise
            self.version += 1
            self._note_fired(arms, out)
            return out

    def rewind(self, rounds: int = 1) -> int:
        """Step every arm back ``rounds`` rounds (bounded by the ring and the fork point)."""
        with self.lock:
            target = self.step_index - rounds
            floor = max(arm.earliest_step for arm in self.arms)
            target = max(target, floor)
            before = self.step_index
            lock_step(self.arms, lambda arm: arm.begin_rewind(target))
            self.version += 1
            return before - self.step_index

    def set_playing(self, playing: bool) -> None:
        """Play mode on a large cluster skips decision records (see PLAY_RECORDS_MAX_GPUS).
        Leaving it stops any stepping ahead (:meth:`set_ahead`)."""
        with self.lock:
            if not playing:
                self.set_ahead(0)
            for arm in self.arms:
                arm.set_explain(not (playing and arm.num_gpus > PLAY_RECORDS_MAX_GPUS))

    def set_ahead(self, rounds: int) -> None:
        """Let arms in processes run up to ``rounds`` steps ahead of :meth:`step` calls
        (play at maximum speed).  Any other call first waits for those steps, so it sees
        the round the arm reached; lowering it leaves the arms that many rounds further."""
        with self.lock:
            for arm in self.arms:
                arm.set_prefetch(rounds)

    def run_ahead(self) -> None:
        """Start the steps :meth:`set_ahead` allows now, e.g. while the screen draws a frame
        (otherwise they start with the next :meth:`step`)."""
        with self.lock:
            for arm in self.arms:
                arm.run_ahead()

    def settle(self) -> None:
        """Wait for steps run ahead (see :meth:`set_ahead`); a no-op for local arms."""
        with self.lock:
            for arm in self.arms:
                arm.settle()

    def checkpoint_idle(self) -> bool:
        """Checkpoint every arm's current round (call when the engine has nothing to do)."""
        with self.lock:
            return any(lock_step(self.arms, lambda arm: arm.begin_checkpoint()))

    def can_rewind(self) -> bool:
        with self.lock:
            return self.step_index > max(arm.earliest_step for arm in self.arms)

    def fork(self, sharing: bool | None = None, placement: str | None = None,
             policy: str | None = None, lp_capacity: str | None = None, redecide: bool = False) -> ArmProtocol:
        """Clone A into B; B flips sharing (unless told otherwise) from the next round,
        and switches placement, policy or LP capacity when given (see :class:`ForkChange`)."""
        return self.fork_with(ForkChange(sharing, placement, policy, lp_capacity), redecide)

    def fork_with(self, change: ForkChange, redecide: bool = False) -> ArmProtocol:
        """:meth:`fork` with the change as one value (the app's Fork request carries one).

        ``redecide`` (the app's fork key): B starts from the round before the current one
        and steps once, so the round on screen is already B's own — its sharing, placement,
        policy or LP capacity decided it.  B's fork point is then that previous round
        (``fragscope ab --fork-at`` and ``snapshot --fork-at`` mean the same point).
        Without it (or at the oldest checkpoint) B is a clone of the current round whose
        change applies from the next."""
        with self.lock:
            if self.forked:
                raise RuntimeError("a fork is already open; close it first")
            b = self.a.fork("B", self.ring, self.checkpoint_every, change, redecide)
            if b.step_index < self.a.step_index:
                try:
                    b.step()
                except BaseException:
                    b.close()
                    raise
            self.arms.append(b)
            b.set_checks(tuple(c for c, diverged in self._checked if not diverged))
            self.version += 1
            return b

    def close_fork(self) -> bool:
        with self.lock:
            if not self.forked:
                return False
            for arm in self.arms[1:]:
                arm.close()
            del self.arms[1:]
            self.version += 1
            return True

    def drop_arm(self, label: str) -> str:
        """Close arm ``label`` and keep the other (say, A's plug-in fails and the fork B is
        healthy): the one kept becomes A, with no fork point.  Returns what it was called."""
        with self.lock:
            if not self.forked:
                raise RuntimeError("there is one arm only: nothing to drop")
            drop = next((a for a in self.arms if a.label == label), None)
            if drop is None:
                raise RuntimeError(f"no arm {label}")
            drop.close()
            self.arms.remove(drop)
            kept = self.arms[0]
            was = kept.label
            kept.relabel("A")
            self.version += 1
            return was

    def close(self) -> None:
        """End the arms' processes, if any (a local session has nothing to release)."""
        with self.lock:
            for arm in self.arms:
                arm.close()

    # -------------------------------------------------------------- reading
    def frames(self, full: bool = True) -> list[ArmFrame]:
        """Every arm now, as immutable frames (built at the same time in arm processes)."""
        with self.lock:
            version = self.version
            return lock_step(self.arms, lambda arm: arm.begin_frame(version, full))

    def read(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` under the lock (for one-off reads such as the inspector's)."""
        with self.lock:
            return fn(*args)

    def job(self, arm_label: str, job_id: int) -> JobView | None:
        """One job's view in arm ``arm_label`` (A when there is no such arm)."""
        with self.lock:
            return self._arm(arm_label).job(job_id)

    def inspect(self, arm_label: str, job_id: int | None = None, gpu_id: int | None = None) -> Inspection:
        """A job's and/or a GPU's details in arm ``arm_label`` (A when there is no such
        arm), gathered under the lock in one go (see :mod:`fragscope.tui.inspection`)."""
        with self.lock:
            return self._arm(arm_label).inspect(job_id, gpu_id)

    def events(self, arm: ArmProtocol, after_step: int = -1, limit: int = 400) -> list[tuple[int, str, str]]:
        """Event-log lines (round, kind, text) for rounds after ``after_step``, newest last."""
        with self.lock:
            return event_lines(arm.history, after_step, limit)
