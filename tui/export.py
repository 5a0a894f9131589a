"""The app's exports: a screenshot and the data on screen, in a folder of their own.

Where: ``<export dir>/<scenario>/round-<N>[-k]/`` — the export dir is
``$FRAGSCOPE_EXPORT_DIR``, else ``fragscope-exports/`` in the home folder (never the
current folder: a git checkout would show exports as untracked files).  A second export
of the same round gets ``-2``, ``-3``, …: nothing is ever overwritten.  The folder is
written under a temporary name and renamed when complete, so a folder that exists is a
whole export.

What: per arm, the tables the screen shows — ``jobs.csv`` (the job list), ``gpus.csv``
(every GPU and the jobs on it), ``lp.csv`` (the LP's time shares per job and GPU type)
and ``decisions.csv`` (this round's decisions, the decision log's columns) — plus the
screenshot, which the app writes into the folder.  No Textual here: the data arrives as
frames and decision rows.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from fragscope import DECISION_COLUMNS, DecisionRow

from .frames import ArmFrame

#: The export folder's environment switch (README "Exports").
EXPORT_DIR_ENV = "FRAGSCOPE_EXPORT_DIR"
JOB_COLUMNS = ("job_id", "job_type", "status", "num_gpus", "gpu_milli", "cpu_milli", "memory_mib",
               "priority_weight", "arrival_s", "steps_done", "total_steps", "gpus", "jct_s")
GPU_COLUMNS = ("gpu_id", "server", "gpu_type", "milli_used", "jobs")


def export_root() -> Path:
    return Path(os.environ.get(EXPORT_DIR_ENV) or Path.home() / "fragscope-exports")


def _free(folder: Path, stem: str, suffix: str) -> Path:
    path, k = folder / f"{stem}{suffix}", 1
    while path.exists():
        k += 1
        path = folder / f"{stem}-{k}{suffix}"
    return path


def export_path(scenario: str, step: int, suffix: str = "") -> Path:
    """``<export dir>/<scenario>/round-<N>[-k]<suffix>``: the first name not taken yet
    (the scenario's folder is created)."""
    folder = export_root() / (re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario) or "scenario")
    folder.mkdir(parents=True, exist_ok=True)
    return _free(folder, f"round-{step}", suffix)


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def arm_tables(frame: ArmFrame, decisions: Sequence[DecisionRow]) -> dict[str, str]:
    """One arm's CSV files (name → text) from its frame and this round's decisions."""
    jobs = [(j.job_id, j.job_type, j.status, j.num_gpus, j.gpu_milli, j.cpu_milli, j.memory_mib,
             j.priority_weight, j.arrival_s, j.steps_done, j.total_steps, " ".join(map(str, j.gpus)),
             "" if j.jct_s is None else j.jct_s) for j in frame.jobs]
    gpus = [(g.gpu_id, s.server_id, g.gpu_type, sum(m for _, m in g.jobs), " ".join(f"{j}:{m}" for j, m in g.jobs))
            for s in frame.servers for g in s.gpus]
    types = list(frame.gpu_types)
    lp = [(j, *(shares.get(t, 0.0) for t in types)) for j, shares in sorted(frame.allocation.items())]
    dec = [(d.round, d.time_s, d.job_id, d.action, d.gpu_type, d.server, " ".join(map(str, d.gpus)), d.rule,
            "" if d.score is None else d.score) for d in decisions]
    return {"jobs.csv": _csv(JOB_COLUMNS, jobs), "gpus.csv": _csv(GPU_COLUMNS, gpus),
            "lp.csv": _csv(("job_id", *types), lp), "decisions.csv": _csv(DECISION_COLUMNS, dec)}


def write_export(frames: Sequence[ArmFrame], decisions: dict[str, Sequence[DecisionRow]],
                 screenshot: Callable[[Path], None] | None = None) -> Path:
    """Write one export of ``frames`` (one folder per arm when forked, e.g. ``A/jobs.csv``;
    the files directly in the export folder otherwise) and return its folder.
    ``screenshot(folder)`` writes the screen's SVG into the folder being filled."""
    if not frames:
        raise ValueError("nothing to export: no frame has been drawn yet")
    final = export_path(frames[0].name, frames[0].step)
    work = final.with_name("." + final.name + ".part")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        for frame in frames:
            folder = work / frame.label if len(frames) > 1 else work
            folder.mkdir(exist_ok=True)
            for name, text in arm_tables(frame, decisions.get(frame.label, ())).items():
                (folder / name).write_text(text)
        if screenshot is not None:
            screenshot(work)
        final = export_path(frames[0].name, frames[0].step)   # (taken meanwhile? the next free name)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final
