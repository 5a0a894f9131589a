"""The condition language of ``--until``, breakpoints and lessons (debugger.md §5).

    cond    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | atom
    atom    := "(" cond ")" | compare | event | flag
    compare := [arm "."] metric op number          op := < <= > >= == !=
    event   := [arm "."] "job" INT ("placed" | "moved" | "preempted" | "finished" | "pending" op INT)
             | [arm "."] "gpu" INT "changes"
             | [arm "."] "server" INT ("changes" | "full" | "empty")
    flag    := "diverged" | [arm "."] "overloaded" | [arm "."] "lp" "non_optimal"
    arm     := "A" | "B"

``metric`` is any rounds.csv column (round, time_s, queued, running, utilization,
frag_rate_pct, …).  A condition *holds at round r* when the state after stepping round r
satisfies it; an event holds in the round it happens.  ``job J pending > N`` holds once
the job has waited more than N rounds in a row (counted from when watching began: from
round 0 for ``fragscope run --until``).  Parsed by a tokenizer and a recursive-descent
parser — never ``eval`` — and a malformed condition is one :class:`ConditionError`
naming the column: ``column 8: expected a number after '>'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.decisions import FAILED, FINISHED, MOVED, PLACED, PREEMPTED
from ..core.results import round_row
from ..core.simulation import Simulation
from ..model.errors import InputError

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
JOB_EVENTS = (PLACED, MOVED, PREEMPTED, FINISHED)
KEYWORDS = frozenset({"and", "or", "not", "job", "gpu", "server", "diverged", "overloaded", "lp", "non_optimal",
                      "changes", "full", "empty", "pending", *JOB_EVENTS})
ARMS = ("A", "B")


class ConditionError(InputError):
    """A malformed condition: where (1-based column) and what was expected."""

    def __init__(self, source: str, text: str, column: int, message: str) -> None:
        self.column, self.text, self.what = column, text, message
        super().__init__(source, f"column {column}: {message} (in {text!r})")

    def __reduce__(self):  # picklable, as InputError (errors cross process boundaries)
        return (type(self), (self.source, self.text, self.column, self.what))


# ------------------------------------------------------------------ tokens
_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|-?\.\d+)|(?P<op><=|>=|==|!=|<|>)"
                    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<punct>[().])|(?P<bad>\S))")


@dataclass(frozen=True)
class _Tok:
    kind: str      # num, op, name, punct, end
    text: str
    col: int       # 1-based


def _tokens(text: str, source: str) -> list[_Tok]:
    out, pos = [], 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos and pos >= len(text):
            break
        if m.lastgroup is None:
            break
        col = m.start(m.lastgroup) + 1
        if m.lastgroup == "bad":
            raise ConditionError(source, text, col, f"unexpected character {m.group('bad')!r}")
        out.append(_Tok(m.lastgroup, m.group(m.lastgroup), col))
        pos = m.end()
    out.append(_Tok("end", "", len(text) + 1))
    return out


# ------------------------------------------------------------------ the tree
@dataclass(frozen=True)
class Compare:
    arm: str | None
    metric: str
    op: str
    value: float


@dataclass(frozen=True)
class JobEvent:
    arm: str | None
    job: int
    event: str                 # placed / moved / preempted / finished / pending
    op: str = ""
    value: int = 0


@dataclass(frozen=True)
class GpuChanges:
    arm: str | None
    gpu: int


@dataclass(frozen=True)
class ServerEvent:
    arm: str | None
    server: int
    event: str                 # changes / full / empty


@dataclass(frozen=True)
class Flag:
    arm: str | None
    name: str                  # diverged / overloaded / lp_non_optimal


@dataclass(frozen=True)
class Not:
    inner: Any


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.toks = _tokens(text, source)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, tok: _Tok, message: str) -> ConditionError:
        return ConditionError(self.source, self.text, tok.col, message)

    def word(self, t: _Tok) -> str:
        return t.text if t.kind == "name" else ""

    def parse(self) -> Any:
        if self.peek().kind == "end":
            raise self.fail(self.peek(), "empty condition: e.g. 'frag_rate_pct > 40' or 'job 812 placed'")
        node = self.or_()
        if self.peek().kind != "end":
            t = self.peek()
            raise self.fail(t, f"expected 'and', 'or' or the end, got {t.text!r}")
        return node

    def or_(self) -> Any:
        parts = [self.and_()]
        while self.word(self.peek()) == "or":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> Any:
        parts = [self.not_()]
        while self.word(self.peek()) == "and":
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_(self) -> Any:
        if self.word(self.peek()) == "not":
            self.take()
            return Not(self.not_())
        return self.atom()

    # "expected X after Y" points at Y (debugger.md: ``queued >>= 3`` -> column 8)
    def number(self, after: str, integer: bool = False) -> float:
        prev, t = self.toks[self.i - 1], self.take()
        if t.kind != "num" or (integer and not re.fullmatch(r"-?\d+", t.text)):
            raise self.fail(prev, f"expected {'a whole number' if integer else 'a number'} after {after!r}")
        return int(t.text) if integer else float(t.text)

    def op(self, after: str) -> str:
        prev, t = self.toks[self.i - 1], self.take()
        if t.kind != "op":
            raise self.fail(prev, f"expected a comparison (<, <=, >, >=, ==, !=) after {after!r}")
        return t.text

    def atom(self) -> Any:
        t = self.peek()
        if t.kind == "punct" and t.text == "(":
            self.take()
            node = self.or_()
            close = self.take()
            if close.kind != "punct" or close.text != ")":
                raise self.fail(close, "expected ')'")
            return node
        if t.kind != "name":
            raise self.fail(t, "expected a metric, 'job', 'gpu', 'server', 'lp', 'overloaded', 'diverged', "
                               f"'not' or '(', got {t.text or 'the end'!r}")
        arm = None
        if t.text in ARMS and self.toks[self.i + 1].kind == "punct" and self.toks[self.i + 1].text == ".":
            arm = t.text
            self.take(), self.take()
            t = self.peek()
            if t.kind != "name":
                raise self.fail(t, f"expected a metric or an event after '{arm}.'")
        name = self.take().text
        if name == "job":
            job = self.number("job", integer=True)
            ev = self.take()
            if self.word(ev) in JOB_EVENTS:
                return JobEvent(arm, int(job), ev.text)
            if self.word(ev) == "pending":
                op = self.op("pending")
                return JobEvent(arm, int(job), "pending", op, int(self.number(op, integer=True)))
            raise self.fail(ev, f"expected {', '.join(JOB_EVENTS)} or 'pending <op> N' after 'job {job}'")
        if name == "gpu":
            gpu = self.number("gpu", integer=True)
            ev = self.take()
            if self.word(ev) != "changes":
                raise self.fail(ev, f"expected 'changes' after 'gpu {gpu}'")
            return GpuChanges(arm, int(gpu))
        if name == "server":
            server = self.number("server", integer=True)
            ev = self.take()
            if self.word(ev) not in ("changes", "full", "empty"):
                raise self.fail(ev, f"expected 'changes', 'full' or 'empty' after 'server {server}'")
            return ServerEvent(arm, int(server), ev.text)
        if name == "lp":
            ev = self.take()
            if self.word(ev) != "non_optimal":
                raise self.fail(ev, "expected 'non_optimal' after 'lp'")
            return Flag(arm, "lp_non_optimal")
        if name == "overloaded":
            return Flag(arm, "overloaded")
        if name == "diverged":
            if arm is not None:
                raise self.fail(t, "'diverged' compares the two arms: it takes no 'A.' or 'B.'")
            return Flag(None, "diverged")
        if name in KEYWORDS:
            raise self.fail(t, f"{name!r} cannot start a condition here")
        op = self.op(name)
        return Compare(arm, name, op, self.number(op))


def parse_condition(text: str, source: str = "--until") -> "Condition":
    """Parse ``text``; a :class:`ConditionError` (an InputError) when malformed."""
    if not isinstance(text, str):
        raise InputError(source, f"a condition is text, got {type(text).__name__}")
    return Condition(text.strip(), _Parser(text, source).parse(), source)


# ------------------------------------------------------------------ evaluation
@dataclass
class ArmRound:
    """One arm after a step: its simulation and whether the backlog calls it overloaded."""

    sim: Simulation
    overloaded: bool = False


@dataclass
class Condition:
    """A parsed condition and the little history its events need; :meth:`holds` is asked
    after every step, in order (a watcher's counts start at its first call)."""

    text: str
    tree: Any
    source: str = "--until"
    _pending: dict[tuple, int] = field(default_factory=dict)
    _holders: dict[tuple, Any] = field(default_factory=dict)
    _lp_bad: dict[str | None, int] = field(default_factory=dict)

    @property
    def is_diverged(self) -> bool:
        """The condition is just ``diverged`` (a driver with both arms' fingerprints at hand,
        e.g. the app, checks it without evaluating the tree)."""
        return isinstance(self.tree, Flag) and self.tree.name == "diverged"

    def needs_fork(self) -> bool:
        return _any(self.tree, lambda n: (isinstance(n, Flag) and n.name == "diverged")
                    or getattr(n, "arm", None) == "B")

    def check_metrics(self, columns: set[str]) -> None:
        """An InputError naming the metric when one is not a rounds.csv column."""
        bad = sorted({n.metric for n in _nodes(self.tree) if isinstance(n, Compare) and n.metric not in columns})
        if bad:
            raise InputError(self.source, f"{', '.join(map(repr, bad))} is not a rounds.csv column "
                             f"(allowed: {', '.join(sorted(columns))})")

    def holds(self, arms: dict[str, ArmRound], focused: str = "A") -> bool:
        """Whether the condition holds for the round just stepped; ``arms`` by label."""
        self._observe(self.tree, arms, focused)
        return self._eval(self.tree, arms, focused)

    # every stateful node is observed every round, whatever and/or short-circuit
    def _observe(self, node: Any, arms: dict[str, ArmRound], focused: str) -> None:
        for n in _nodes(node):
            arm = arms.get(n.arm or focused) if hasattr(n, "arm") else None
            if arm is None:
                continue
            s = arm.sim.state
            key = (n.arm or focused, n)
            if isinstance(n, JobEvent) and n.event == "pending":
                waiting = n.job in s.jobs and n.job not in s.assignments
                self._pending[key] = self._pending.get(key, 0) + 1 if waiting else 0
            elif isinstance(n, (GpuChanges, ServerEvent)):
                now = _holders(arm.sim, n)
                self._holders[key] = (self._holders.get(key, (None, None))[1], now)
            elif isinstance(n, Flag) and n.name == "lp_non_optimal":
                prev = self._lp_bad.get(key, 0)
                self._lp_bad[key] = s.lp_non_optimal
                self._lp_bad[("prev", key)] = prev

    def _eval(self, node: Any, arms: dict[str, ArmRound], focused: str) -> bool:
        if isinstance(node, Or):
            return any(self._eval(p, arms, focused) for p in node.parts)
        if isinstance(node, And):
            return all(self._eval(p, arms, focused) for p in node.parts)
        if isinstance(node, Not):
            return not self._eval(node.inner, arms, focused)
        if isinstance(node, Flag) and node.name == "diverged":
            a, b = arms.get("A"), arms.get("B")
            if a is None or b is None:
                return False
            return a.sim.state.rounds[-1].fingerprint != b.sim.state.rounds[-1].fingerprint
        label = node.arm or focused
        arm = arms.get(label)
        if arm is None:
            return False
        s = arm.sim.state
        key = (label, node)
        if isinstance(node, Compare):
            row = round_row(s.rounds[-1], arm.sim.mech.cluster.num_gpus)
            value = row.get(node.metric)
            return value is not None and value != "" and OPS[node.op](float(value), node.value)
        if isinstance(node, JobEvent):
            if node.event == "pending":
                return OPS[node.op](self._pending.get(key, 0), node.value)
            want = {FINISHED: (FINISHED, FAILED)}.get(node.event, (node.event,))
            return any(j == node.job and a in want for j, a, _ in s.last_changes)
        if isinstance(node, GpuChanges):
            before, now = self._holders.get(key, (None, None))
            return before is not None and before != now
        if isinstance(node, ServerEvent):
            before, now = self._holders.get(key, (None, None))
            if node.event == "changes":
                return before is not None and before != now
            used, capacity = now[1], now[2]
            return used >= capacity if node.event == "full" else used == 0
        if isinstance(node, Flag) and node.name == "overloaded":
            return arm.overloaded
        if isinstance(node, Flag) and node.name == "lp_non_optimal":
            return self._lp_bad.get(key, 0) > self._lp_bad.get(("prev", key), 0)
        raise AssertionError(node)


def _nodes(node: Any):
    yield node
    if isinstance(node, (And, Or)):
        for p in node.parts:
            yield from _nodes(p)
    elif isinstance(node, Not):
        yield from _nodes(node.inner)


def _any(node: Any, pred: Callable[[Any], bool]) -> bool:
    return any(pred(n) for n in _nodes(node))


def _holders(sim: Simulation, n: GpuChanges | ServerEvent) -> Any:
    """What a GPU or server holds now: the GPU's jobs; the server's (jobs, milli used, capacity)."""
    s, cluster = sim.state, sim.mech.cluster
    if isinstance(n, GpuChanges):
        if not 0 <= n.gpu < cluster.num_gpus:
            raise InputError("--until", f"gpu {n.gpu} does not exist (GPUs 0–{cluster.num_gpus - 1})")
        return frozenset(j for j, gpus in s.assignments.items() if n.gpu in gpus)
    if not 0 <= n.server < len(cluster.servers):
        raise InputError("--until", f"server {n.server} does not exist (servers 0–{len(cluster.servers) - 1})")
    mine = set(cluster.servers[n.server].gpu_ids)
    milli = s.assignment_milli
    jobs, used = set(), 0
    for j, gpus in s.assignments.items():
        on = sum(1 for g in gpus if g in mine)
        if on:
            jobs.add(j)
            used += on * milli.get(j, 1000)
    return (frozenset(jobs), used, 1000 * len(mine))


def condition_columns(sim: Simulation) -> set[str]:
    """The metrics a condition may compare for ``sim``: its rounds.csv columns."""
    from ..core.results import FINGERPRINT_COLUMNS, FRAG_COLUMNS, ROUND_COLUMNS
    cols = set(ROUND_COLUMNS)
    if sim.config.fragmentation_metrics:
        cols |= set(FRAG_COLUMNS)
    return cols - set(FINGERPRINT_COLUMNS)


__all__ = ["ARMS", "ArmRound", "Condition", "ConditionError", "OPS", "condition_columns", "parse_condition"]
