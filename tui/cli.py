"""The ``fragscope`` command line.

Every command reports bad input as one line on stderr and exits with code 2 —
never a traceback — and writes its files atomically.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from fragscope import (InputError, Simulation, SimulationError, __version__, load_scenario, measured_job_ids,
                       mark_failed, run_capped, shipped_scenarios, write_run_outputs)

from .progress import Progress

EXIT_BAD_INPUT = 2


def _add_overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key, e.g. --set policy=max_min_fairness "
                        "--set workload.generate.lam=900 (values are YAML scalars); repeatable")


def cmd_run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "--out must be a folder (it exists and is a file)")
    try:
        return _run(args, out)
    except (InputError, SimulationError, KeyboardInterrupt) as exc:
        # no earlier run's files may pass as this one's: they go, and FAILED.txt says why
        mark_failed(out, exc if not isinstance(exc, KeyboardInterrupt) else "interrupted")
        raise


def _run(args: argparse.Namespace, out: Path) -> int:
    sim = Simulation(load_scenario(args.scenario, args.overrides), decisions=args.decisions)
    until = None
    if args.until is not None:
        from fragscope import ArmRound, condition_columns, parse_condition
        cond = parse_condition(args.until, "--until")
        cond.check_metrics(condition_columns(sim))
        if cond.needs_fork():
            raise InputError("--until", "'diverged' and 'B.' need two arms: use fragscope snapshot --fork-at K")

        def until(report, status) -> bool:
            return cond.holds({"A": ArmRound(sim, status.overloaded)})
    measured = measured_job_ids(sim)
    wl = sim.config.workload
    total = len(measured) if wl.window is not None else len(getattr(wl, "jobs", measured))
    progress = Progress.for_terminal(total, "run", args.quiet)
    window = set(measured) if wl.window is not None else None
    done = 0
    overload = ""

    def on_status(status) -> None:
        nonlocal overload
        overload = f"  {status.label}" if status.overloaded else ""

    def on_step(report) -> None:
        nonlocal done
        for j, _ in report.completions:
            if window is None or j in window:
                done += 1
        progress.update(done, f"jobs, t={report.time / 3600:.1f} h{overload}")

    # to completion, or to the scenario's max_sim_time_s / the default bound, or until a
    # hopeless overload (engine/core/backlog.py)
    run_capped(sim, on_step, on_status, until=until, until_text=args.until or "")
    if until is not None and not sim.state.stopped_at and not args.quiet:
        print(f"NOTE         {args.until} never held: the run went to its end (no stopped_at)")
    progress.update(done, "jobs", force=True)
    progress.close()
    summ = write_run_outputs(sim, out)
    if not args.quiet:
        avg = summ["avg_jct_s"]
        if summ.get("stopped_at"):
            print(f"STOPPED      at round {summ['stopped_at']['round']}: {summ['stopped_at']['condition']} holds")
        elif summ.get("saturation_reason"):
            print(f"SATURATED    {summ['saturation_reason']}: no average JCT")
        elif summ.get("capped_reason") and not summ.get("stopped_at"):
            print(f"CAPPED       {summ['capped_reason']}: no average JCT")
        elif summ.get("capped"):
            print(f"CAPPED       measured jobs not all done by max_sim_time_s = "
                  f"{summ['max_sim_time_s']:g} s: no average JCT")
        print(f"average JCT  {avg:.3f} s ({avg / 3600:.2f} h)" if avg is not None else "average JCT  n/a")
        print(f"utilization  {summ['utilization']:.3f}")
        print(f"makespan     {summ['makespan_s']:.3f} s")
        print(f"rounds       {summ['num_rounds']}  (allocation recomputed {summ['num_alloc_resets']} times)")
        print(f"jobs         {summ['jobs_completed']} completed, {summ['jobs_measured']} measured")
        print(f"wrote        {out / 'summary.json'}, jobs.csv, rounds.csv"
              + (", decisions.parquet" if args.decisions else ""))
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    shipped = shipped_scenarios()
    width = max(len(s.name) for s in shipped)
    for s in shipped:
        print(f"{s.name:<{width}}  {s.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fragscope",
        description="A steppable GPU-cluster scheduler simulator (Gavel's mechanism and LP, "
                    "FGD placement, fractional GPU sharing).")
    parser.add_argument("--version", action="version", version=f"fragscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("run", help="run a scenario headless and write summary.json, jobs.csv, rounds.csv",
                       description="Run a scenario to completion without the UI.")
    p.add_argument("scenario", help="scenario YAML file, or a shipped scenario's name (see `fragscope scenarios`)")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    _add_overrides(p)
    p.add_argument("--decisions", action="store_true",
                   help="also write decisions.parquet: one row per decision (placed, moved, preempted, "
                        "finished, failed), see README 'Decision logs'")
    p.add_argument("--until", metavar="COND", default=None,
                   help="stop at the first round where COND holds, e.g. 'frag_rate_pct > 40', 'job 812 placed', "
                        "'queued >= 10 and not overloaded' (README 'Conditions'); outputs up to that round, "
                        "summary.json stopped_at")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary on stdout")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("scenarios", help="list the shipped scenarios (use a name wherever a scenario file is accepted)",
                       description="The scenarios and sweep files that ship inside the package, by the "
                                   "name every command accepts in place of a file path.")
    p.set_defaults(func=cmd_scenarios)
    from . import experiment_cli
    experiment_cli.register(sub, _add_overrides)
    from . import sweep_cli
    sweep_cli.register(sub)
    from . import debug_cli
    debug_cli.register(sub, _add_overrides)
    from . import view_cli  # the UI's commands live with the UI
    view_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        return func(args)
    except InputError as exc:
        print(f"fragscope: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SimulationError as exc:
        print(f"fragscope: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("fragscope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # `fragscope why … | head`: the reader left; nothing to say
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
