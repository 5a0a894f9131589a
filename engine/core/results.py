"""Run results: the summary figures and the output files of ``fragscope run`` (three, and
the decision log when recorded).

Figures are computed the way Gavel computes them (gavel.md §1.5) so they can be
compared with Gavel's printed output.  Files are written to a temporary name and
renamed, so an interrupted run never leaves a half-written file; nothing
time-dependent (wall clock, host) goes into them, so reruns are byte-identical.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..model.atomic import atomic_write, atomic_write_bytes
from ..plugins import identity
from .decisions import decisions_parquet
from .mode import Mode
from .simulation import Simulation
from .state import RoundRecord

DECISIONS_FILE = "decisions.parquet"

FORMAT_VERSION = 1


def measured_job_ids(sim: Simulation) -> list[int]:
    """The window's jobs, or every completed job when there is no window."""
    wl = sim.config.workload
    if wl.window is not None:
        return list(range(*wl.window))
    return sorted(sim.state.jct)


def is_saturated(sim: Simulation) -> bool:
    """True when the backlog monitor found the run overloaded (its queue keeps growing:
    core/backlog.py) — the only thing that says a load is more than the cluster serves.
    A run that merely reached a bound is *capped* (:func:`is_capped`), not saturated."""
    return bool(sim.state.saturation)


def is_capped(sim: Simulation) -> bool:
    """True when a bound stopped the run before its measured jobs were all done: the
    scenario's ``max_sim_time_s`` (jobs finishing in the step past it do not count), or
    the default bound a driver applied.  Such a run has no honest average JCT either: the
    jobs still running are the slow ones, so averaging the finished ones would understate
    it (the Gavel fork's truncated-JCT mistake, sharing.md §6)."""
    s, cap = sim.state, sim.config.max_sim_time
    return bool(s.capped) or (cap is not None and (not s.done or s.now > cap))


def summary(sim: Simulation) -> dict[str, Any]:
    s = sim.state
    ids = measured_job_ids(sim)
    jcts = [s.jct[j] for j in ids if s.jct.get(j) is not None]
    cap = sim.config.max_sim_time
    saturated, capped = is_saturated(sim), is_capped(sim)
    avg = float(np.mean(jcts)) if jcts and not (saturated or capped) else None
    total = s.now
    util = (float(np.mean([busy / total for busy in s.gpu_busy]))
            if total > 0 and s.gpu_busy else 0.0)
    lease = (100.0 * s.lease_extensions / s.lease_opportunities) if s.lease_opportunities else 0.0
    out: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "avg_jct_s": avg,
        "utilization": util,
        "makespan_s": total,
        "num_rounds": s.rounds_dispatched,
        "num_steps": s.num_steps,
        "num_alloc_resets": s.num_resets,
        # every allocation LP: how many, how many ended non-optimal, which solver answered
        # (policies/solve.py: a non-optimal status is retried with a fallback solver)
        "lp_solves": s.lp_solves,
        "lp_non_optimal": s.lp_non_optimal,
        "lp_solvers": dict(sorted(s.lp_solvers.items())),
        "jobs_arrived": len(s.arrived),
        "jobs_completed": sum(1 for v in s.jct.values() if v is not None),
        "jobs_failed": sum(1 for v in s.jct.values() if v is None) - s.rejected,
        "jobs_measured": len(jcts),
        "lease_extension_pct": lease,
        "window_start_s": s.window_start_time,
        "window_duration_s": (total - s.window_start_time) if s.window_start_time is not None else None,
        "done": s.done,
        **({"jobs_rejected": s.rejected} if s.rejected else {}),
        **({"pods_skipped": sim.config.skipped_jobs} if sim.config.skipped_jobs else {}),
        # Only with a cap or when it happened, so summaries of plain runs keep their format.
        **({"max_sim_time_s": cap} if cap is not None else {}),
        **({"saturated": saturated, "capped": capped} if cap is not None or saturated or capped else {}),
        # why: the backlog's verdict (core/backlog.py), the bound a driver applied
        **({"saturation_reason": s.saturation} if s.saturation else {}),
        **({"capped_reason": s.capped} if s.capped else {}),
        **({"stopped_at": dict(s.stopped_at)} if s.stopped_at else {}),
        **({"queue_growth_per_h": s.queue_growth_per_h} if s.saturation and s.queue_growth_per_h is not None
           else {}),
        "scenario": scenario_record(sim),
    }
    if s.mode_changes:   # a fork, or a mode switched mid-run: when and what
        out["mode_changes"] = [{"round": r, "changed": list(f)} for r, f in s.mode_changes]
    out["plugins"] = plugin_identities(sim.mode)   # (last: the keys before it keep their order)
    return out


def plugin_identities(mode: Mode) -> dict[str, dict[str, str]]:
    """The placement's and the policy's identity (fragscope.plugins.identity) in ``mode``
    (a run's: the mode it ended in): which code made these results."""
    return {"placement": identity(mode.placement), "policy": identity(mode.policy)}


def scenario_record(sim: Simulation) -> dict[str, Any]:
    """The effective scenario, with the mode the run ended in (a fork's, when its mode
    was replaced: e.g. arm B of ``fragscope ab`` records ``sharing: true``)."""
    effective = sim.config.effective
    ran, own = sim.mode.record(), sim.config.mode.record()
    differs = {k: v for k, v in ran.items() if own.get(k) != v}
    differs.update({k: {} for k in own if k not in ran})   # parameters dropped by the switch
    return {**effective, **differs} if differs else effective


