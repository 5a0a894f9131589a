"""Sweeps: a grid of scenario overrides × seeds, one headless run per point.

A sweep file (YAML) names a base scenario and a grid::

    name: sharing-ab
    base: alibaba-small.yaml            # relative to the sweep file
    grid:                               # every combination, in this order
      sharing: [false, true]
      placement: [gavel, bestfit, fgd]
      workload.generate.lam: [3000, 1500, 1000]
    seeds: [0, 1, 2]                    # or "0-2"; sets the scenario's `seed`
    set: {max_sim_time_s: 1500000}      # optional: overrides applied to every point

Each point is exactly ``fragscope run BASE --set ...``: the same files
(``summary.json``, ``jobs.csv``, ``rounds.csv``) in its own folder
``points/<hash>-<key=value,...>``, plus ``point.json`` (the row of
``results.parquet``: overrides, seed, every summary figure, window-only figures,
status, error, wall time).  ``point.json`` is written last and atomically, so it is
the "done" marker: re-running the sweep skips points that have one, and a killed
sweep loses only the points in flight.  ``results.parquet`` is rebuilt from the
``point.json`` files (never from memory) after every point, written atomically, in
grid order — so it is byte-identical whatever the backend, the number of workers or
how often the sweep was interrupted, except the ``wall_s`` column.

Workers compute and return texts; only the driver writes files, so the Ray backend
works with a remote cluster that does not share the driver's disk (the base scenario
and the data it reads must be at the same paths on the workers).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml

from ..core.atomic import atomic_write, atomic_write_bytes
from ..errors import InputError, SimulationError
from ..core.yaml_io import parse_scalar, read_yaml

SWEEP_FORMAT = 1
STATUSES = ("ok", "saturated", "error")
_SWEEP_KEYS = ("name", "description", "base", "grid", "seeds", "set")
# Scenario keys whose values are paths: relative values in a sweep file resolve
# against the sweep file's folder (not the folder the sweep is started from).
_PATH_KEYS = ("cluster.nodes_csv", "throughputs.file", "workload.trace", "workload.pods.file")
# Summary figures copied into each row, with their column type.
SUMMARY_COLUMNS: dict[str, str] = {
    "avg_jct_s": "float", "utilization": "float", "makespan_s": "float", "num_rounds": "int",
    "num_steps": "int", "num_alloc_resets": "int", "jobs_arrived": "int", "jobs_completed": "int",
    "jobs_failed": "int", "jobs_measured": "int", "jobs_rejected": "int",
    "lease_extension_pct": "float", "window_start_s": "float", "window_duration_s": "float",
    "done": "bool",
}
WINDOW_COLUMNS: dict[str, str] = {
    "saturated": "bool", "jobs_in_window": "int", "jobs_measured_done": "int",
    "window_jct_median_s": "float", "window_jct_p95_s": "float", "window_slowdown_mean": "float",
    "window_utilization": "float", "window_busy_milli_pct": "float", "window_queued_mean": "float",
    "window_frag_rate_pct": "float", "window_frag_over_total_pct": "float",
    "window_unalloc_gpu_pct": "float", "window_occupied_nodes": "float",
    "window_partial_gpus": "float",
}


# --------------------------------------------------------------------------- the sweep file
@dataclass(frozen=True)
class Point:
    """One grid point: its overrides (``key=value`` strings, as ``--set`` takes them)."""

    index: int
    values: dict[str, Any]        # grid key -> value (grid order), plus "seed"
    overrides: tuple[str, ...]    # fixed `set` overrides, then the grid's, then seed
    folder: str                   # points/<folder>


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file."""

    source: str
    name: str
    description: str
    base: Path                    # absolute path of the base scenario
    base_label: str               # as written in the sweep file
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    seeds: tuple[int, ...]
    fixed: tuple[tuple[str, Any], ...]
    points: tuple[Point, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        """What ``sweep.json`` records: enough for the report to know the axes."""
        return {"format": SWEEP_FORMAT, "name": self.name, "description": self.description,
                "base": self.base_label, "grid": {k: list(v) for k, v in self.grid},
                "seeds": list(self.seeds), "set": {k: v for k, v in self.fixed},
                "points": len(self.points)}


def _yaml_text(value: Any, source: str, key: str) -> str:
    """The value as a YAML scalar that ``--set`` parses back to the same value."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30).strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")].strip()
    if parse_scalar(text, source) != value:
        raise InputError(source, f"key '{key}': value {value!r} cannot be passed as an override")
    return text


def _resolve_path_value(key: str, value: Any, folder: Path) -> Any:
    if not isinstance(value, str):
        return value
    prefix = ""
    if key == "workload.generate.mix" and value.startswith("openb:"):
        prefix, value = "openb:", value[len("openb:"):]
    elif key not in _PATH_KEYS or value.startswith("builtin:"):
        return prefix + value
    p = Path(value).expanduser()
    return prefix + str(p if p.is_absolute() else (folder / p).resolve())


def _seeds(raw: Any, source: str) -> tuple[int, ...]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = [raw]
    if isinstance(raw, str):
        m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", raw)
        if not m or int(m.group(1)) > int(m.group(2)):
            raise InputError(source, f"key 'seeds': expected a list of integers or a range like "
                             f"'0-2', got {raw!r}")
        raw = list(range(int(m.group(1)), int(m.group(2)) + 1))
    if (not isinstance(raw, list) or not raw
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in raw)):
        raise InputError(source, f"key 'seeds': expected a non-empty list of integers >= 0 "
                         f"(or a range like '0-2'), got {raw!r}")
    if len(set(raw)) != len(raw):
        raise InputError(source, "key 'seeds': a seed is listed twice")
    return tuple(raw)


def _slug(values: dict[str, Any]) -> str:
    """A readable folder-name part: short key=value pairs, filesystem-safe."""
    short = {}
    lasts = [k.rsplit(".", 1)[-1] for k in values]
    for k in values:
        last = k.rsplit(".", 1)[-1]
        short[k] = last if lasts.count(last) == 1 else k
    parts = []
    for k, v in values.items():
        text = json.dumps(v) if not isinstance(v, str) else v
        parts.append(f"{short[k]}={text}")
    slug = re.sub(r"[^A-Za-z0-9._=,+-]", "_", ",".join(parts))
    return slug[:120]


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every problem is one :class:`InputError`
    naming the file and the key.  Scenario keys themselves are checked per point
    (a bad override fails its points, not the sweep)."""
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise InputError(source, "is a folder, expected a sweep YAML file")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(source, "expected a mapping with keys " + ", ".join(_SWEEP_KEYS))
    for k in data:
        if k not in _SWEEP_KEYS:
            import difflib
            hint = difflib.get_close_matches(str(k), _SWEEP_KEYS, n=1)
            dym = f"; did you mean '{hint[0]}'?" if hint else ""
            raise InputError(source, f"unknown key '{k}' (allowed: {', '.join(_SWEEP_KEYS)}){dym}")
    folder = path.resolve().parent
    name = data.get("name", path.stem)
    description = data.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise InputError(source, "keys 'name' and 'description' must be strings")
    base_label = data.get("base")
    if not isinstance(base_label, str) or not base_label:
        raise InputError(source, "key 'base': missing; the base scenario YAML (relative to this file)")
    base = Path(base_label).expanduser()
    base = (base if base.is_absolute() else folder / base).resolve()
    if not base.is_file():
        raise InputError(source, f"key 'base': scenario file not found: {base}")
    grid_raw = data.get("grid", {}) or {}
    if not isinstance(grid_raw, dict):
        raise InputError(source, "key 'grid': expected a mapping of scenario keys to lists of values")
    grid = []
    for key, values in grid_raw.items():
        if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
            raise InputError(source, f"key 'grid': {key!r} is not a dotted scenario key")
        if key == "seed":
            raise InputError(source, "key 'grid.seed': give seeds with the top-level 'seeds' key")
        if not isinstance(values, list) or not values:
            raise InputError(source, f"key 'grid.{key}': expected a non-empty list of values, "
                             f"got {values!r}")
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
            raise InputError(source, f"key 'grid.{key}': a value is listed twice")
        grid.append((key, tuple(_resolve_path_value(key, v, folder) for v in values)))
    fixed_raw = data.get("set", {}) or {}
    if not isinstance(fixed_raw, dict):
        raise InputError(source, "key 'set': expected a mapping of scenario keys to values")
    fixed = []
    for key, value in fixed_raw.items():
        if not isinstance(key, str) or key == "seed" or key in grid_raw:
            raise InputError(source, f"key 'set.{key}': {'use seeds' if key == 'seed' else 'also in grid'}")
        fixed.append((key, _resolve_path_value(key, value, folder)))
    seeds = _seeds(data.get("seeds", [0]), source)

    base_hash = hashlib.sha256(base.read_bytes()).hexdigest()
    fixed_over = [f"{k}={_yaml_text(v, source, 'set.' + k)}" for k, v in fixed]
    keys = [k for k, _ in grid]
    points = []
    for i, combo in enumerate(itertools.product(*(vals for _, vals in grid), seeds)):
        values = dict(zip(keys + ["seed"], combo))
        over = tuple(fixed_over + [f"{k}={_yaml_text(v, source, 'grid.' + k)}"
                                   for k, v in zip(keys, combo[:-1])] + [f"seed={combo[-1]}"])
        digest = hashlib.sha256(json.dumps({"base": base_hash, "overrides": over}).encode()).hexdigest()
        points.append(Point(i, values, over, f"{digest[:8]}-{_slug(values)}"))
    return SweepSpec(source, name, description, base, base_label, tuple(grid), seeds, tuple(fixed),
                     tuple(points))


# --------------------------------------------------------------------------- one point
@dataclass(frozen=True)
class PointResult:
    """What a worker sends back: the row and the run files' texts (none on error)."""

    row: dict[str, Any]
    files: dict[str, str]


def run_point(base: str, overrides: Sequence[str]) -> PointResult:
    """Run one point headless, exactly as ``fragscope run`` would (plus the scenario's
    ``max_sim_time_s`` cap).  Never raises for a bad point: the error becomes the row's
    ``status``/``error`` so one bad point cannot stop a sweep."""
    from .measure import run_capped, window_figures
    from ..core.results import run_output_texts
    from ..core.scenario import load_scenario
    from ..core.simulation import Simulation

    t0 = time.perf_counter()
    row: dict[str, Any] = {}
    files: dict[str, str] = {}
    try:
        sim = Simulation(load_scenario(base, list(overrides)), explain=False)
        run_capped(sim)
        summ, files = run_output_texts(sim)
        row.update({k: summ.get(k, 0 if k == "jobs_rejected" else None) for k in SUMMARY_COLUMNS})
        row.update(window_figures(sim))
        row["status"] = "saturated" if row["saturated"] else "ok"
        row["error"] = None
    except (InputError, SimulationError) as exc:
        row.update({"status": "error", "error": f"{type(exc).__name__}: {exc}"})
        files = {}
    except Exception as exc:  # a bug must not take the other points down
        row.update({"status": "error", "error": f"{type(exc).__name__}: {exc}"})
        files = {}
    row["wall_s"] = time.perf_counter() - t0
    return PointResult(row, files)


# --------------------------------------------------------------------------- driver
@dataclass
class SweepOutcome:
    results: Path
    total: int
    ran: int
    skipped: int
    failed: int
    saturated: int
    rows: list[dict[str, Any]]


ProgressFn = Callable[[int, int, Point, dict[str, Any]], None]


def _read_point(folder: Path, point: Point) -> dict[str, Any] | None:
    """A finished point's row, or None (not run, or from another sweep)."""
    try:
        data = json.loads((folder / "point.json").read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != SWEEP_FORMAT or data.get("overrides") != list(point.overrides):
        return None
    return data


def _write_point(out: Path, point: Point, result: PointResult) -> dict[str, Any]:
    folder = out / "points" / point.folder
    for name, text in result.files.items():
        atomic_write(folder / name, text)
    data = {"format": SWEEP_FORMAT, "point": point.folder, "index": point.index,
            "overrides": list(point.overrides), "values": point.values, **result.row}
    atomic_write(folder / "point.json", json.dumps(data, indent=2) + "\n")  # last: the done marker
    return json.loads((folder / "point.json").read_text())


def results_table(spec: SweepSpec, rows: list[dict[str, Any]]):
    """The rows as a DataFrame with fixed column types (grid order)."""
    import pandas as pd

    keys = [k for k, _ in spec.grid]
    cols: dict[str, list] = {"point": [], "index": []}
    for k in keys:
        cols[k] = []
    cols["seed"] = []
    for name in list(SUMMARY_COLUMNS) + list(WINDOW_COLUMNS) + ["status", "error", "wall_s"]:
        cols[name] = []
    for row in sorted(rows, key=lambda r: r["index"]):
        cols["point"].append(row["point"])
        cols["index"].append(row["index"])
        for k in keys:
            cols[k].append(row["values"][k])
        cols["seed"].append(row["values"]["seed"])
        for name in list(SUMMARY_COLUMNS) + list(WINDOW_COLUMNS) + ["status", "error", "wall_s"]:
            cols[name].append(row.get(name))
    frame = {}
    for name, values in cols.items():
        kind = SUMMARY_COLUMNS.get(name) or WINDOW_COLUMNS.get(name)
        if name in ("index", "seed"):
            kind = "int"
        elif name == "wall_s":
            kind = "float"
        elif name in ("point", "status", "error"):
            kind = "str"
        elif name in keys:
            kind = _column_kind(values)
            if kind == "json":
                values = [json.dumps(v, sort_keys=True) for v in values]
                kind = "str"
        frame[name] = _series(values, kind)
    return pd.DataFrame(frame)


def _column_kind(values: list) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "str"
    return "json"


def _series(values: list, kind: str):
    import pandas as pd
    if kind == "float":
        return pd.array([math.nan if v is None else float(v) for v in values], dtype="float64")
    if kind == "int":
        return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    if kind == "bool":
        return pd.array([None if v is None else bool(v) for v in values], dtype="boolean")
    return pd.array([None if v is None else str(v) for v in values], dtype="string")


def write_results(out: Path, spec: SweepSpec, rows: list[dict[str, Any]]) -> Path:
    """results.parquet, atomically (temporary file + rename)."""
    buf = io.BytesIO()
    results_table(spec, rows).to_parquet(buf, engine="pyarrow", index=False, compression="zstd")
    path = out / "results.parquet"
    atomic_write_bytes(path, buf.getvalue())
    return path


def _clean_temporaries(out: Path) -> None:
    """Temporary files a killed sweep left behind (never the real files)."""
    for tmp in list(out.glob(".*.tmp")) + list(out.glob("points/*/.*.tmp")):
        try:
            tmp.unlink()
        except OSError:
            pass


def run_sweep(spec: SweepSpec, out: Path, backend: str = "local", workers: int | None = None,
              ray_address: str | None = None, retry_failed: bool = False,
              progress: ProgressFn | None = None) -> SweepOutcome:
    """Run every unfinished point of ``spec`` into ``out`` and write results.parquet."""
    if backend not in ("local", "ray"):
        raise InputError("--backend", f"{backend!r} is not allowed (allowed: local, ray)")
    if workers is not None and workers < 1:
        raise InputError("--workers", f"must be >= 1, got {workers}")
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "--out must be a folder (it exists and is a file)")
    try:
        (out / "points").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(out), f"cannot create the output folder: {exc.strerror or exc}") from None
    _clean_temporaries(out)
    atomic_write(out / "sweep.json", json.dumps(spec.describe(), indent=2) + "\n")

    rows: dict[int, dict[str, Any]] = {}
    todo: list[Point] = []
    for p in spec.points:
        row = _read_point(out / "points" / p.folder, p)
        if row is not None and not (retry_failed and row.get("status") == "error"):
            rows[p.index] = row
        else:
            todo.append(p)
    skipped = len(rows)
    if todo:
        from .fill import free_cores
        n = min(workers or free_cores(), len(todo))
        runner = _run_ray if backend == "ray" else _run_local
        done = 0

        def finished(point: Point, result: PointResult) -> None:
            nonlocal done
            rows[point.index] = _write_point(out, point, result)
            write_results(out, spec, list(rows.values()))
            done += 1
            if progress is not None:
                progress(done, len(todo), point, rows[point.index])

        runner(spec, todo, n, finished, ray_address)
    path = write_results(out, spec, list(rows.values()))
    ordered = [rows[i] for i in sorted(rows)]
    return SweepOutcome(path, len(spec.points), len(todo), skipped,
                        sum(r["status"] == "error" for r in ordered),
                        sum(r["status"] == "saturated" for r in ordered), ordered)


