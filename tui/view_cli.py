"""``fragscope view`` and ``fragscope snapshot``: the Textual app's command-line entry points.

(Placeholder until the app lands: both commands exist so the CLI layout is fixed.)
"""

from __future__ import annotations

import argparse


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("view", help="open the live terminal UI on a scenario")
    p.add_argument("scenario", nargs="?", help="scenario YAML (default: a shipped teaching scenario)")
    p.set_defaults(func=_not_ready)
    p = sub.add_parser("snapshot", help="render the UI after N rounds to an SVG or text file")
    p.add_argument("scenario")
    p.set_defaults(func=_not_ready)


def _not_ready(args: argparse.Namespace) -> int:
    from engine import InputError
    raise InputError(args.command, "not available yet in this build")
