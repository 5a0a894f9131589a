"""The sweep driver: run the unfinished points of a sweep and write their results.

Only the driver writes files, each one atomically, and ``point.json`` last (the
"done" marker): a re-run skips the points that have one, so a killed sweep resumes
where it stopped, and results.parquet is rebuilt from the ``point.json`` files after
every point (never from memory).
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ...core.results import write_files
from ...model.atomic import atomic_write, temporary_writer
from ...model.errors import InputError
from .backends import run_local, run_ray
from .claims import Claims, process_alive
from .point import PointResult
from .results import write_results
from .spec import SWEEP_FORMAT, Point, SweepSpec


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did: the results file, point counts and the rows (grid order).
    ``elsewhere`` maps the points left to another sweep running into the same folder
    (see .claims) to who holds them; ``ran`` counts the points this sweep ran."""

    results: Path
    total: int
    ran: int
    skipped: int
    failed: int
    saturated: int
    capped: int
    rows: list[dict[str, Any]]
    elsewhere: dict[str, str] = field(default_factory=dict)


ProgressFn = Callable[[int, int, Point, dict[str, Any]], None]


def point_filter(spec: SweepSpec, only: list[str]) -> Callable[[Point], bool]:
    """The points ``only`` selects: ``AXIS=VALUE`` terms (an axis of the grid, a variant
    axis's label, or ``seed``); terms on one axis are alternatives, terms on different
    axes must all hold.  So part of a long sweep can run first (``seed=0``) and the rest
    later into the same folder: the points are the same, and so are their folders."""
    allowed: dict[str, list[str]] = {}
    for p in spec.points:
        for key, value in p.values.items():
            vals = allowed.setdefault(key, [])
            if str(value) not in vals:
                vals.append(str(value))
    wanted: dict[str, set[str]] = {}
    for term in only:
        key, sep, value = term.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in allowed:
            raise InputError("--only", f"{term!r}: expected AXIS=VALUE with AXIS one of "
                             f"{', '.join(allowed)}")
        if value not in allowed[key]:
            raise InputError("--only", f"{term!r}: {key} takes {', '.join(allowed[key])}")
        wanted.setdefault(key, set()).add(value)
    return lambda p: all(str(p.values.get(k)) in vs for k, vs in wanted.items())


def _with_others(out: Path, spec: SweepSpec, rows: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` plus the points another sweep finished into ``out`` since this one started
    (two ``--only`` parts of one sweep may run at once into one folder: each rewrites
    results.parquet, which must hold every finished point, not just its own)."""
    for p in spec.points:
        if p.index not in rows:
            row = _read_point(out / "points" / p.folder, p)
            if row is not None:
                rows[p.index] = row
    return list(rows.values())


def _read_point(folder: Path, point: Point, plugins: Callable[[Point], Any] | None = None) -> dict[str, Any] | None:
    """A finished point's row, or None (not run, from another sweep, or — ``plugins``
    giving the point's plug-in identities now — made by plug-in code that has changed
    since, or by a sweep that recorded none)."""
    try:
        data = json.loads((folder / "point.json").read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != SWEEP_FORMAT or data.get("overrides") != list(point.overrides):
        return None
    if plugins is not None and data.get("status") != "error" and data.get("plugins") != plugins(point):
        return None
    return data


def point_plugins(spec: SweepSpec) -> Callable[[Point], Any]:
    """The plug-in identities a point runs with now (fragscope.plugins.identity), by
    loading its scenario; None for a point whose scenario does not load (it fails when run)."""
    from ...core.results import plugin_identities
    from ...core.scenario import load_scenario

    def of(point: Point) -> Any:
        try:
            cfg = load_scenario(spec.point_base(point), list(point.overrides))
        except InputError:
            return None
        return plugin_identities(cfg.mode)
    return of


def _settled(row: dict[str, Any] | None, retry_failed: bool) -> bool:
    """Whether a point with this ``point.json`` row needs no run: it has one, and it is
    not a failure that ``--retry-failed`` asks to run again."""
    return row is not None and not (retry_failed and row.get("status") == "error")


def _write_point(out: Path, point: Point, result: PointResult) -> dict[str, Any]:
    folder = out / "points" / point.folder
    write_files(folder, result.files)
    data = {"format": SWEEP_FORMAT, "point": point.folder, "index": point.index,
            "overrides": list(point.overrides), "values": point.values, **result.row}
    atomic_write(folder / "point.json", json.dumps(data, indent=2) + "\n")  # last: the done marker
    return json.loads((folder / "point.json").read_text())


STALE_TMP_S = 3600   # a temporary file whose writer cannot be checked is left behind after this long


def _clean_temporaries(out: Path) -> None:
    """Temporary files a killed sweep left behind (never the real files, nor those of a
    sweep writing into the same folder right now): those of a writer of this host that
    no longer runs, and any an hour old (a write takes well under a second; this also
    covers writers that cannot be checked — another host's, an unnamed one — and a
    process id reused since)."""
    host, now = socket.gethostname(), time.time()
    for tmp in list(out.glob(".*.tmp")) + list(out.glob("points/*/.*.tmp")):
        writer = temporary_writer(tmp)
        try:
            gone = writer is not None and writer[1] == host and not process_alive(writer[0])
            if gone or now - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()
        except OSError:
            pass


def run_sweep(spec: SweepSpec, out: Path, backend: str = "local", workers: int | None = None,
              ray_address: str | None = None, retry_failed: bool = False,
              progress: ProgressFn | None = None,
              only: Callable[[Point], bool] | None = None) -> SweepOutcome:
    """Run every unfinished point of ``spec`` into ``out`` (those ``only`` selects, when
    given: see :func:`point_filter`) and write results.parquet, which holds every point
    that has results in ``out``."""
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
    plugins = point_plugins(spec)
    for p in spec.points:
        row = _read_point(out / "points" / p.folder, p, plugins)
        if _settled(row, retry_failed):
            rows[p.index] = row
        elif only is None or only(p):
            todo.append(p)
        elif row is not None:
            rows[p.index] = row
    skipped = len(rows)
    elsewhere: dict[str, str] = {}
    done = 0
    if todo:
        from ..fill import free_cores
        n = min(workers or free_cores(), len(todo))
        runner = run_ray if backend == "ray" else run_local
        claims = Claims(out / "points")

        def take(point: Point) -> bool:
            """Claim a point just before it runs; a point another sweep finished or
            holds meanwhile is left to it."""
            row = _read_point(out / "points" / point.folder, point, plugins)
            if _settled(row, retry_failed):
                elsewhere[point.folder] = "finished by another sweep"
                return False
            if claims.take(point.folder):
                return True
            elsewhere[point.folder] = claims.holder(point.folder) or "another sweep"
            return False

        def finished(point: Point, result: PointResult) -> None:
            nonlocal done
            rows[point.index] = _write_point(out, point, result)
            claims.release(point.folder)
            write_results(out, spec, _with_others(out, spec, rows))
            done += 1
            if progress is not None:
                progress(done, len(todo), point, rows[point.index])

        try:
            runner(spec, todo, n, finished, ray_address, take)
        finally:
            claims.release_all()
    path = write_results(out, spec, _with_others(out, spec, rows))
    ordered = [rows[i] for i in sorted(rows)]
    return SweepOutcome(path, len(spec.points), done, skipped,
                        sum(r["status"] == "error" for r in ordered),
                        sum(r["status"] == "saturated" for r in ordered),
                        sum(r["status"] == "capped" for r in ordered), ordered, elsewhere)
