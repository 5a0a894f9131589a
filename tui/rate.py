"""The play rate the user actually sees: rounds shown per second over the last few seconds.

Why: a round's cost grows with the cluster (0.1–1.9 s at 6 212 GPUs), so "10 r/s" is a
wish, not a fact.  The header shows what is measured here beside what was set, e.g.
``2.7 r/s (set 10)``.
"""

from __future__ import annotations

from collections import deque

#: Seconds of shown frames the rate is measured over.
WINDOW_S = 3.0


class RateMeter:
    """Rounds per second between the frames shown in the last :data:`WINDOW_S` seconds."""

    def __init__(self) -> None:
        self._seen: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._seen.clear()

    def observe(self, now: float, step: int) -> None:
        """A frame of round ``step`` was shown at ``now`` (monotonic seconds)."""
        if self._seen and step < self._seen[-1][1]:
            self._seen.clear()   # went back: a new run of frames
        self._seen.append((now, step))
        while len(self._seen) > 2 and now - self._seen[0][0] > WINDOW_S:
            self._seen.popleft()

    def rate(self) -> float | None:
        """Rounds per second, or None until two frames a moment apart were shown."""
        if len(self._seen) < 2:
            return None
        (t0, s0), (t1, s1) = self._seen[0], self._seen[-1]
        return (s1 - s0) / (t1 - t0) if t1 - t0 >= 0.2 else None
