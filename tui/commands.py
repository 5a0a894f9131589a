"""Command-palette entries (ctrl+p): jump to a job, screenshot, fork variants, transport.

The entries need only what :class:`PaletteHost` lists of the app, so this module does not
import the app (which imports it).  The fork variants switch placement, policy or LP
capacity on a clone of the running simulation (``Simulation.set_placement`` ...):
rebuilding a fresh simulation from the scenario would not be a fork of the running state.
"""

from __future__ import annotations

from functools import partial
from typing import Iterable, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.app import SystemCommand

import fragscope


class PaletteHost(Protocol):
    """What the palette's entries call on the app (:class:`fragscope.tui.app.FragscopeApp`)."""

    def job_index(self) -> list[tuple[str, int, str, str]]:
        """(arm, job id, job type, status) of every job the frames show."""
        ...

    def jump_to_job(self, arm: str, job_id: int) -> None: ...
    def placement_choices(self) -> tuple[tuple[str, str], ...]: ...
    def policy_choices(self) -> tuple[tuple[str, str], ...]: ...
    def action_toggle_play(self) -> None: ...
    def action_step(self) -> None: ...
    def action_back(self) -> None: ...
    def action_close_fork(self) -> None: ...
    def action_goto_round(self) -> None: ...
    def action_run_until(self, backward: bool = False) -> None: ...
    def action_reverse_until(self) -> None: ...
    def action_add_breakpoint(self) -> None: ...
    def breakpoint_entries(self) -> list[tuple[int, str, bool, int]]: ...
    def toggle_breakpoint(self, index: int) -> None: ...
    def delete_breakpoint(self, index: int) -> None: ...
    def action_toggle_heatmap(self) -> None: ...
    def action_save_screenshot(self) -> None: ...
    def action_breakpoints(self) -> None: ...
    def action_divergence(self) -> None: ...
    def action_watch(self) -> None: ...
    def action_watch_prompt(self) -> None: ...
    def action_export(self) -> None: ...
    def drop_arm(self, label: str) -> None: ...
    def arm_labels(self) -> list[str]: ...

    def action_fork(self, placement: str | None = None, policy: str | None = None,
                    lp_capacity: str | None = None, redecide: bool = True) -> None: ...


class JobProvider(Provider):
    """``job 42``: jump the grid cursor to a job's GPU and open its inspector."""

    async def search(self, query: str) -> Hits:
        app: PaletteHost = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for label, job_id, job_type, status in app.job_index():
            text = f"job {job_id} ({label}) {job_type} {status}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(app.jump_to_job, label, job_id),
                          help="open the inspector on this job")

    async def discover(self) -> Hits:
        app: PaletteHost = self.app  # type: ignore[assignment]
        for label, job_id, job_type, status in app.job_index()[:20]:
            yield DiscoveryHit(f"job {job_id} ({label}) {job_type} {status}",
                               partial(app.jump_to_job, label, job_id), help="jump to job")


def system_commands(app: PaletteHost) -> Iterable[SystemCommand]:
    """The app's own palette entries: transport, fork variants, screenshot."""
    yield SystemCommand("Play / pause", "start or stop stepping", app.action_toggle_play)
    yield SystemCommand("Step one round", "advance one round", app.action_step)
    yield SystemCommand("Step back one round", "rewind one round", app.action_back)
    yield SystemCommand("Go to round…", "forward by stepping, back through the checkpoints (g)",
                        app.action_goto_round)
    yield SystemCommand("Run until…", "step until a condition holds, e.g. frag_rate_pct > 40 (u)",
                        app.action_run_until)
    yield SystemCommand("Run back until…", "the last earlier round where a condition held (U)",
                        app.action_reverse_until)
    yield SystemCommand("Add breakpoint…", "stop stepping or playing in the round a condition holds (b)",
                        app.action_add_breakpoint)
    for i, cond, enabled, hits in app.breakpoint_entries():
        state = "on" if enabled else "off"
        yield SystemCommand(f"Breakpoint {cond} [{state}, {hits} hits]: toggle", "turn it on or off",
                            partial(app.toggle_breakpoint, i))
        yield SystemCommand(f"Breakpoint {cond}: delete", "remove it", partial(app.delete_breakpoint, i))
    yield SystemCommand("Breakpoints…", "list them: toggle, delete, hit counts (B)", app.action_breakpoints)
    yield SystemCommand("Jump to the first divergence", "with a fork: the first round where A and B decide "
                        "differently, decisions side by side (d)", app.action_divergence)
    yield SystemCommand("Watch a job or GPU…", "its history round by round: where, share, why waiting (W)",
                        app.action_watch_prompt)
    yield SystemCommand("Show the watched history", "of the job or GPU being watched (w)", app.action_watch)
    yield SystemCommand("Export the view", "screenshot + jobs, GPUs, LP shares and this round's decisions as CSV "
                        "to ~/fragscope-exports/<scenario>/round-N/ (e)", app.action_export)
    labels = app.arm_labels()
    if len(labels) > 1:
        for label in labels:
            other = next(x for x in labels if x != label)
            yield SystemCommand(f"Close arm {label}, keep {other}", f"e.g. when {label}'s plug-in fails; "
                                f"{other} goes on as A", partial(app.drop_arm, label))
    yield SystemCommand("Fork and flip sharing", "clone the running simulation; B gets the opposite "
                        "GPU-sharing setting", app.action_fork)
    yield SystemCommand("Close fork", "drop the B arm", app.action_close_fork)
    yield SystemCommand("Toggle heatmap / bars", "GPU grid drawing mode", app.action_toggle_heatmap)
    yield SystemCommand("Save screenshot (SVG)", "write ~/fragscope-exports/<scenario>/round-N.svg (never over one)",
                        app.action_save_screenshot)
    for label, spec in app.placement_choices():
        yield SystemCommand(f"Fork with placement {label}", f"clone A; B uses placement {spec}",
                            partial(app.action_fork, placement=spec))
    # the Gavel fork's lesson: with sharing on, an LP that still counts each job's scale
    # factor leaves the shared capacity unused; B keeps A's sharing and changes only this
    for value, what in fragscope.LP_CAPACITY_MEANINGS.items():
        yield SystemCommand(f"Fork with LP capacity = {what}",
                            f"clone A; B's LP counts each job's {value.replace('_', ' ')}",
                            partial(app.action_fork, lp_capacity=value))
    for label, spec in app.policy_choices():
        yield SystemCommand(f"Fork with policy {label}", f"clone A; B uses policy {spec}",
                            partial(app.action_fork, policy=spec))
