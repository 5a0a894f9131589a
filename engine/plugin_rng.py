"""No unseeded randomness inside plug-ins: Python's and numpy's global random state refuse.

Why: a placement calling ``random.random()`` made two identical ``ab`` runs differ (JCT
+0.04 % and +2.53 %), and rewind, fork and error recovery — which replay rounds — then
replay differently.  Nothing seeds the global generators for a run, so a plug-in that
draws from them is not reproducible, and fragscope's promise (same scenario and seed,
same bytes) breaks silently.

How: the module-level functions of :mod:`random` (``random.random``, ``choice``,
``shuffle``, …, all bound to its hidden global instance) and numpy's legacy global ones
(``np.random.rand``, ``np.random.choice``, …) are wrapped once, when fragscope's plug-in
machinery is imported — before any plug-in module is, so even ``from random import
random`` in a plug-in gets the wrapper.  Outside plug-in code a wrapper just calls the
original (one thread-local read).  Inside a plug-in call (:func:`call_plugin`: every call
of a plug-in's methods and its constructor goes through it), when called from the
plug-in's own code (its file, its package), it raises :class:`GlobalRandomError`, which the plug-in machinery reports like any plug-in failure:
the plug-in's name, the job and the plug-in's own line that drew the number.  So does
``numpy.random.default_rng()`` without a seed.  The seeded source to use instead is
``run.rng`` (``setup(run)``; docs/plugins.md).  Not caught: a library the plug-in calls
that draws from the global state itself, and ``random.Random()`` made without a seed.
"""

from __future__ import annotations

import functools
import random
import sys
import threading
from typing import Any, Callable

import numpy as np

SEEDED_SOURCE = ("use the run's seeded generator instead: run.rng, given to setup(run) (a numpy Generator; "
                 "docs/plugins.md 'Randomness'), or a generator seeded from a parameter of your own")

_local = threading.local()

#: Which files are a plug-in's own code: its file, its package, fragscope's for a built-in.
Owner = Callable[[str], bool]


class GlobalRandomError(RuntimeError):
    """A plug-in drew from an unseeded random source."""


def call_plugin(owner: Owner, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` as plug-in code: the global random functions refuse while it
    runs, when called from a file ``owner`` says is the plug-in's own."""
    stack = _stack()
    stack.append(owner)
    try:
        return fn(*args, **kwargs)
    finally:
        stack.pop()


def _stack() -> list[Owner]:
    try:
        return _local.owners
    except AttributeError:
        _local.owners = []
        return _local.owners


def _drawn_by_plugin() -> bool:
    """Whether the guarded function was called by plug-in code itself (two frames up: the
    caller of the wrapper).  Libraries a plug-in calls or imports are not its own code —
    cvxpy seeds a generator of its own when first imported — so they are let through."""
    owners = getattr(_local, "owners", None)
    if not owners:
        return False
    return owners[-1](sys._getframe(2).f_code.co_filename)


def _guarded(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "owners", None) and _drawn_by_plugin():
            raise GlobalRandomError(f"{label}() draws from the global random state, which no seed of the "
                                    f"run controls: two identical runs would differ; {SEEDED_SOURCE}")
        return fn(*args, **kwargs)
    guarded.__fragscope_guard__ = True   # type: ignore[attr-defined]
    return guarded


def _guard_default_rng(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def default_rng(seed: Any = None, *args: Any, **kwargs: Any) -> Any:
        if seed is None and not args and getattr(_local, "owners", None) and _drawn_by_plugin():
            raise GlobalRandomError("numpy.random.default_rng() without a seed is seeded from the operating "
                                    f"system: two identical runs would differ; {SEEDED_SOURCE}")
        return fn(seed, *args, **kwargs)
    default_rng.__fragscope_guard__ = True   # type: ignore[attr-defined]
    return default_rng


def install() -> None:
    """Wrap the global random functions (idempotent; see the module)."""
    inst = getattr(random, "_inst", None)
    for name in dir(random):
        fn = getattr(random, name)
        if getattr(fn, "__self__", None) is inst and inst is not None and callable(fn) \
                and not name.startswith("_") and not getattr(fn, "__fragscope_guard__", False):
            setattr(random, name, _guarded(f"random.{name}", fn))
    legacy = np.random.mtrand._rand
    for name in dir(np.random):
        fn = getattr(np.random, name)
        if getattr(fn, "__self__", None) is legacy and not name.startswith("_") \
                and not getattr(fn, "__fragscope_guard__", False):
            setattr(np.random, name, _guarded(f"numpy.random.{name}", fn))
    if not getattr(np.random.default_rng, "__fragscope_guard__", False):
        np.random.default_rng = _guard_default_rng(np.random.default_rng)


install()
