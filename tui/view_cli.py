"""``fragscope view`` and ``fragscope snapshot``: the Textual app's command-line entry points."""

from __future__ import annotations

import argparse
from pathlib import Path

from fragscope import InputError


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("view", help="open the live terminal UI on a scenario",
                       description="Open the live terminal UI. Keys: space play/pause, n step, "
                                   "← back, s fork + flip sharing, ? help, q quit.")
    p.add_argument("scenario", nargs="?",
                   help="scenario YAML file or shipped scenario name (default: teach/tiny-packing; `fragscope scenarios` lists them)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key (repeatable), as for `fragscope run`")
    p.set_defaults(func=cmd_view)

    p = sub.add_parser("snapshot", help="render the UI after N rounds to an SVG or text file",
                       description="Render the app headless after N rounds (optionally forking at "
                                   "round K with sharing flipped) and write the screen as SVG or "
                                   "plain text. Output is byte-identical across runs.")
    p.add_argument("scenario", help="scenario YAML file or shipped scenario name")
    p.add_argument("--rounds", type=int, default=None, metavar="N",
                   help="rounds to step before rendering (with --until: at most this many)")
    p.add_argument("--until", default=None, metavar="COND",
                   help="render the first round where COND holds (README 'Conditions'); with --fork-at K, "
                        "'diverged' is the first round the arms decide differently")
    p.add_argument("--fork-at", type=int, default=None, metavar="K",
                   help="fork at round K (0 <= K <= N) and flip sharing on the fork")
    p.add_argument("--size", default="160x50", metavar="WxH", help="terminal size (default 160x50)")
    p.add_argument("--fork-placement", default=None, metavar="NAME",
                   help="at --fork-at, fork with this placement instead of flipping sharing")
    p.add_argument("--fork-policy", default=None, metavar="NAME",
                   help="at --fork-at, fork with this allocation policy instead of flipping sharing")
    p.add_argument("--inspect", type=int, default=None, metavar="JOB", help="open the inspector on JOB")
    p.add_argument("--heatmap", choices=("auto", "on", "off"), default="auto",
                   help="GPU grid mode (default: auto by cluster size)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key (repeatable)")
    p.add_argument("--out", required=True, help="output file: .svg or .txt")
    p.set_defaults(func=cmd_snapshot)


def cmd_view(args: argparse.Namespace) -> int:
    from .app import TEACH_DEFAULT, FragscopeApp
    from .runtime import tune_gc
    scenario = args.scenario or TEACH_DEFAULT
    app = FragscopeApp.from_scenario(scenario, args.overrides)  # InputError before the screen opens
    tune_gc()
    app.run()
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .snapshot import SnapshotRequest, parse_size, until_round, write_snapshot
    if args.rounds is None and args.until is None:
        raise InputError("--rounds", "give --rounds N, or --until COND")
    req = SnapshotRequest(scenario=args.scenario, rounds=args.rounds if args.rounds is not None else 0,
                          fork_at=args.fork_at,
                          size=parse_size(args.size), inspect=args.inspect,
                          overrides=list(args.overrides), heatmap=args.heatmap,
                          fork_placement=args.fork_placement, fork_policy=args.fork_policy)
    if args.until is not None:
        found = until_round(req, args.until, args.rounds)
        req = replace(req, rounds=found + 1)     # the state after stepping that round
        print(f"{args.until} holds at round {found}")
    write_snapshot(req, Path(args.out))
    return 0
