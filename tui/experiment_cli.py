"""``fragscope fill`` and ``fragscope ab``: the headless experiments."""

from __future__ import annotations

import argparse
from pathlib import Path

from fragscope import FGD_SCORINGS, PAPER_PLACEMENTS, InputError, alibaba_trace, data_file

from .progress import Progress


def _seeds(text: str) -> list[int]:
    """'42-51' or '42,43,50' -> list of seeds."""
    out: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part.strip()[1:]:
                lo, hi = part.split("-", 1)
                out.extend(range(int(lo), int(hi) + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise InputError("--seeds", f"expected seeds like 42-51 or 42,43, got {text!r}") from None
    if not out:
        raise InputError("--seeds", "no seeds given")
    return out


def _fill_inputs(args: argparse.Namespace) -> tuple[Path, Path]:
    """--trace NAME (the paper's 1 213 GPU nodes + openb_pod_list_NAME), or --nodes/--pods
    (a path or builtin:alibaba/...); --nodes alone defaults to the paper's node list."""
    if args.trace is not None and args.pods is not None:
        raise InputError("--trace", "give --trace or --pods, not both")
    nodes, pods = alibaba_trace(args.trace or "default")
    if args.pods is not None:
        pods = data_file(args.pods, "pods", "--pods")
    if args.nodes is not None:
        nodes = data_file(args.nodes, "nodes", "--nodes")
    return nodes, pods


def cmd_fill(args: argparse.Namespace) -> int:
    from fragscope import run_fill

    placements = [p.strip() for p in args.placement.split(",") if p.strip()]
    seeds = _seeds(args.seeds)
    bar = Progress.for_terminal(len(placements) * len(seeds), "fill", args.quiet)

    def progress(done: int, total: int, placement: str, seed: int) -> None:
        bar.update(done, f"runs (last: {placement} seed {seed})", force=True)

    nodes, pods = _fill_inputs(args)
    out = run_fill(str(nodes), str(pods), placements, seeds, Path(args.out),
                   fgd_mode="exact" if args.fgd_scoring == "exact" else "score",
                   memory_filter=not args.no_memory_filter, workers=args.workers, progress=progress)
    bar.close()
    if not args.quiet:
        print(f"wrote {out.curves_csv} and {out.median_csv}")
    return 0


def cmd_ab(args: argparse.Namespace) -> int:
    from fragscope import load_scenario, run_ab

    config = load_scenario(args.scenario, args.overrides)
    window = config.workload.window
    total = 2 * (len(range(*window)) if window else len(config.workload.jobs))
    bar = Progress.for_terminal(total, "ab", args.quiet)
    done = {"A": 0, "B": 0}
    clock = {"A": 0.0, "B": 0.0}

    def progress(arm: str, jobs_done: int, now: float) -> None:
        done[arm], clock[arm] = jobs_done, now
        bar.update(done["A"] + done["B"], f"jobs (A t={clock['A'] / 3600:.1f} h, B t={clock['B'] / 3600:.1f} h)")

    result = run_ab(config, Path(args.out), fork_at=args.fork_at, progress=progress, workers=args.workers,
                    decisions=args.decisions)
    bar.close()
    if not args.quiet:
        for key in ("avg_jct_s", "jobs_completed", "utilization", "mean_frag_rate_pct", "mean_occupied_nodes"):
            a, b, d = result["A"][key], result["B"][key], result["delta"][key]
            pct = f" ({d['pct']:+.2f} %)" if d and "pct" in d else ""
            print(f"{key:22s} A(off) {_fmt(a):>14s}   B(on) {_fmt(b):>14s}{pct}")
        print(f"wrote {Path(args.out) / 'ab.json'}, A/, B/" + (" (each with decisions.parquet)" if args.decisions else ""))
    return 0


def _fmt(x) -> str:
    return "n/a" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


def register(sub: "argparse._SubParsersAction", add_overrides) -> None:
    p = sub.add_parser("fill", help="the FGD paper's fill-up experiment (unallocated GPU vs arrived load)",
                       description="Fill an Alibaba cluster with pods one at a time, no departures, "
                                   "and record unallocated GPU %% and fragmentation after every arrival.")
    p.add_argument("--trace", default=None, metavar="NAME",
                   help="the paper's setting by name: its 1 213 GPU nodes and the packaged "
                        "openb_pod_list_NAME (default, cpu050, gpushare40, multigpu20, ...; "
                        "default: default)")
    p.add_argument("--nodes", default=None,
                   help="node list CSV, or builtin:alibaba/openb_node_list_gpu_node (the default)")
    p.add_argument("--pods", default=None,
                   help="pod list CSV, or builtin:alibaba/openb_pod_list_NAME (instead of --trace)")
    p.add_argument("--placement", default=",".join(PAPER_PLACEMENTS),
                   help="comma-separated placement names or file.py:Class plug-ins "
                        f"(default: the FGD paper's {', '.join(PAPER_PLACEMENTS)})")
    p.add_argument("--seeds", default="42-51", help="e.g. 42-51 or 42,43 (default 42-51, the paper's)")
    p.add_argument("--out", required=True, help="output folder for curves.csv and median.csv")
    p.add_argument("--fgd-scoring", choices=FGD_SCORINGS, default=FGD_SCORINGS[0],
                   help="FGD's integer score as in the paper's simulator (default) or exact Δ")
    p.add_argument("--no-memory-filter", action="store_true", help="do not treat memory as a hard constraint")
    p.add_argument("--workers", type=int, default=None, help="processes (default: free cores)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_fill)

    p = sub.add_parser("ab", help="run a scenario with GPU sharing off (A) and on (B) and compare",
                       description="A/B in round mode: both arms from the same seed, or fork one "
                                   "simulation at --fork-at and flip sharing on the fork.")
    p.add_argument("scenario")
    p.add_argument("--out", required=True)
    p.add_argument("--fork-at", type=int, default=None, metavar="ROUND",
                   help="run A to this round, then clone it and switch sharing on in the clone")
    p.add_argument("--workers", type=int, default=None, choices=(1, 2),
                   help="2 = the arms in parallel processes, 1 = one after the other "
                        "(default: 2 when the machine has two cores)")
    p.add_argument("--decisions", action="store_true",
                   help="each arm also writes decisions.parquet (then: fragscope diff DIR/A DIR/B)")
    add_overrides(p)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_ab)
