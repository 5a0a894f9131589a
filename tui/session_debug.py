"""The session's debugger: go to a round, run until a condition (both ways), breakpoints,
the first divergence of the arms, a watched job or GPU.

A mixin of :class:`~fragscope.tui.session.Session` (its own module: one concern, and the
session's lock-step core stays short).  It uses only the session's arms, lock, ``step``,
``rewind`` and the arm protocol, so, like the session, it has no Textual in it.  Every
condition is checked by the arms themselves (each arm's ``set_checks``), except
``diverged``, which needs both arms' decision fingerprints and is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from fragscope import DecisionRow, InputError, parse_condition

from .arm_protocol import ArmProtocol
from .frames import RoundSummary
from .watch import Watched, WatchRow

if TYPE_CHECKING:
    import threading


#: Run until stops after this many rounds at most when the condition never holds.
RUN_UNTIL_LIMIT = 5_000


def _check_app_condition(condition: str) -> bool:
    """Parse ``condition`` (an InputError pointing at the column when malformed) and say
    whether it is the arms' ``diverged`` (checked here, from both arms' fingerprints);
    every other condition is checked by each arm on itself."""
    cond = parse_condition(condition, "run until")
    if cond.needs_fork():
        if cond.is_diverged:
            return True
        raise InputError("run until", "in the app 'diverged' stands alone and 'B.' is not needed: each arm "
                         "checks the condition on itself (run until stops when it holds in either)")
    return False


@dataclass(frozen=True)
class Breakpoint:
    """A named condition: stepping or playing stops in the round where it holds."""

    condition: str
    enabled: bool = True
    hits: int = 0


def _held(arms, summaries, position: int, diverged: bool) -> str | None:
    """The arm(s) where watched condition ``position`` held this step ("A", "B", "A/B")."""
    if diverged:
        ok = len(summaries) == 2 and summaries[0].fingerprint != summaries[1].fingerprint
        return "A/B" if ok else None
    for arm, summary in zip(arms, summaries):
        if position in summary.held:
            return arm.label
    return None


class SessionDebugger:
    """The debugger half of :class:`~fragscope.tui.session.Session` (see the module)."""

    # provided by Session
    lock: "threading.RLock"
    arms: list[ArmProtocol]
    version: int
    breakpoints: tuple[Breakpoint, ...]
    fired: tuple[Breakpoint, ...]
    _target: str | None
    _checked: tuple[tuple[str, bool], ...]
    _positions: dict[int, int]
    watched: Watched | None

    if TYPE_CHECKING:
        step_index: int
        done: bool

        def step(self) -> list[RoundSummary]: ...
        def rewind(self, rounds: int = 1) -> int: ...

    def goto(self, step: int) -> int:
        """Go to round ``step`` (the state after that many steps): forward by stepping,
        backward through the checkpoint ring (bounded by it and the fork point).  Returns
        the round reached."""
        with self.lock:
            if step >= self.step_index:
                while self.step_index < step and not self.done:
                    self.step()
            else:
                self.rewind(self.step_index - step)
            return self.step_index

    def run_until(self, condition: str, limit: int = RUN_UNTIL_LIMIT,
                  stop: Callable[[], bool] | None = None) -> tuple[int, str] | None:
        """Step until ``condition`` holds after a round (in any arm; ``diverged``: the
        arms' decisions differ), without drawing the rounds in between.  Returns (round,
        arm) where it held, or None (the run ended, ``limit`` rounds passed, an enabled
        breakpoint fired — see :attr:`fired` — or ``stop()`` said so, e.g. the user paused).
        The condition is checked by each arm itself."""
        _check_app_condition(condition)
        with self.lock:
            self._set_checks(condition)
            try:
                for _ in range(limit):
                    if self.done or (stop is not None and stop()):
                        return None
                    summaries = self.step()
                    hit = _held(self.arms, summaries, 0, self._checked[0][1])
                    if hit is not None:
                        return summaries[0].step, hit
                    if self.fired:
                        return None
                return None
            finally:
                self._set_checks(None)

    def reverse_until(self, condition: str) -> tuple[int, str] | None:
        """rr's reverse-continue: the last round before the current one where ``condition``
        held, found by replaying from the oldest checkpoint (deterministic, so exact), and
        go there.  None (and back at the current round) when it held nowhere in between.
        Breakpoints do not fire while replaying."""
        _check_app_condition(condition)
        with self.lock:
            here = self.step_index
            floor = max(arm.earliest_step for arm in self.arms)
            self.rewind(here - floor)
            last = None
            self._set_checks(condition, breakpoints=False)
            try:
                while self.step_index < here:
                    summaries = self.step()
                    hit = _held(self.arms, summaries, 0, self._checked[0][1])
                    if hit is not None and summaries[0].step < here:
                        last = (summaries[0].step, hit)
            finally:
                self._set_checks(None)
                self.fired = ()
            if last is not None:
                self.rewind(self.step_index - last[0])
            return last

    # breakpoints: values, replaced whole (add / toggle / delete / a hit)
    def add_breakpoint(self, condition: str) -> Breakpoint:
        _check_app_condition(condition)
        with self.lock:
            bp = Breakpoint(condition.strip())
            self.breakpoints += (bp,)
            self._set_checks(self._target)
            return bp

    def toggle_breakpoint(self, index: int) -> Breakpoint:
        with self.lock:
            bp = replace(self.breakpoints[index], enabled=not self.breakpoints[index].enabled)
            self.breakpoints = self.breakpoints[:index] + (bp,) + self.breakpoints[index + 1:]
            self._set_checks(self._target)
            return bp

    def delete_breakpoint(self, index: int) -> Breakpoint:
        with self.lock:
            bp = self.breakpoints[index]
            self.breakpoints = self.breakpoints[:index] + self.breakpoints[index + 1:]
            self._set_checks(self._target)
            return bp

    def _set_checks(self, target: str | None, breakpoints: bool = True) -> None:
        """What every arm checks after each step: run until's condition first (when one
        runs), then the enabled breakpoints; ``diverged`` is checked here instead."""
        self._target = target
        checked = [] if target is None else [target]
        if breakpoints:
            checked += [bp.condition for bp in self.breakpoints if bp.enabled]
        self._checked = tuple((c, parse_condition(c, "condition").is_diverged) for c in checked)
        for arm in self.arms:
            arm.set_checks(tuple(c for c, diverged in self._checked if not diverged))
        self._positions = {}
        k = 0
        for i, (_, diverged) in enumerate(self._checked):
            if not diverged:
                self._positions[i] = k
                k += 1

    def _note_fired(self, arms, summaries) -> None:
        """The enabled breakpoints that held in this step; their hit counts go up."""
        fired = []
        offset = 0 if self._target is None else 1
        if len(self._checked) <= offset:
            self.fired = ()
            return
        enabled = [i for i, bp in enumerate(self.breakpoints) if bp.enabled]
        new = list(self.breakpoints)
        for pos, index in enumerate(enabled, start=offset):
            if pos >= len(self._checked):
                break
            cond, diverged = self._checked[pos]
            at = _held(arms, summaries, self._positions.get(pos, -1), diverged)
            if at is not None:
                new[index] = replace(new[index], hits=new[index].hits + 1)
                fired.append(new[index])
        self.breakpoints = tuple(new)
        self.fired = tuple(fired)


    # -------------------------------------------------------------- watch
    def watch(self, target: Watched | None) -> None:
        """Watch a job or GPU in every arm (None: stop watching); see :meth:`watch_history`."""
        with self.lock:
            self.watched = target
            for arm in self.arms:
                arm.set_watched(target)

    def watch_history(self, label: str) -> tuple[WatchRow, ...]:
        """The watched target's rows in arm ``label``: one per round, oldest first (from the
        oldest checkpoint on; a fork's rows before the fork are A's)."""
        with self.lock:
            arm = self._arm(label)
            rows = arm.watch_history()
            if arm is self.arms[0] or not rows:
                return rows
            return tuple(r for r in self.arms[0].watch_history() if r.step < rows[0].step) + rows

    def round_decisions(self, label: str) -> tuple[DecisionRow, ...]:
        """The decisions of the round arm ``label`` stands at (placed, moved, preempted, finished)."""
        with self.lock:
            return self._arm(label).round_decisions()

    # -------------------------------------------------------------- divergence
    def first_divergence(self, limit: int = RUN_UNTIL_LIMIT,
                         stop: Callable[[], bool] | None = None) -> tuple[int, bool] | None:
        """Go to the first round after the fork where A's and B's decisions differ (their
        round fingerprints, debugger.md §2).  Looks in the rounds both arms have run first
        — going back there (clamped to the oldest checkpoint: the bool is False then) —
        else runs on until they diverge.  Returns (round, exact) or None (no fork, or they
        never diverged within ``limit`` rounds)."""
        with self.lock:
            if len(self.arms) < 2:
                return None
            a, b = self.arms[0], self.arms[1]
            fork = b.fork_step or 0
            fa = {h.step: h.fingerprint for h in a.history}
            first = next((h.step for h in b.history if h.step > fork and fa.get(h.step, h.fingerprint)
                          != h.fingerprint), None)
            if first is not None:
                floor = max(arm.earliest_step for arm in self.arms)
                reached = max(first, floor)
                if reached < self.step_index:
                    self.rewind(self.step_index - reached)
                return reached, reached == first
            hit = self.run_until("diverged", limit=limit, stop=stop)
            return None if hit is None else (hit[0], True)

    def _arm(self, label: str) -> ArmProtocol:
        return next((a for a in self.arms if a.label == label), self.arms[0])
