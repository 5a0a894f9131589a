"""Shared helpers for the TUI tests (a module, not a conftest, so names never clash).

Import ``deterministic_env`` into a test module to activate it (autouse fixture).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pytest

from fragscope.tui.app import FragscopeApp, make_app
from fragscope.tui.messages import Step

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "scenarios" / "teach" / "tiny-packing.yaml"
GAVEL36 = REPO / "scenarios" / "teach" / "gavel-36.yaml"
BIG = REPO / "bench" / "big-cluster.yaml"
FRAG = REPO / "scenarios" / "teach" / "frag-demo.yaml"
ALIBABA = REPO / "scenarios" / "teach" / "alibaba-1213.yaml"
WORST_FIT = REPO / "scenarios" / "plugins" / "worst-fit.yaml"


@pytest.fixture(autouse=True)
def deterministic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR is read in App.__init__; theme/animations are fixed by make_app."""
    monkeypatch.delenv("NO_COLOR", raising=False)


def tiny_app(**kw) -> FragscopeApp:
    return make_app(TINY, **kw)


async def settle(pilot) -> None:
    """Wait for every engine worker, then for the screen (Pilot.pause skips thread workers)."""
    await pilot.app.wait_for_engine()
    await pilot.pause()


async def step(pilot, n: int = 1) -> None:
    """n rounds in one worker (what `fragscope snapshot` does), then settle."""
    pilot.app.run_engine(Step(n))
    await settle(pilot)


async def wait_until(pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not met in time"
        await pilot.pause(0.02)


async def inspect_busy_gpu(pilot, app: FragscopeApp, arm: str = "A") -> int:
    """Focus arm's grid, put the cursor on its first busy GPU, press enter and wait for
    the inspector; returns that GPU's id."""
    from fragscope.tui.screens.inspector import InspectorScreen
    from fragscope.tui.widgets.gpu_grid import GpuGrid

    frame = next(f for f in app.frames if f.label == arm)
    busy = next(g.gpu_id for s in frame.servers for g in s.gpus if g.jobs)
    grid = app.screen.query_one(f"#grid-{arm}", GpuGrid)
    grid.focus()
    grid.move_cursor(busy)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, InspectorScreen))
    return busy
