"""``fragscope why``, ``fragscope diff`` and ``fragscope export``: the debugger's
questions on the command line (README "Debugging decisions")."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fragscope import InputError, diverge, export_perfetto, why

EXIT_DIFFERENT = 1


def cmd_why(args: argparse.Namespace) -> int:
    answer = why(args.source, args.job, args.round, args.overrides)
    print(json.dumps(answer.to_dict(), indent=2) if args.json else answer.text())
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    ingredients = tuple(p.strip() for p in args.ingredients.split(",") if p.strip())
    d = diverge(args.a, args.b, args.overrides + args.set_a, args.overrides + args.set_b, ingredients)
    print(json.dumps(d.to_dict(), indent=2) if args.json else d.text())
    return 0 if d.identical else EXIT_DIFFERENT


def cmd_export(args: argparse.Namespace) -> int:
    if not args.perfetto:
        raise InputError("export", "say what to export: --perfetto OUT.json")
    n = export_perfetto(args.run_dir, args.perfetto)
    if not args.quiet:
        print(f"wrote {args.perfetto} ({n} events): open it in https://ui.perfetto.dev or chrome://tracing")
    return 0


def register(sub, add_overrides) -> None:
    p = sub.add_parser("why", help="why is a job waiting (or where it runs) at a round",
                       description="A job's state at a round (not_arrived, pending, placed, running, finished) "
                                   "and, when it waits, why: no LP share (and when the LP next runs), a share "
                                   "but not selected (its rank and the budget), or selected but no server fits "
                                   "(servers counted by what blocks them, the nearest one). Replays the run.")
    p.add_argument("source", help="a run folder (fragscope run --out) or a scenario (file or shipped name)")
    p.add_argument("--job", type=int, required=True, help="the job id (jobs.csv's job_id)")
    p.add_argument("--round", type=int, default=None,
                   help="the round (rounds.csv's round; default: the round the job arrived in)")
    p.add_argument("--json", action="store_true", help="print JSON (keys state, reasons, summary, ...)")
    add_overrides(p)
    p.set_defaults(func=cmd_why)

    p = sub.add_parser("diff", help="the first round where two runs decide differently, and why",
                       description="Walk two runs of one cluster and workload (run folders, or scenarios with "
                                   "--set on either side) round by round; print the first round whose "
                                   "decisions differ, the differing decisions side by side and what differed "
                                   "upstream (LP shares, selection, placement). Exit 0 when identical, 1 when "
                                   "they differ, 2 on bad input.")
    p.add_argument("a", help="run folder or scenario A")
    p.add_argument("b", help="run folder or scenario B")
    add_overrides(p)
    p.add_argument("--set-a", action="append", default=[], metavar="KEY=VALUE", help="an override for A only")
    p.add_argument("--set-b", action="append", default=[], metavar="KEY=VALUE", help="an override for B only")
    p.add_argument("--ingredients", default="decisions",
                   help="what the fingerprints compare: decisions (default; an LP solver change passes) or "
                        "decisions,lp (the LP shares too, rounded to 1e-6)")
    p.add_argument("--json", action="store_true", help="print JSON (identical, round, job_id, a, b, upstream, ...)")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("export", help="export a run as a Chrome/Perfetto trace",
                       description="Write a run folder's job runs as a Chrome/Perfetto trace: one track per "
                                   "server and GPU, a slice per job run, counters for frag rate, queue and "
                                   "utilization (replays the run when it has no decisions.parquet).")
    p.add_argument("run_dir", help="a run folder (fragscope run --out)")
    p.add_argument("--perfetto", metavar="OUT.json", help="the trace file to write")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_export)
