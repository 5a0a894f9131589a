"""Arms that step in their own process, so A, B and the UI use separate cores.

Why: a round of the full Alibaba cluster is ~100 ms of Python and an LP recompute
~200 ms of ECOS.  In one process the arms step one after the other and the UI's
rendering competes with them for the GIL: with the fork open the app played at about
half the rate of one engine alone.  A :class:`RemoteArm` holds the real
:class:`~fragscope.tui.arm.Arm` in a child process and forwards the arm interface to it
(the arm protocol, :class:`~fragscope.tui.arm_protocol.ArmProtocol`), so
:class:`~fragscope.tui.session.Session` drives local and remote arms alike; the protocol's
``begin_*`` halves send a call without waiting, so every remote arm works at the same time.
Inside this module, the pipe carries a method name and its arguments; the child serves
only the arm methods listed in ``_SERVED``.

What crosses the pipe is kept small: a step returns its :class:`RoundSummary` (the
parent mirrors the history), a frame carries the GPU holdings instead of 6 000 GPU
views (the parent rebuilds the views with :class:`fragscope.ServerViewCache`) and
the job views only when they were rebuilt.  A fork pickles the forked simulation once in
A's process and hands the bytes to a process that was started in advance, so it does not
wait for Python and numpy to import.

The engine is deterministic, so an arm gives the same results in either mode (the tests
compare them).  A process ends when its socket closes, so it ends with the app even if the
app is killed.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from fragscope import DecisionRow, JobView, ServerViewCache

from .arm import Arm, ArmSeed
from .arm_protocol import ArmProtocol, ForkChange, Reply
from .frames import ArmFrame, FrameWire, RoundSummary
from .inspection import Inspection
from .runtime import tune_gc
from .watch import Watched, WatchRow

#: Environment switch: "1" always runs arms in processes, "0" never, unset/"auto" decides
#: by cluster size (PROCESS_MIN_GPUS) and the number of usable cores.
PROCESSES_ENV = "FRAGSCOPE_ARM_PROCESSES"
#: Below this many GPUs a round costs a few milliseconds and the pipe would dominate.
PROCESS_MIN_GPUS = 512

#: Playing at maximum speed, the steps an arm process runs ahead of the rounds the UI asked
#: for.  With two arms one round of slack was not enough: A and B recompute the LP
#: (~3x a round) in different rounds, and lock-step made each wait for the other's.
PREFETCH_ROUNDS = 3

#: Arm methods a child process serves (anything else is refused).
_SERVED = frozenset({"step", "frame_wire", "rewind_to", "checkpoint_now", "set_explain", "set_checks", "inspect",
                     "job", "costs", "fork_seed_bytes", "set_watched", "watch_history",
                     "round_decisions", "relabel"})


class RemoteArmError(RuntimeError):
    """The process of an arm failed or ended."""


def use_processes(num_gpus: int, requested: bool | None = None) -> bool:
    """Whether arms of a ``num_gpus`` cluster should run in their own processes."""
    if requested is not None:
        return requested
    env = os.environ.get(PROCESSES_ENV, "auto").strip().lower()
    if env in ("1", "on", "yes", "true"):
        return True
    if env in ("0", "off", "no", "false"):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return num_gpus > PROCESS_MIN_GPUS and cores >= 2


# ------------------------------------------------------------------ the child process
def _serve(conn: Connection) -> None:
    """Child main: build the arm from the seed bytes, then answer calls until closed."""
    tune_gc()
    try:
        seed: ArmSeed = pickle.loads(conn.recv_bytes())
    except (EOFError, OSError):
        return  # a spare that was never used
    mirror_history = seed.history is None
    arm = Arm.from_seed(seed)
    del seed
    conn.send(("ok", (arm.server_views(), arm.num_gpus, list(arm.history) if mirror_history else None),
               _status(arm)))
    while True:
        try:
            method, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        if method == "close":
            return
        try:
            if method not in _SERVED:
                raise AttributeError(f"an arm process does not serve {method!r}")
            if method == "step" and arm.done:
                result: Any = None  # a prefetched step past the end
            elif method == "fork_seed_bytes":
                seed = arm.fork_seed(*args, **kwargs)
                result = (pickle.dumps(seed, protocol=pickle.HIGHEST_PROTOCOL), seed.fork_step)
            else:
                result = getattr(arm, method)(*args, **kwargs)
            reply: tuple = ("ok", result, _status(arm))
        except Exception as exc:  # the parent re-raises it
            reply = ("err", _portable(exc), _status(arm))
        try:
            conn.send(reply)
        except OSError:  # the parent closed its end (e.g. closed the fork mid-step)
            return


def _status(arm: Arm) -> tuple[int, bool, int, bool]:
    return arm.step_index, arm.done, arm.earliest_step, arm.sharing


def _portable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


# ------------------------------------------------------------------ the parent's proxy
def _child_main(fd: int) -> None:
    """Entry point of an arm process (``python -c``): serve the socket inherited as ``fd``.

    The process has no visible output, so a fatal error is written to :func:`crash_log`,
    which the parent's error message names."""
    try:
        _serve(Connection(fd))
    except BaseException:
        with open(crash_log(os.getpid()), "w") as f:
            traceback.print_exc(file=f)
        raise SystemExit(1)