def _run_local(spec: SweepSpec, todo: list[Point], workers: int,
               finished: Callable[[Point, PointResult], None], _address: str | None) -> None:
    """One point per task in a process pool (spawned, so no state leaks between
    points); with one worker, in this process."""
    base = str(spec.base)
    if workers <= 1:
        for p in todo:
            finished(p, run_point(base, p.overrides))
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                             initializer=_die_with_parent) as pool:
        pending = {pool.submit(run_point, base, p.overrides): p for p in todo}
        try:
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(ready, key=lambda f: pending[f].index):
                    p = pending.pop(fut)
                    finished(p, fut.result())
        except BrokenProcessPool:
            raise SimulationError("a sweep worker process died (out of memory?); finished points "
                                  "are kept — run the same command again to resume") from None
        finally:
            for fut in pending:
                fut.cancel()


def _die_with_parent() -> None:
    """Pool worker start-up: on Linux, ask the kernel to kill this worker when the
    sweep process dies (kill -9 included), so a killed sweep leaves no orphan still
    computing a point.  Elsewhere a no-op (orphans then finish their point and exit;
    their files are written atomically either way)."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _run_ray(spec: SweepSpec, todo: list[Point], workers: int,
             finished: Callable[[Point, PointResult], None], address: str | None) -> None:
    """One ``ray.remote`` task per point, on the cluster at ``address`` or on a local
    Ray started here with ``workers`` CPUs (and shut down afterwards)."""
    import ray

    started = False
    if not ray.is_initialized():
        import logging
        kwargs: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False,
                                  "logging_level": logging.WARNING}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(run_point)
        base = str(spec.base)
        refs = {task.remote(base, p.overrides): p for p in todo}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                p = refs.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # the worker died (not a bad point: those return rows)
                    result = PointResult({"status": "error", "wall_s": None,
                                          "error": f"Ray task failed: {type(exc).__name__}: "
                                                   f"{str(exc).splitlines()[0] if str(exc) else ''}"}, {})
                finished(p, result)
    finally:
        if started:
            ray.shutdown()


def results_equal_ignoring_wall(a, b) -> bool:
    """True when two results tables agree in every column but ``wall_s`` (the only
    column that depends on the machine and the backend)."""
    return a.drop(columns=["wall_s"]).equals(b.drop(columns=["wall_s"]))


__all__ = ["Point", "PointResult", "SweepOutcome", "SweepSpec", "load_sweep", "results_table",
           "results_equal_ignoring_wall", "run_point", "run_sweep", "write_results", "ray_available",
           "STATUSES"]
