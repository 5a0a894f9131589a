"""The engine worker: every engine request, run off the UI thread, one drainer at a time.

Why a queue: requests (:mod:`fragscope.tui.messages`) come from key presses faster than
rounds run.  They are queued, and a Textual thread worker in the exclusive group
``engine`` drains the queue; a newer drainer cancels the older one (e.g. the play loop)
without losing a request, because the requests stay in the queue, not in the worker.
Requests queued together are drawn once (coalescing), so mashed keys cost one frame.

Threading: the worker steps the :class:`~fragscope.tui.session.Session` (which takes its
own lock); frames go to the app through ``call_from_thread``, which waits until the app
has shown them: the worker never runs further ahead of the screen than one frame, and
what a frame costs to show counts in the play loop's pacing.  Notices go to the app as
posted :class:`~fragscope.tui.messages.EngineNotice` messages.  While playing, the UI
syncs at most every ``SYNC_INTERVAL`` (stretched to ``SYNC_COST_FACTOR`` times what the
last sync cost), so play speed is decoupled from render cost.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App
from textual.worker import Worker, WorkerCancelled, WorkerFailed, get_current_worker

from fragscope import InputError

from .arm import ArmFailed
from .arm_process import PREFETCH_ROUNDS
from .frames import ArmFrame
from .messages import (MOVES, Back, CloseFork, Diverge, Diverged, DropArm, EngineNotice, EngineRequest, Fork, GoTo,
                       Pause, Play, RunUntil, Severity, Step, Sync, Watch, WatchReady, Export, ExportReady)
from .session import Session
from .watch import Watched

GROUP = "engine"
SYNC_INTERVAL = 0.1
#: While playing, frames are drawn at most every SYNC_COST_FACTOR × (what the last one cost
#: to build and apply); drawing it to the screen costs about as much again, so the UI takes
#: roughly 2/SYNC_COST_FACTOR of the time and the engine the rest.
SYNC_COST_FACTOR = 5

#: What shows frames: (frames, full) -> awaitable, run on the UI thread (the app's ``_apply``).
ShowFrames = Callable[[list[ArmFrame], bool], Awaitable[None]]
#: Whether a frame built at this ``time.monotonic()`` should carry the job list (the
#: allocation table is due): the app's table throttle.
TableDue = Callable[[float], bool]


class EngineWorker:
    """Runs the engine requests of one app's session, off the UI thread.

    ``speed()`` is the chosen play speed in rounds per second (0: as fast as possible);
    ``show`` draws frames on the UI thread; ``table_due`` says whether a frame built while
    playing should carry the job list (O(jobs) to build).  ``playing`` is the play state the keys
    toggle and the play loop checks between rounds.  ``last_error`` (an engine error),
    ``last_input_error`` (bad input, a plug-in that failed) and ``last_notice`` are kept
    for headless drivers, which turn them into an exit code and a message.
    """

    def __init__(self, app: App[Any], session: Session, speed: Callable[[], float], show: ShowFrames,
                 table_due: TableDue) -> None:
        self.app = app
        self.session = session
        self._speed = speed
        self._show = show
        self._table_due = table_due
        self.playing = False
        self.last_error: Exception | None = None
        self.last_input_error: Exception | None = None
        self.last_notice = ""
        self._queue: deque[EngineRequest] = deque()
        self._queue_lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._shown = 0                 # while playing: the round of the last frame shown
        self._hit_breakpoint = False

    # ------------------------------------------------------------------ the UI thread's side
    def submit(self, request: EngineRequest) -> None:
        """Queue ``request`` and make sure a worker drains the queue.

        :class:`Pause` only clears ``playing``; :class:`Step` and :class:`Back` pause play
        first, :class:`Play` sets it (the play loop runs while it is set).
        """
        if isinstance(request, Pause):
            self.playing = False
            return
        if isinstance(request, (Step, Back, GoTo, Export)):
            self.playing = False
        elif isinstance(request, (RunUntil, Diverge)):
            # space (Pause) stops a forward run
            self.playing = not (isinstance(request, RunUntil) and request.backward)
        elif isinstance(request, Play):
            self.playing = True
        with self._queue_lock:
            self._queue.append(request)
        self.app.run_worker(self._drain, name="engine", group=GROUP, thread=True, exclusive=True,
                            description="drain the engine requests")

    def _running(self) -> list[Worker[Any]]:
        return [w for w in self.app.workers if w.group == GROUP and not w.is_finished]

    async def wait(self) -> None:
        """Until no request is queued and no engine worker runs."""
        while True:
            workers = self._running()
            with self._queue_lock:
                queued = bool(self._queue)
            if not workers and not queued:
                return
            for w in workers:
                try:
                    await w.wait()
                except (WorkerCancelled, WorkerFailed):
                    pass
            if not workers:
                await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ the worker thread
    def _drain(self) -> None:
        """Every queued request, in order, until the queue is empty or a newer drainer
        cancels this one; frames are drawn when the queue runs dry."""
        worker = get_current_worker()
        with self._drain_lock:
            while not worker.is_cancelled:
                with self._queue_lock:
                    if not self._queue:
                        return
                    request = self._queue.popleft()
                self._run(request)
                with self._queue_lock:
                    more = bool(self._queue)
                if not more:  # coalesce: keys mashed faster than rounds draw only once
                    self._call(self._show, self.session.frames(), True)
                    if not self.playing and isinstance(request, MOVES):
                        self._checkpoint_idle()

    def _checkpoint_idle(self) -> None:
        """The engine is idle: checkpoint the shown round so ← from here is instant."""
        try:
            self.session.checkpoint_idle()
        except Exception as exc:  # a failed copy must not kill the UI
            self.last_error = exc

    def _run(self, request: EngineRequest) -> None:
        """One request; an error becomes a notice (and ``last_*_error``), never a crash."""
        session = self.session
        try:
            if isinstance(request, Step):
                for _ in range(request.count):
                    if session.done:
                        self._notice("the simulation is complete")
                        break
                    session.step()
                    if self._breakpoints_fired():
                        break
            elif isinstance(request, Back):
                if session.rewind(request.count) == 0:
                    self._notice("cannot rewind further (snapshot ring limit or fork point)")
            elif isinstance(request, Fork):
                if session.forked:
                    self._notice("a fork is already open (x closes it)")
                else:
                    session.fork_with(request.change, request.redecide)
            elif isinstance(request, CloseFork):
                session.close_fork()
            elif isinstance(request, Play):
                self._play_loop()
            elif isinstance(request, GoTo):
                reached = session.goto(request.step)
                if reached != request.step:
                    self._notice(f"went to round {reached}: round {request.step} is "
                                 + ("before the oldest checkpoint or the fork" if reached > request.step
                                    else "past the end of the run"))
            elif isinstance(request, RunUntil):
                self._run_until(request)
            elif isinstance(request, Diverge):
                self._diverge()
            elif isinstance(request, DropArm):
                was = session.drop_arm(request.label)
                self._notice(f"arm {request.label} closed; {'the fork B is now A' if was != 'A' else 'A goes on'}")
            elif isinstance(request, Watch):
                self._watch(request)
            elif isinstance(request, Export):
                frames = session.frames(True)
                self._call(self._show, frames, True)   # (waits until they are on screen)
                self._post(ExportReady(frames, {arm.label: session.round_decisions(arm.label)
                                                for arm in session.arms}))
            else:
                assert isinstance(request, Sync), request  # nothing changes: the frame is drawn
        except (NotImplementedError, InputError) as exc:   # incl. a plug-in that failed
            self.playing = False
            self.last_input_error = exc   # headless drivers (snapshot) turn it into exit 2
            hint = ""
            if isinstance(exc, ArmFailed) and session.forked:
                other = next(a.label for a in session.arms if a.label != exc.label)
                hint = f" — ctrl+p 'Close arm {exc.label}, keep {other}' goes on without it"
            self._notice(str(exc) + hint, "warning")
        except Exception as exc:  # an engine error must not kill the UI
            self.last_error = exc
            self._notice(f"engine error: {exc}", "error")
            self.playing = False

    def _run_until(self, request: RunUntil) -> None:
        session = self.session
        start = session.step_index
        # no round in between is drawn: on a large cluster they keep no placement decision
        # records, as in play mode (PLAY_RECORDS_MAX_GPUS)
        session.set_playing(True)
        try:
            if request.backward:
                hit = session.reverse_until(request.condition)
            else:
                # stopped by Pause, or by any request that pauses (Step, Back, GoTo); not by
                # this drainer being superseded: the requests stay queued behind it
                hit = session.run_until(request.condition, stop=lambda: not self.playing)
                self.playing = False
        finally:
            session.set_playing(False)
        if hit is not None:
            self._notice(f"{request.condition} holds at round {hit[0]} ({'arms ' if '/' in hit[1] else 'arm '}"
                         f"{hit[1]}){' — the last time before round ' + str(start) if request.backward else ''}")
        elif request.backward:
            self._notice(f"{request.condition} held at no round between the oldest checkpoint and round {start}",
                         "warning")
        elif self._breakpoints_fired():
            pass
        else:
            self._notice(f"{request.condition} did not hold (stopped at round {session.step_index})", "warning")

    def _diverge(self) -> None:
        session = self.session
        if not session.forked:
            self._notice("no fork is open: s forks (then d finds where A and B first differ)", "warning")
            return
        session.set_playing(True)   # (as run until: no records for the rounds not drawn)
        try:
            hit = session.first_divergence(stop=lambda: not self.playing)
        finally:
            session.set_playing(False)
        self.playing = False
        if hit is None:
            if not self._breakpoints_fired():
                self._notice(f"A and B made the same decisions up to round {session.step_index}", "warning")
            return
        step, exact = hit
        note = (f"A and B first decide differently in round {step} (forked at round {session.fork_step})" if exact
                else f"they diverged before round {step}, the oldest checkpoint: showing round {step}")
        rows = {arm.label: session.round_decisions(arm.label) for arm in session.arms}
        self._post(Diverged(step, note, rows))

    def _watch(self, request: Watch) -> None:
        session = self.session
        if request.kind:
            session.watch(Watched(request.kind, request.id))   # type: ignore[arg-type]
        target = session.watched
        if target is None:
            self._notice("nothing is watched: w on a job or GPU in the inspector, or W to name one", "warning")
            return
        self._post(WatchReady(target, {arm.label: session.watch_history(arm.label) for arm in session.arms}))

    def _breakpoints_fired(self) -> bool:
        """After a step: say which breakpoints held (all of them) and whether any did."""
        fired = self.session.fired
        if fired:
            said = "; ".join(f"{bp.condition} (hit {bp.hits})" for bp in fired)
            self._notice(f"breakpoint at round {self.session.step_index}: {said}", "warning")
        return bool(fired)

    def _play_loop(self) -> None:
        """Step at the chosen speed; draw at most every SYNC_INTERVAL (see the module)."""
        session = self.session
        worker = get_current_worker()
        session.set_playing(True)
        self._shown = session.step_index
        self._hit_breakpoint = False
        try:
            self._play_rounds(worker, time.monotonic(), SYNC_INTERVAL)
        finally:
            session.set_playing(False)
        if session.done:
            self.playing = False
        elif not self.playing and not self._hit_breakpoint and session.step_index > self._shown:
            # paused: stop at the round the screen showed when the key was pressed, not at
            # the rounds stepped since (exact: back through the checkpoints and a replay)
            session.goto(self._shown)
        if worker.is_cancelled and self.playing:
            # superseded by another request: keep playing after it
            with self._queue_lock:
                self._queue.append(Play())

    def _play_rounds(self, worker: Worker[Any], last_sync: float, interval: float) -> None:
        session = self.session
        while self.playing and not worker.is_cancelled and not session.done:
            t0 = time.monotonic()
            speed = self._speed()
            # at maximum speed, arms in processes may run a few rounds ahead (no effect on
            # local arms); at a set speed they must not outrun the pace
            session.set_ahead(0 if speed else PREFETCH_ROUNDS)
            session.step()
            if self._breakpoints_fired():
                self._hit_breakpoint = True
                self.playing = False
                break
            if time.monotonic() - last_sync >= interval:
                session.settle()  # waiting for rounds run ahead is not the frame's cost
                s0 = time.monotonic()
                # job views (O(jobs)) only when the table is due: the grid, metrics and log
                # need none, the queue panel shows the last full frame's queue meanwhile
                full = self._table_due(s0)
                frames = session.frames(full=full)
                session.run_ahead()  # the arms step on while the screen draws
                self._call(self._show, frames, full)
                self._shown = max(f.step for f in frames)
                last_sync = time.monotonic()
                interval = max(SYNC_INTERVAL, SYNC_COST_FACTOR * (last_sync - s0))
            speed = self._speed()
            if speed:
                wait = 1.0 / speed - (time.monotonic() - t0)
                while wait > 0 and self.playing and not worker.is_cancelled:
                    time.sleep(min(wait, 0.05))
                    wait -= 0.05

    # ------------------------------------------------------------------ to the UI thread
    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self.app.call_from_thread(fn, *args)
        except RuntimeError:  # the app is shutting down
            pass

    def _notice(self, text: str, severity: Severity = "information") -> None:
        self.last_notice = text
        self._post(EngineNotice(text, severity))

    def _post(self, message: Any) -> None:
        try:
            self.app.post_message(message)
        except RuntimeError:  # the app's loop is closed
            pass