def crash_log(pid: int) -> Path:
    """Where the arm process ``pid`` writes its traceback if it dies of an error."""
    return Path(tempfile.gettempdir()) / f"fragscope-arm-{pid}.log"


class _Child:
    """An arm process waiting for its seed, and the parent's end of its socket.

    Started with ``subprocess`` rather than ``multiprocessing``: spawn-mode
    multiprocessing re-imports the parent's ``__main__``, which breaks scripts without a
    ``__main__`` guard.  The child's output goes to /dev/null (it would garble the app's
    screen; a fatal error goes to :func:`crash_log`); it ends when the parent's end of the socket closes, so it never outlives the app.
    """

    def __init__(self) -> None:
        parent, child = socket.socketpair()
        code = (f"import sys; sys.path[:0] = {[p for p in sys.path if p]!r}; "
                f"from fragscope.tui.arm_process import _child_main; _child_main({child.fileno()})")
        self.proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(child.fileno(),),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        child.close()
        self.conn = Connection(parent.detach())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def end(self, timeout: float = 5.0) -> int | None:
        """Wait for the process to exit (terminate it after ``timeout``); its exit code."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            return self.proc.wait()


_spare: _Child | None = None


def _process() -> _Child:
    """A started arm process waiting for its seed (the spare one when there is one)."""
    global _spare
    child, _spare = _spare, None
    if child is not None and child.alive():
        return child
    return _Child()


def _prepare_spare() -> None:
    """Start the process the next fork will use, so that fork does not wait for imports."""
    global _spare
    if _spare is None or not _spare.alive():
        _spare = _Child()


class _Pending:
    """The reply to a call sent to an arm's process: :meth:`result` receives it."""

    def __init__(self, arm: RemoteArm) -> None:
        self._arm = arm

    def result(self) -> Any:
        return self._arm._finish()


