"""A small progress bar on stderr for long headless runs.

Shown only when stderr is a terminal (and not ``--quiet``), so logs, pipes and CI
output stay clean; redrawn at most ten times a second so it never slows a run.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._last = 0.0
        self._start = time.monotonic()

    @classmethod
    def for_terminal(cls, total: int, label: str, quiet: bool) -> "Progress":
        return cls(total, label, enabled=not quiet and sys.stderr.isatty())

    def update(self, done: int, extra: str = "", force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        frac = min(done / self.total, 1.0)
        width = 30
        filled = int(frac * width)
        elapsed = now - self._start
        eta = (elapsed / frac - elapsed) if frac > 0 else 0.0
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total} {extra} "
                          f"{elapsed:5.1f}s elapsed, ETA {eta:5.1f}s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
