"""Export what happened as a Chrome / Perfetto trace (debugger.md §7).

One process per server (``pid`` = server + 1), one thread per GPU (``tid`` = the global
GPU id), a complete event (``"ph": "X"``) per stretch of a job on a GPU, in microseconds
of simulated time; counters (``"ph": "C"``) for the frag rate, the queue and the
utilization on process 0 ("cluster"); metadata events naming processes and threads.
Opens in https://ui.perfetto.dev and chrome://tracing.  The stretches come from the run
folder's decisions.parquet, or from a replay with the decision log when it has none.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..core.decisions import FINISHED, MOVED, PLACED
from ..core.results import DECISIONS_FILE
from ..model.atomic import atomic_write
from ..model.errors import InputError
from .replay import open_source, replay

COUNTERS = ("frag_rate_pct", "queued", "utilization")
LANE_STRIDE = 1_000_000   # tid of lane k of GPU g: g + k * LANE_STRIDE (lane 0 is the GPU's own thread)


def _decision_rows(run_dir: Path) -> tuple[list[tuple], Any]:
    """(round, time, job, action, server, gpus, gpu_type) rows, and the run's cluster."""
    src = open_source(run_dir)
    cluster = src.config.cluster
    path = run_dir / DECISIONS_FILE
    if path.is_file():
        import pyarrow as pa
        import pyarrow.parquet as pq
        try:
            t = pq.read_table(path).to_pydict()
        except (pa.ArrowException, OSError) as exc:
            raise InputError(str(path), f"cannot be read as a decision log ({exc}); rerun with --decisions or "
                             "delete it (export then replays the run)") from None
        rows = [(r, ts, j, a, srv, tuple(int(x) for x in g.split(",")) if g else (), w)
                for r, ts, j, a, srv, g, w in zip(t["round"], t["time_s"], t["job_id"], t["action"], t["server"],
                                                   t["gpus"], t["gpu_type"])]
        return rows, cluster
    sim = None
    for sim, _ in replay(src, decisions=True):
        pass
    if sim is None:
        return [], cluster
    return [(d.round, d.time_s, d.job_id, d.action, d.server, d.gpus, d.gpu_type) for d in sim.decisions()], cluster


def perfetto_trace(run_dir: str | Path) -> dict[str, Any]:
    """The trace of a run folder as a JSON-able dict (``{"traceEvents": [...]}``)."""
    run_dir = Path(run_dir)
    if not (run_dir / "summary.json").is_file():
        raise InputError(str(run_dir), "is not a run folder (no summary.json): give the --out folder of "
                         "fragscope run")
    rows, cluster = _decision_rows(run_dir)
    end_time = _end_time(run_dir)
    completion = _completions(run_dir)
    events: list[dict[str, Any]] = [{"ph": "M", "name": "process_name", "pid": 0, "args": {"name": "cluster"}}]
    for s in cluster.servers:
        events.append({"ph": "M", "name": "process_name", "pid": s.server_id + 1,
                       "args": {"name": f"server {s.server_id} {s.name} ({s.gpu_type})".replace("  ", " ")}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": s.server_id + 1, "args": {"sort_index": s.server_id + 1}})
        for g in s.gpu_ids:
            events.append({"ph": "M", "name": "thread_name", "pid": s.server_id + 1, "tid": g,
                           "args": {"name": f"GPU {g}"}})
    open_runs: dict[int, tuple[float, int, tuple[int, ...], str]] = {}
    slices: list[dict[str, Any]] = []
    lanes: dict[int, list[int]] = {}   # GPU -> end of the latest slice in each lane

    def lane_of(g: int, ts: int, te: int) -> int:
        """Jobs sharing a GPU overlap in time: each gets a lane of its own (a thread
        "GPU g · shared k"), since slices on one thread must nest."""
        ends = lanes.setdefault(g, [])
        for k, end in enumerate(ends):
            if end <= ts:
                ends[k] = te
                return k
        ends.append(te)
        return len(ends) - 1

    def close(j: int, t_end: float, how: str) -> None:
        start, server, gpus, w = open_runs.pop(j)
        ts, te = round(start * 1e6), round(t_end * 1e6)   # (ends rounded alike: touching slices never overlap)
        for g in gpus:
            k = lane_of(g, ts, te)
            slices.append({"ph": "X", "name": f"job {j}", "cat": w, "pid": server + 1, "tid": g + k * LANE_STRIDE,
                           "ts": ts, "dur": max(0, te - ts),
                           "args": {"job_id": j, "gpu_type": w, "gpu": g, "gpus": ",".join(map(str, gpus)),
                                    "ended": how}})

    for _, t, j, action, server, gpus, w in rows:
        if j in open_runs:
            t_end = completion.get(j, t) if action == FINISHED else t
            close(j, t_end, action)
        if action in (PLACED, MOVED) and gpus:
            open_runs[j] = (t, server, gpus, w)
    # still running at the end: to the end of the last round (a run stopped by --until
    # ends at its last round's start)
    last_round_end = (rows[-1][1] if rows else 0.0) + src_round_seconds(run_dir)
    for j in sorted(open_runs):
        close(j, max(end_time, last_round_end), "still running at the end of the run")
    for g, ends in lanes.items():   # the extra lanes of shared GPUs, named after their GPU
        server = cluster.server_of[g]
        for k in range(1, len(ends)):
            events.append({"ph": "M", "name": "thread_name", "pid": server + 1, "tid": g + k * LANE_STRIDE,
                           "args": {"name": f"GPU {g} · shared {k}"}})
    events.extend(sorted(slices, key=lambda e: (e["ts"], e["pid"], e["tid"], e["args"]["job_id"])))
    events.extend(_counters(run_dir))
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "metadata": {"source": "fragscope", "run": str(run_dir), "time": "simulated seconds as microseconds"}}


def _end_time(run_dir: Path) -> float:
    try:
        return float(json.loads((run_dir / "summary.json").read_text()).get("makespan_s") or 0.0)
    except (OSError, ValueError) as exc:
        raise InputError(str(run_dir / "summary.json"), f"cannot read ({exc})") from None


def _completions(run_dir: Path) -> dict[int, float]:
    path = run_dir / "jobs.csv"
    if not path.is_file():
        return {}
    with path.open(newline="") as fh:
        return {int(r["job_id"]): float(r["completion_s"]) for r in csv.DictReader(fh)}


def _counters(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "rounds.csv"
    if not path.is_file():
        return []
    out = []
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            ts = round(float(r["time_s"]) * 1e6)
            for name in COUNTERS:
                if r.get(name) not in (None, ""):
                    out.append({"ph": "C", "name": name, "pid": 0, "ts": ts, "args": {name: float(r[name])}})
    return out


def src_round_seconds(run_dir: Path) -> float:
    scenario = json.loads((run_dir / "summary.json").read_text()).get("scenario", {})
    return float(scenario.get("round_seconds", 0.0) or 0.0)


def export_perfetto(run_dir: str | Path, out: str | Path) -> int:
    """Write the trace to ``out`` (atomically); returns the number of events."""
    out = Path(out)
    if out.is_dir():
        raise InputError("--perfetto", f"{out} is a folder: give the trace's file name, e.g. {out / 'trace.json'}")
    if not out.parent.exists():
        raise InputError("--perfetto", f"folder {out.parent} does not exist")
    trace = perfetto_trace(run_dir)
    atomic_write(Path(out), json.dumps(trace, separators=(",", ":")) + "\n")
    return len(trace["traceEvents"])


__all__ = ["COUNTERS", "export_perfetto", "perfetto_trace"]