class RemoteArm(ArmProtocol):
    """An :class:`Arm` in a child process, with the parent-side mirrors Session reads."""

    def __init__(self, seed_bytes: bytes, label: str, fork_step: int | None,
                 history: list[RoundSummary] | None) -> None:
        self.label = label
        self.fork_step = fork_step
        self._child = _process()
        self._conn = self._child.conn
        self._pending: str | None = None
        self.prefetch = 0       # while playing: steps kept in flight beyond those asked for
        self._ahead = 0         # prefetched steps in flight
        try:
            self._conn.send_bytes(seed_bytes)
        except OSError as exc:
            raise RemoteArmError(f"could not start the process of arm {label}: {exc}") from exc
        servers, self.num_gpus, child_history = self._receive("init")
        self._servers = ServerViewCache(servers)
        self.history: list[RoundSummary] = history if history is not None else list(child_history)
        self._jobs: tuple = ()
        self._allocation: dict[int, dict[str, float]] = {}
        _prepare_spare()

    @classmethod
    def start(cls, seed: ArmSeed) -> "RemoteArm":
        history = list(seed.history) if seed.history is not None else None
        return cls(pickle.dumps(seed, protocol=pickle.HIGHEST_PROTOCOL), seed.label, seed.fork_step, history)

    # ---------------------------------------------------------------- the pipe
    def _begin(self, method: str, *args: Any, **kwargs: Any) -> _Pending:
        """Send a call of an arm method without waiting; the reply's ``result`` collects it
        (one call in flight)."""
        if self._pending is not None:
            raise RemoteArmError(f"arm {self.label}: a call is already in flight")
        if self._ahead:
            if method == "step":  # the oldest prefetched step is this one
                self._ahead -= 1
                self._pending = method
                return _Pending(self)
            self._settle_ahead()  # any other call sees the state after the prefetched steps
        try:
            self._conn.send((method, args, kwargs))
        except OSError as exc:
            raise self._dead(exc) from exc
        self._pending = method
        return _Pending(self)

    def _finish(self) -> Any:
        """Receive the reply to the call in flight (and start steps run ahead after a step)."""
        method, self._pending = self._pending, None
        value = self._settle(method or "?")
        if method == "step":
            self.run_ahead()
        return value

    def run_ahead(self) -> None:
        """Start steps until ``prefetch`` are in flight (nothing when not playing at max speed)."""
        while self._pending is None and self._ahead < self.prefetch and not self.done:
            try:
                self._conn.send(("step", (), {}))
            except OSError as exc:
                raise self._dead(exc) from exc
            self._ahead += 1

    def _settle_ahead(self) -> None:
        while self._ahead:
            self._ahead -= 1
            self._settle("step")

    def _settle(self, method: str) -> Any:
        """Receive the reply to ``method`` and update the mirrors."""
        value = self._receive(method)
        if method == "step" and value is not None:  # None: the arm was done (a prefetch too many)
            self.history.append(value)
        elif method == "rewind_to":
            del self.history[value + 1 - self.history[0].step:]
        elif method == "frame_wire":
            value = self._decode(value)
        return value

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._begin(method, *args, **kwargs).result()

    def _receive(self, method: str) -> Any:
        try:
            kind, value, status = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._dead(exc) from exc
        if status is not None:
            self._status = status
        if kind == "err":
            raise value
        return value

    def _dead(self, exc: BaseException) -> RemoteArmError:
        code = self._child.end(timeout=1)
        log = crash_log(self._child.proc.pid)
        where = f"; its traceback is in {log}" if log.exists() else ""
        return RemoteArmError(f"the process of arm {self.label} ended (exit code {code}): {exc}{where}")

    def _decode(self, wire: FrameWire) -> ArmFrame:
        if wire.fresh:
            self._jobs, self._allocation = wire.frame.jobs, wire.frame.allocation
        return dataclasses.replace(wire.frame, servers=tuple(self._servers.views(wire.holdings)),
                                   jobs=self._jobs, allocation=self._allocation, history=tuple(self.history))

    def close(self) -> None:
        """End the child process (idempotent)."""
        if self._conn.closed:
            return
        if self._child.alive():
            try:
                self._conn.send(("close", (), {}))
            except OSError:
                pass
        self._conn.close()
        self._child.end()

    # ---------------------------------------------------------------- the arm protocol
    @property
    def step_index(self) -> int:
        return self._status[0]

    @property
    def done(self) -> bool:
        return self._status[1]

    @property
    def earliest_step(self) -> int:
        return self._status[2]

    @property
    def sharing(self) -> bool:
        return self._status[3]

    def begin_step(self) -> Reply[RoundSummary]:
        return self._begin("step")

    def begin_rewind(self, target: int) -> Reply[int]:
        return self._begin("rewind_to", target)

    def begin_frame(self, version: int, full: bool = True) -> Reply[ArmFrame]:
        return self._begin("frame_wire", version, full)

    def begin_checkpoint(self) -> Reply[bool]:
        return self._begin("checkpoint_now")

    def step(self) -> RoundSummary:
        return self.begin_step().result()

    def frame(self, version: int, full: bool = True) -> ArmFrame:
        return self.begin_frame(version, full).result()

    def rewind_to(self, target: int) -> int:
        return self.begin_rewind(target).result()

    def checkpoint_now(self) -> bool:
        return self.begin_checkpoint().result()

    def set_explain(self, explain: bool) -> None:
        self._call("set_explain", explain)

    def set_checks(self, conditions: tuple[str, ...]) -> None:
        self._call("set_checks", tuple(conditions))

    def set_watched(self, target: Watched | None) -> None:
        self._call("set_watched", target)

    def watch_history(self) -> tuple[WatchRow, ...]:
        return self._call("watch_history")

    def round_decisions(self) -> tuple[DecisionRow, ...]:
        return self._call("round_decisions")

    def relabel(self, label: str) -> None:
        self._call("relabel", label)
        self.label, self.fork_step = label, None

    def set_prefetch(self, rounds: int) -> None:
        """Keep ``rounds`` steps in flight beyond those asked for (play mode at maximum
        speed), so this process neither waits for the UI nor for the other arm's slower
        rounds (an LP recompute).  Lowering it settles the extra steps in flight: the arm
        then stands further than the caller last asked for."""
        self.prefetch = max(0, rounds)
        while self._ahead > self.prefetch:
            self._ahead -= 1
            self._settle("step")

    def settle(self) -> None:
        """Wait for the steps in flight (the state then is the one the next call sees)."""
        self._settle_ahead()

    def inspect(self, job_id: int | None = None, gpu_id: int | None = None) -> Inspection:
        return self._call("inspect", job_id, gpu_id)

    def job(self, job_id: int) -> JobView | None:
        return self._call("job", job_id)

    def costs(self) -> tuple[float, float, int]:
        return self._call("costs")

    def fork(self, label: str, ring: int, checkpoint_every: int | None, change: ForkChange,
             redecide: bool = False) -> RemoteArm:
        """Fork in this arm's process; the forked arm gets a process of its own."""
        seed_bytes, at = self._call("fork_seed_bytes", label, ring, checkpoint_every, change, redecide)
        return RemoteArm(seed_bytes, label, at, [h for h in self.history if h.step <= at])
