"""The keymap in one place: the app's bindings, the footer and the help screen read it."""

from __future__ import annotations

from textual.binding import Binding

#: Transport and app keys.  priority=True: they work whatever has focus (a focused
#: DataTable would otherwise eat ← → and space, tui.md §2.1); the app's check_action
#: releases them while the job-filter input has focus so typing works.
BINDINGS: list[Binding] = [
    Binding("space", "toggle_play", "Play/Pause", priority=True),
    Binding("n,right", "step", "Step", key_display="n/→", priority=True),
    Binding("left", "back", "Back", key_display="←", priority=True),
    Binding("plus,equals_sign", "faster", "Faster", key_display="+", priority=True),
    Binding("minus", "slower", "Slower", key_display="-", priority=True),
    Binding("s", "fork", "Fork+flip sharing", priority=True),
    Binding("x", "close_fork", "Close fork", priority=True),
    Binding("f", "fork_fgd", "Fork with FGD", show=False, priority=True),
    Binding("h", "toggle_heatmap", "Heatmap/bars", priority=True),
    Binding("g", "goto_round", "Go to round", show=False, priority=True),
    Binding("u", "run_until", "Run until", show=False, priority=True),
    Binding("U", "reverse_until", "Back until", show=False, priority=True),
    Binding("b", "add_breakpoint", "Breakpoint", show=False, priority=True),
    Binding("B", "breakpoints", "Breakpoints", show=False, priority=True),
    Binding("d", "divergence", "First divergence", show=False, priority=True),
    Binding("w", "watch", "Watch", show=False, priority=True),
    Binding("W", "watch_prompt", "Watch…", show=False, priority=True),
    Binding("e", "export", "Export", show=False, priority=True),
    Binding("m", "cycle_plot", "Plot metric", show=False, priority=True),
    Binding("slash", "filter", "Filter", key_display="/", priority=True),
    Binding("question_mark", "help", "Help", key_display="?", priority=True),
    Binding("q", "quit", "Quit", priority=True),
]

#: Rows of the help screen: (keys, what it does).
HELP_ROWS: list[tuple[str, str]] = [
    ("space", "play / pause (the engine steps in a background thread)"),
    ("n  or  →", "step one round"),
    ("←", "step back one round (rewind through a bounded ring of snapshots)"),
    ("+  /  -", "play faster / slower (1, 2, 5, 10, 20, 50 rounds/s, max)"),
    ("s", "fork: B = the run with GPU sharing flipped, re-deciding the round on screen (its own state at once)"),
    ("x", "close the fork"),
    ("f", "fork with placement FGD: your placement (A) beside FGD (B)"),
    ("h", "GPU grid: heatmap ⇄ bars"),
    ("g", "go to round N (forward by stepping, back through the checkpoints)"),
    ("u", "run until a condition holds, e.g. frag_rate_pct > 40, job 12 placed, diverged (space stops)"),
    ("U", "run back until: the last earlier round where a condition held (replayed, exact)"),
    ("b  /  B", "add a breakpoint (stepping or playing stops where it holds) / list them: toggle, delete, hits"),
    ("d", "with a fork: go to the first round where A and B decide differently, their decisions side by side"),
    ("w  /  W", "watch the inspector's job or GPU (else show the watched one's history) / watch job N or gpu N"),
    ("e", "export: screenshot + jobs, GPUs, LP shares, this round's decisions (CSV) to a new folder"),
    ("m", "A/B plot: next metric"),
    ("/", "filter jobs (id, type or state); enter keeps it, esc clears it"),
    ("↑ ↓  [  ]", "move the GPU cursor (rows / previous-next GPU); PgUp PgDn"),
    ("enter / click", "inspect the GPU under the cursor or the highlighted job"),
    ("o  /  O", "allocation table: sort by next column / reverse (or click a header)"),
    ("tab", "move focus between the GPU grid(s) and the allocation table"),
    ("ctrl+p", "command palette: jump to job, save screenshot, fork variants, close a failing arm, …"),
    ("?", "this help"),
    ("q", "quit"),
]
