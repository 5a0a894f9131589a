"""Child processes leave nothing behind.

Starting a process with the ``spawn`` (or ``forkserver``) method also starts
multiprocessing's *resource tracker*, a helper process that lives until the parent
exits and is reaped only after it: a command that used worker processes would exit
with a process still in its process group (a shell's job control, a CI runner or a
test that waits for the group sees it).  :func:`release_process_helpers` stops the
tracker once the workers are joined; multiprocessing starts a new one if it is needed
again.
"""

from __future__ import annotations

from multiprocessing import resource_tracker


def release_process_helpers() -> None:
    """Stop the resource tracker if it runs (call after every child is joined)."""
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)   # CPython >= 3.8; else nothing to do
    if stop is not None and getattr(tracker, "_fd", None) is not None:
        stop()