def jobs_rows(sim: Simulation) -> list[dict[str, Any]]:
    s = sim.state
    wl = sim.config.workload
    lo, hi = wl.window if wl.window is not None else (None, None)
    rows = []
    for job in sorted(s.arrived, key=lambda j: j.job_id):
        j = job.job_id
        if j not in s.jct or s.jct[j] is None:
            continue
        rows.append({"job_id": j, "job_type": job.job_type, "scale_factor": job.scale_factor,
                     "arrival_s": s.start_ts.get(j, job.arrival_time),
                     "completion_s": s.completion_time[j], "jct_s": s.jct[j],
                     "measured": int(lo is None or lo <= j < hi), **where_ran(sim, s.last_gpus.get(j, ()))})
    return rows


def where_ran(sim: Simulation, gpus: tuple[int, ...]) -> dict[str, Any]:
    """jobs.csv's last_* columns: the GPU type, server and GPUs a job ran on last."""
    cluster = sim.mech.cluster
    if not gpus:
        return {"last_gpu_type": "", "last_server": -1, "last_gpus": ""}
    return {"last_gpu_type": cluster.gpu_type_of[gpus[0]], "last_server": cluster.server_of[gpus[0]],
            "last_gpus": ",".join(map(str, gpus))}


FRAG_COLUMNS = ["busy_milli_pct", "frag_amount_gpus", "frag_rate_pct", "frag_over_total_pct",
                "unalloc_gpu_pct", "occupied_nodes", "partial_gpus"]


def round_row(r: RoundRecord, total: int) -> dict[str, Any]:
    """One rounds.csv row (``total``: the cluster's GPUs) — also what a condition's
    metrics read (debug/conditions.py), so both name the same columns."""
    row = {"round": r.index, "time_s": r.time, "running": r.running, "queued": r.queued,
           "completed": r.completed_total, "arrivals": r.arrivals,
           "completions": r.completions, "utilization": r.busy_gpus / total if total else 0.0,
           "lp_recomputed": int(r.lp_recomputed)}
    if r.frag is not None:
        row["busy_milli_pct"] = 100.0 * r.busy_milli / (1000 * total) if total else 0.0
        row.update(zip(FRAG_COLUMNS[1:], r.frag))
    row["fingerprint"], row["lp_fingerprint"] = r.fingerprint, r.lp_fingerprint
    return row


def rounds_rows(sim: Simulation) -> list[dict[str, Any]]:
    total = sim.mech.cluster.num_gpus
    return [round_row(r, total) for r in sim.state.rounds]


def _csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: _fmt(row[k]) for k in columns})
    return buf.getvalue()


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    return value


JOB_COLUMNS = ["job_id", "job_type", "scale_factor", "arrival_s", "completion_s", "jct_s", "measured",
               "last_gpu_type", "last_server", "last_gpus"]
# last in rounds.csv: the round's decision fingerprint and the LP shares' (debugger.md §2)
FINGERPRINT_COLUMNS = ["fingerprint", "lp_fingerprint"]
ROUND_COLUMNS = ["round", "time_s", "running", "queued", "completed", "arrivals", "completions",
                 "utilization", "lp_recomputed"]


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def run_output_files(sim: Simulation) -> tuple[dict[str, Any], dict[str, str | bytes]]:
    """The summary and the content of each run file — texts, and decisions.parquet's bytes
    when the run kept its decision log — without writing anything (a sweep worker on
    another machine sends them back for the driver to write with :func:`write_files`)."""
    summ = summary(sim)
    files: dict[str, str | bytes] = {
        "jobs.csv": _csv_text(jobs_rows(sim), JOB_COLUMNS),
        "rounds.csv": _csv_text(rounds_rows(sim), ROUND_COLUMNS + (
            FRAG_COLUMNS if sim.config.fragmentation_metrics else []) + FINGERPRINT_COLUMNS),
        "summary.json": to_json(summ),
    }
    if sim.record_decisions:
        files[DECISIONS_FILE] = decisions_parquet(sim.decisions())
    return summ, files


def write_files(out_dir: Path, files: dict[str, str | bytes]) -> None:
    """Each file atomically (text or bytes)."""
    for name, content in files.items():
        if isinstance(content, bytes):
            atomic_write_bytes(out_dir / name, content)
        else:
            atomic_write(out_dir / name, content)


RUN_FILES = ("summary.json", "jobs.csv", "rounds.csv", DECISIONS_FILE)
#: Left in a run's folder when the run failed (and removed by the next run that does not).
FAILED_FILE = "FAILED.txt"


def write_run_outputs(sim: Simulation, out_dir: Path) -> dict[str, Any]:
    """Write summary.json, jobs.csv and rounds.csv — and decisions.parquet when the run
    kept its decision log (a decisions.parquet left by an earlier run that did not is
    removed: it would pass as this run's); returns the summary.  A FAILED.txt an
    earlier run left goes (this run did not fail)."""
    summ, files = run_output_files(sim)
    log = out_dir / DECISIONS_FILE
    if DECISIONS_FILE not in files and log.exists():
        log.unlink()
    write_files(out_dir, files)
    (out_dir / FAILED_FILE).unlink(missing_ok=True)
    return summ


def mark_failed(out_dir: Path, error: BaseException) -> None:
    """A run into ``out_dir`` failed: the files an earlier run left there go (they would
    pass as this run's) and FAILED.txt says what went wrong.  Nothing else is touched."""
    if not out_dir.is_dir():
        return
    for name in RUN_FILES:
        (out_dir / name).unlink(missing_ok=True)
    atomic_write(out_dir / FAILED_FILE, f"this run failed; its outputs are not here:\n{error}\n")
