"""Headless rendering: the app after N rounds (forked at K), as SVG or plain text.

Used by ``fragscope snapshot`` and by users' own pytest suites.  Byte-identical across
runs: fixed theme and animation level, no clocks on screen, every worker awaited before
capture, Rich's SVG id fixed, and the file written atomically (temp file + os.replace).
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from fragscope import (ArmRound, InputError, Simulation, SimulationError, condition_columns, default_bound,
                       find_scenario, load_placement, load_policy, load_scenario, parse_condition)

from .app import FragscopeApp, make_app
from .arm_protocol import ForkChange
from .messages import Step

SVG_ID = "fragscope"


@dataclass(frozen=True)
class SnapshotRequest:
    scenario: str
    rounds: int
    fork_at: int | None = None
    size: tuple[int, int] = (160, 50)
    inspect: int | None = None
    overrides: list[str] = field(default_factory=list)
    heatmap: str = "auto"   # "auto" | "on" | "off"
    fork_placement: str | None = None  # fork keeps sharing and switches placement instead
    fork_policy: str | None = None


def parse_size(text: str) -> tuple[int, int]:
    """'160x50' → (160, 50); anything else is an InputError naming --size."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise InputError("--size", f"expected WIDTHxHEIGHT such as 160x50, got {text!r}")
    w, h = (int(p) for p in parts)
    if not (20 <= w <= 1000 and 5 <= h <= 500):
        raise InputError("--size", f"{w}x{h} is out of range (20..1000 x 5..500)")
    return w, h


def validate(req: SnapshotRequest, out: Path | None = None) -> None:
    if req.rounds < 0:
        raise InputError("--rounds", f"must be >= 0, got {req.rounds}")
    if (req.fork_placement or req.fork_policy) and req.fork_at is None:
        raise InputError("--fork-placement", "needs --fork-at K")
    # a registered name or a plug-in: checked (and loaded) before any round runs
    if req.fork_placement:
        load_placement(req.fork_placement, where="--fork-placement")
    if req.fork_policy:
        load_policy(req.fork_policy, where="--fork-policy")
    if req.fork_at is not None and not 0 <= req.fork_at <= req.rounds:
        raise InputError("--fork-at", f"must be between 0 and --rounds ({req.rounds}), got {req.fork_at}")
    if req.heatmap not in ("auto", "on", "off"):
        raise InputError("--heatmap", f"expected auto, on or off, got {req.heatmap!r}")
    if out is not None:
        if out.suffix.lower() not in (".svg", ".txt"):
            raise InputError("--out", f"must end in .svg or .txt, got {str(out)!r}")
        if out.is_dir():
            raise InputError("--out", f"{out} is a folder, expected a file name")
        if not out.parent.exists():
            raise InputError("--out", f"folder {out.parent} does not exist")
    find_scenario(req.scenario)   # a file or a shipped scenario's name, else a clear error


async def drive(pilot, req: SnapshotRequest) -> None:
    """Step the running app to the requested state, waiting for every worker."""
    app: FragscopeApp = pilot.app

    async def settle() -> None:
        await app.wait_for_engine()
        await pilot.pause()
        # a plug-in (or any input) that failed while stepping is this command's error:
        # exit 2 with the message, never a screenshot of the half-way state
        for exc in (app.last_input_error, app.last_error):
            if exc is not None:
                raise exc if isinstance(exc, (InputError, SimulationError)) else SimulationError(str(exc))

    await settle()
    first = req.fork_at if req.fork_at is not None else req.rounds
    if first:
        app.run_engine(Step(first))
        await settle()
    if req.fork_at is not None:
        app.action_fork(placement=req.fork_placement, policy=req.fork_policy, redecide=False)   # (as ab)
        await settle()
        if not app.session.forked:
            raise InputError("--fork-at", f"the fork failed: {app.last_notice or 'see the engine message'}")
        if req.rounds - req.fork_at:
            app.run_engine(Step(req.rounds - req.fork_at))
            await settle()
    main = app._main_screen()
    if req.heatmap != "auto" and bool(main.heatmap) != (req.heatmap == "on"):
        main.toggle_heatmap()
        await settle()
    if req.inspect is not None:
        from .screens.inspector import InspectorScreen
        if app.session.job("A", req.inspect) is None:
            raise InputError("--inspect", f"job {req.inspect} has not arrived by round "
                             f"{app.session.step_index}")
        app.open_inspector("A", job_id=req.inspect)
        if True:
            deadline = time.monotonic() + 10
            while not (isinstance(app.screen, InspectorScreen) and app.screen.is_mounted):
                if time.monotonic() > deadline:
                    raise SimulationError("the inspector did not open")
                await pilot.pause(0.02)
        await settle()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        await pilot.pause()


def until_round(req: SnapshotRequest, text: str, max_rounds: int | None = None) -> int:
    """The first round where condition ``text`` holds, found headless with the engine
    alone (the app's rounds are the engine's: the same decisions): the arm A, and with
    ``--fork-at K`` the fork B made as the app makes it, stepped together from K.  An
    InputError when the condition is malformed or never holds."""
    cond = parse_condition(text, "--until")
    a = Simulation(load_scenario(req.scenario, req.overrides))
    cond.check_metrics(condition_columns(a))
    if cond.needs_fork() and req.fork_at is None:
        raise InputError("--until", f"{text!r} compares two arms: give --fork-at K")
    limit = max_rounds
    bound = default_bound(a)
    arms = {"A": ArmRound(a)}
    b = None
    while not a.done and a.now < bound and (limit is None or a.step_index < limit):
        if req.fork_at is not None and b is None and a.step_index == req.fork_at:
            b = ForkChange.variant(a.sharing, req.fork_placement, req.fork_policy).apply(a)   # as the app forks
            arms["B"] = ArmRound(b)
        a.step()
        if b is not None and not b.done:
            b.step()
        if (req.fork_at is None or b is not None) and cond.holds(arms):
            return a.step_index - 1
    raise InputError("--until", f"{text!r} never holds in the {a.step_index} rounds stepped"
                     + (f" (--rounds {limit})" if limit is not None else " (the run's end)"))


def capture(app: FragscopeApp) -> tuple[str, str]:
    """(svg, text) of the current screen — the same pipeline as App.export_screenshot."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens,
                                                  simplify=True)
    console.print(update)
    svg = console.export_svg(title="fragscope", clear=False, unique_id=SVG_ID)
    text = console.export_text(clear=True, styles=False)
    text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    return svg, text


def render(req: SnapshotRequest) -> tuple[str, str]:
    """Run the app headless and return (svg, text) of its screen."""
    validate(req)
    app = make_app(req.scenario, req.overrides)
    result: dict[str, tuple[str, str]] = {}

    failure: list[Exception] = []

    async def auto_pilot(pilot) -> None:
        try:
            await drive(pilot, req)
            result["screen"] = capture(app)
        except (InputError, SimulationError) as exc:
            failure.append(exc)
        finally:
            app.exit()

    os.environ.pop("NO_COLOR", None)
    app.run(headless=True, size=req.size, auto_pilot=auto_pilot)
    if failure:
        raise failure[0]
    if app.last_error is not None:
        raise SimulationError(str(app.last_error))
    if "screen" not in result:
        raise SimulationError("the app stopped before the screen could be captured")
    return result["screen"]


def write_snapshot(req: SnapshotRequest, out: Path) -> Path:
    """Render and write atomically; the suffix (.svg or .txt) picks the format."""
    validate(req, out)
    svg, text = render(req)
    data = svg if out.suffix.lower() == ".svg" else text
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
