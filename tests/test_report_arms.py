"""The arms report: per-arm levels vs load and paired deltas vs the first arm, checked
on hand-made numbers (exact deltas and t-intervals, saturated points never averaged)
and on a real tiny sweep with arms and two topologies."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from conftest import run_cli
from test_sweep_variants import ARMS_SWEEP, _write

PNG = b"\x89PNG\r\n\x1a\n"
T975_2 = 4.302652729911275     # t quantile 0.975 with 2 degrees of freedom (3 seeds)
ARMS = ("A-off", "B-scale-factor", "C-demand")

# Under pytest-xdist (`--dist loadgroup`) every test of this module runs on one worker, so the
# module-scoped `known` fixture (a report from a results table) is built once, not per worker.
pytestmark = pytest.mark.xdist_group("report_arms")

def _row(i: int, cluster: str, arm: str, lam: float, seed: int, jct: float | None,
         status: str = "ok", util: float = 0.5, queue: float = 1.0) -> dict:
    return {"point": f"p{i:03d}", "index": i, "cluster": cluster, "arm": arm,
            "workload.generate.lam": lam, "seed": seed, "avg_jct_s": jct, "status": status,
            "window_utilization": util, "window_busy_milli_pct": 100.0 * util,
            "window_queued_mean": queue, "jobs_in_window": 1000,
            "jobs_measured_done": 1000 if status == "ok" else 900 + seed,
            "window_start_s": 0.0, "error": None, "wall_s": 1.0}


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    """A results table with known numbers: on `big` at 60 jobs/h B is exactly 10 %
    faster than A on every seed, C is 10 / 20 / 30 % faster; at 360 jobs/h A is
    saturated on seed 2 and C on every seed.  `small` ran one load only.  Its report is
    built once for the module: the tests only read it."""
    rows = []
    base = {0: 36000.0, 1: 72000.0, 2: 54000.0}
    for cluster, lams in (("big", (60, 10)), ("small", (10,))):
        for arm in ARMS:
            for lam in lams:
                for seed in range(3):
                    a = base[seed] * (2 if lam == 10 else 1)
                    jct = {"A-off": a, "B-scale-factor": 0.9 * a,
                           "C-demand": (0.9 - 0.1 * seed) * a}[arm]
                    status = "ok"
                    if lam == 10 and cluster == "big" and (arm == "C-demand" or
                                                          (arm == "A-off" and seed == 2)):
                        status, jct = "saturated", None
                    util = 0.40 + 0.01 * seed + (0.0 if arm == "A-off" else -0.05)
                    queue = 2.0 + seed + (0.0 if arm == "A-off" else 1.0 + seed)
                    rows.append(_row(len(rows), cluster, arm, lam, seed, jct, status, util, queue))
    tmp_path = tmp_path_factory.mktemp("known")
    run = tmp_path / "run"
    run.mkdir()
    df = pd.DataFrame(rows)
    df["avg_jct_s"] = df["avg_jct_s"].astype("float64")
    df.to_parquet(run / "results.parquet", index=False)
    meta = {"format": 1, "name": "known", "description": "", "base": None,
            "grid": {"cluster": ["big", "small"], "arm": list(ARMS),
                     "workload.generate.lam": [60, 10]},
            "seeds": [0, 1, 2], "set": {}, "points": len(rows), "arms": "arm",
            "variants": {"cluster": {"big": {"base": "big.yaml"}, "small": {"base": "small.yaml"}},
                         "arm": {"A-off": {"sharing": False},
                                 "B-scale-factor": {"sharing": True, "lp_capacity": "scale_factor"},
                                 "C-demand": {"sharing": True, "lp_capacity": "demand"}}}}
    (run / "sweep.json").write_text(json.dumps(meta))
    # One of C's saturated runs was ended early by end_when_overloaded (its summary says why).
    early = df[(df["cluster"] == "big") & (df["arm"] == "C-demand") & (df["workload.generate.lam"] == 10)
               & (df["seed"] == 0)]["point"].iloc[0]
    (run / "points" / early).mkdir(parents=True)
    (run / "points" / early / "summary.json").write_text(json.dumps(
        {"saturated": True, "saturation_reason": "overloaded: the queue grows by 50 jobs/h"}))
    out = tmp_path / "report"
    assert run_cli(["report", str(run), "--out", str(out), "--quiet"]) == 0
    return out, (out / "report.md").read_text()


def _line(md: str, section: str, start: str, table: str = "Average JCT") -> str:
    """The first line starting with ``start`` in one table (named by the sentence that
    introduces it: "Average JCT", "Window figures", "Each arm") of one section."""
    part = md.split(f"### {section}", 1)[1].split("### ", 1)[0]
    part = part.split(table, 1)[1]
    return next(line for line in part.splitlines() if line.startswith(start))


def _delta(md: str, section: str, start: str) -> str:
    return _line(md, section, start, table="Each arm")


def test_arms_report_files(known):
    out, md = known
    names = {p.name for p in out.iterdir()}
    assert names == {"arms_jct_vs_load.png", "arms_window_vs_load.png", "arms_deltas.png",
                     "report.md", "results.csv"}
    for png in out.glob("*.png"):
        assert png.read_bytes().startswith(PNG) and png.stat().st_size > 10_000
    for part in ("## Arms: `arm`", "| C-demand | `sharing: true`, `lp_capacity: demand` |",
                 "### cluster=big", "### cluster=small", "`cluster` = small: `base: small.yaml`.",
                 "| arm | 60 jobs/h | 360 jobs/h |", "| arm | 360 jobs/h |",
                 "saturated pairs (A-off/arm)"):
        assert part in md, part


def test_paired_deltas_are_the_known_numbers(known):
    _, md = known
    # B − A is −10 % on every seed: the interval has no width.
    b60 = _delta(md, "cluster=big", "| B-scale-factor | 60 jobs/h |")
    assert b60.startswith("| B-scale-factor | 60 jobs/h | 3 | -10.00 [-10.00, -10.00] |"), b60
    # C − A is −10, −20, −30 %: mean −20, half-width t(0.975, 2) x 10 / sqrt(3).
    half = T975_2 * 10.0 / math.sqrt(3)
    c60 = _delta(md, "cluster=big", "| C-demand | 60 jobs/h |")
    assert c60.startswith(f"| C-demand | 60 jobs/h | 3 | -20.00 [{-20 - half:+.2f}, {-20 + half:+.2f}] |"), c60
    # GPUs busy: −5 pp on every seed; jobs waiting: +1, +2, +3 (mean +2, half t x 1 / sqrt 3).
    qhalf = T975_2 * 1.0 / math.sqrt(3)
    assert "| -5.00 [-5.00, -5.00] | -5.00 [-5.00, -5.00] | " \
           f"+2.00 [{2 - qhalf:+.2f}, {2 + qhalf:+.2f}] | 0/0 |" in c60, c60
    # At 360 jobs/h A is saturated on seed 2: B − A has two pairs; C is saturated on all.
    b360 = _delta(md, "cluster=big", "| B-scale-factor | 360 jobs/h |")
    assert b360.startswith("| B-scale-factor | 360 jobs/h | 2 | -10.00 [-10.00, -10.00] |")
    assert b360.endswith("| 1/0 |")
    c360 = _delta(md, "cluster=big", "| C-demand | 360 jobs/h |")
    assert c360 == "| C-demand | 360 jobs/h | 0 | n/a | n/a | n/a | n/a | 1/3 |"
    # The other topology is paired within itself.
    small = _delta(md, "cluster=small", "| B-scale-factor | 360 jobs/h |")
    assert small.startswith("| B-scale-factor | 360 jobs/h | 3 | -10.00 [-10.00, -10.00] |")


def test_saturated_points_are_never_averaged(known):
    _, md = known
    # A at 60 jobs/h: mean of 10, 20, 15 h [10–20]; at 360 jobs/h one seed saturated: no mean.
    a = _line(md, "cluster=big", "| A-off | 15.00 [10.00–20.00] |")
    assert a == "| A-off | 15.00 [10.00–20.00] | *saturated 1/3* (902 of 1000 measured jobs done) |"
    c = _line(md, "cluster=big", "| C-demand |")
    assert c.endswith("| *saturated 3/3* (900–902 of 1000 measured jobs done; 1 ended early, "
                      "overloaded) |"), c
    # Window figures of saturated points are shown, flagged as running up to the cap.
    assert "| A-off | 360 jobs/h | 41.0 ▲ | 41.0 ▲ | 3.0 ▲ |" in md


def test_arms_report_of_a_real_tiny_sweep(tmp_path):
    """Two topologies (blocks with their own base), three arms, two seeds: the report
    has a section per topology and its deltas are the results' own numbers."""
    sweep = _write(tmp_path, ARMS_SWEEP)
    run, out = tmp_path / "run", tmp_path / "report"
    assert run_cli(["sweep", str(sweep), "--out", str(run), "--workers", "1", "--quiet"]) == 0
    assert run_cli(["report", str(run), "--out", str(out), "--quiet"]) == 0
    assert {"arms_jct_vs_load.png", "arms_window_vs_load.png", "arms_deltas.png",
            "report.md"} <= {p.name for p in out.iterdir()}
    md = (out / "report.md").read_text()
    assert "### cluster=uniform" in md and "### cluster=mixed" in md
    df = pd.read_parquet(run / "results.parquet")
    sel = df[(df["cluster"] == "uniform") & (df["workload.generate.lam"] == 2000)]
    a = sel[sel["arm"] == "A-off"].set_index("seed")
    c = sel[sel["arm"] == "C-demand"].set_index("seed")
    assert (a["status"] == "ok").all() and (c["status"] == "ok").all()
    d = 100.0 * (c["avg_jct_s"] - a["avg_jct_s"]) / a["avg_jct_s"]
    line = _delta(md, "cluster=uniform", "| C-demand | 1.8 jobs/h |")
    assert line.startswith(f"| C-demand | 1.8 jobs/h | 2 | {d.mean():+.2f} ["), line
    jct = _line(md, "cluster=uniform", "| A-off |")
    v = a["avg_jct_s"] / 3600
    assert f"| {v.mean():.2f} [{v.min():.2f}–{v.max():.2f}] |" in jct, jct
    again = tmp_path / "again"
    assert run_cli(["report", str(run), "--out", str(again), "--quiet"]) == 0
    for f in out.iterdir():
        assert f.read_bytes() == (again / f.name).read_bytes(), f.name
