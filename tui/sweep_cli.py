"""``fragscope sweep`` and ``fragscope report``: experiments over a grid, and their plots.

The engine does the work (``fragscope.run_sweep``, ``fragscope.make_report``); this module
only parses flags, draws the progress bar and prints a short summary.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import sys
from pathlib import Path

from fragscope import InputError, find_scenario

from .progress import Progress

RAY_MISSING = ("the Ray backend needs Ray: pip install 'fragscope[ray]' "
               "(or use --backend local)")


def cmd_sweep(args: argparse.Namespace) -> int:
    from fragscope import load_sweep, point_filter, ray_available, run_sweep

    spec = load_sweep(find_scenario(args.sweep, "sweep"))   # a file, or a shipped sweep by name
    if args.decisions:
        spec = replace(spec, decisions=True)
    if args.backend == "ray" and not ray_available():
        print(f"fragscope: error: {RAY_MISSING}", file=sys.stderr)
        return 2
    if args.ray_address and args.backend != "ray":
        raise InputError("--ray-address", "only applies with --backend ray")
    only = point_filter(spec, args.only) if args.only else None
    bar = Progress.for_terminal(len(spec.points), "sweep", args.quiet)
    bar.total = max(len(spec.points), 1)
    state = {"first": True}

    def progress(done: int, total: int, point, row) -> None:
        if state["first"]:  # resumed sweeps: the bar counts only the points run now
            bar.total = max(total, 1)
            state["first"] = False
        bar.update(done, f"points (last: {point.folder[9:][:40]} {row['status']})", force=True)

    outcome = run_sweep(spec, Path(args.out), backend=args.backend, workers=args.workers,
                        ray_address=args.ray_address, retry_failed=args.retry_failed,
                        progress=progress, only=only)
    bar.close()
    if not args.quiet:
        away = len(outcome.elsewhere)
        left = outcome.total - outcome.ran - outcome.skipped - away
        print(f"points       {outcome.total} ({outcome.ran} run now, {outcome.skipped} already done"
              + (f", {away} left to another sweep into the same folder" if away else "")
              + (f", {left} not selected by --only)" if left else ")"))
        for folder, who in outcome.elsewhere.items():
            print(f"elsewhere    {folder}: {who}")
        ok = sum(r["status"] == "ok" for r in outcome.rows)
        print(f"status       {ok} ok, "
              f"{outcome.saturated} saturated, {outcome.capped} capped, {outcome.failed} failed")
        for row in outcome.rows:
            if row["status"] == "error":
                print(f"failed       {row['point']}: {row['error']}")
        print(f"wrote        {outcome.results}")
    return 1 if outcome.failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from fragscope import make_report

    written = make_report(Path(args.dir), Path(args.out), reference=args.reference,
                          reference_workload=args.reference_workload)
    if not args.quiet:
        for path in written:
            print(f"wrote        {path}")
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("sweep", help="run a grid of scenario overrides x seeds; resumable; "
                                     "results.parquet",
                       description="Run every point of a sweep file (a base scenario, a grid of "
                                   "overrides and seeds), one headless run per point, locally in a "
                                   "process pool or on Ray. Re-running skips finished points.")
    p.add_argument("sweep", help="sweep YAML file")
    p.add_argument("--out", required=True, help="output folder (points/, results.parquet, sweep.json)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local: a process pool (default); ray: one Ray task per point")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="Ray cluster to join (default: start a local Ray with --workers CPUs)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="parallel points (default: free cores)")
    p.add_argument("--retry-failed", action="store_true", help="run failed points again on resume")
    p.add_argument("--decisions", action="store_true",
                   help="each point also writes decisions.parquet in its folder (README 'Decision logs')")
    p.add_argument("--only", action="append", default=[], metavar="AXIS=VALUE",
                   help="run only the points with this axis value (an axis, a variant label or "
                        "seed; repeat: alternatives on one axis, all axes must match); the others "
                        "can run later into the same --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="plots (PNG) and a Markdown summary of a sweep or fill output",
                       description="Turn a sweep folder (results.parquet) or a fill folder "
                                   "(curves.csv) into PNG plots and report.md.")
    p.add_argument("dir", help="a sweep's --out folder, or a fill's --out folder")
    p.add_argument("--out", required=True, help="report folder (PNG files and report.md)")
    p.add_argument("--reference", default=None, metavar="CSV",
                   help="fill only: reference curves to overlay (in a clone of the repository: "
                        "tests/reference/fgd/reference_curves.csv, the FGD simulator's own)")
    p.add_argument("--reference-workload", default="openb_pod_list_default", metavar="NAME",
                   help="fill only: which workload's reference curves (the pod list the fill "
                        "ran on; default openb_pod_list_default)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_report)
