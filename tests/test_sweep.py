"""Sweeps: the local backend, Ray giving identical results, kill + resume, failing
points, bad sweep files, and the simulated-time cap (saturation)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_cli
from fragscope import Simulation, load_scenario
from fragscope.experiments.measure import run_capped, window_figures
from fragscope.core.results import summary, write_run_outputs
from fragscope.experiments.sweep.results import results_equal_ignoring_wall
from fragscope.experiments.sweep.spec import load_sweep

# 12 GPUs (one 8-GPU G2 node, two 2-GPU T4 nodes), fractional jobs, 1 h jobs: a point
# runs in a fraction of a second.  lam 2000 finishes; lam 200 overloads the cluster
# and cannot finish its window by the 60 000 s cap -> capped (the cap comes before the
# backlog monitor's two-day horizon, so nothing says saturated).
BASE = """\
seed: 0
round_seconds: 1200
cluster:
  servers:
    - {model: G2, count: 1, gpus: 8, cpu_milli: 96000, memory_mib: 393216}
    - {model: T4, count: 2, gpus: 2, cpu_milli: 104000, memory_mib: 524288}
workload:
  generate: {lam: 1500, window: [5, 15], mix: alibaba-fork, fixed_duration: 3600}
policy: max_min_fairness_perf
placement: fgd
max_sim_time_s: 60000
"""

SWEEP = """\
name: tiny
base: base.yaml
grid:
  sharing: [false, true]
  placement: [bestfit, fgd]
  workload.generate.lam: [2000, 200]
seeds: 0-1
"""
N_POINTS = 16

# Under pytest-xdist (`--dist loadgroup`) every test of this module runs on one worker, so the
# module-scoped local_sweep fixture (a sweep run) is built once, not once per worker.
pytestmark = pytest.mark.xdist_group("sweep")


def _write(folder: Path, sweep: str = SWEEP, base: str = BASE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(base)
    (folder / "sweep.yaml").write_text(sweep)
    return folder / "sweep.yaml"


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """The tiny sweep run once on the local backend (2 worker processes)."""
    folder = tmp_path_factory.mktemp("sweep")
    sweep = _write(folder)
    out = folder / "out"
    assert run_cli(["sweep", str(sweep), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    return sweep, out


def _table(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "results.parquet")


def test_local_sweep_writes_one_folder_and_row_per_point(local_sweep):
    sweep, out = local_sweep
    df = _table(out)
    assert len(df) == N_POINTS
    assert list(df["index"]) == list(range(N_POINTS))            # grid order, whatever finished first
    assert {"sharing", "placement", "workload.generate.lam", "seed", "avg_jct_s", "utilization",
            "window_frag_rate_pct", "status", "error", "wall_s"} <= set(df.columns)
    assert df["sharing"].dtype == "boolean" and df["workload.generate.lam"].dtype == "Int64"
    assert set(df["status"]) == {"ok", "capped"}
    ok, sat = df[df["status"] == "ok"], df[df["status"] == "capped"]
    assert sat["capped"].all() and not sat["saturated"].any()
    assert (ok["workload.generate.lam"] == 2000).all() and (sat["workload.generate.lam"] == 200).all()
    # Capped runs have no average JCT (never a truncated one) and stopped at the cap.
    assert ok["avg_jct_s"].notna().all() and sat["avg_jct_s"].isna().all()
    assert (sat["makespan_s"] >= 60000).all() and (~sat["done"]).all()
    for _, row in df.iterrows():
        folder = out / "points" / row["point"]
        assert {"summary.json", "jobs.csv", "rounds.csv", "point.json"} <= {p.name for p in folder.iterdir()}
        assert row["point"].split("-", 1)[1].endswith(f"seed={row['seed']}")


def test_a_point_is_exactly_fragscope_run(local_sweep, tmp_path):
    sweep, out = local_sweep
    spec = load_sweep(sweep)
    point = spec.points[5]
    assert run_cli(["run", str(sweep.parent / "base.yaml"), "--out", str(tmp_path), "--quiet",
                    *sum((["--set", o] for o in point.overrides), [])]) == 0
    for name in ("summary.json", "jobs.csv", "rounds.csv"):
        assert (out / "points" / point.folder / name).read_bytes() == (tmp_path / name).read_bytes()


def test_rerun_skips_finished_points_and_is_byte_identical(local_sweep, capsys):
    sweep, out = local_sweep
    before = (out / "results.parquet").read_bytes()
    assert run_cli(["sweep", str(sweep), "--out", str(out), "--workers", "2"]) == 0
    assert f"{N_POINTS} (0 run now, {N_POINTS} already done)" in capsys.readouterr().out
    assert (out / "results.parquet").read_bytes() == before


@pytest.mark.skipif(not __import__("fragscope.experiments.sweep.backends", fromlist=["x"]).ray_available(),
                    reason="Ray is not installed (pip install 'fragscope[ray]')")
def test_ray_backend_gives_identical_results(local_sweep, tmp_path):
    sweep, out = local_sweep
    ray_out = tmp_path / "ray"
    assert run_cli(["sweep", str(sweep), "--out", str(ray_out), "--backend", "ray",
                    "--workers", "2", "--quiet"]) == 0
    a, b = _table(out), _table(ray_out)
    assert results_equal_ignoring_wall(a, b)
    assert not a["wall_s"].isna().any() and not b["wall_s"].isna().any()
    for point in a["point"]:
        for name in ("summary.json", "jobs.csv", "rounds.csv"):
            assert (out / "points" / point / name).read_bytes() == \
                (ray_out / "points" / point / name).read_bytes()


def test_killed_sweep_resumes_to_the_same_results(local_sweep, tmp_path):
    sweep, out = local_sweep
    resumed = tmp_path / "resumed"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "fragscope.tui", "sweep", str(sweep), "--out", str(resumed),
                             "--workers", "1", "--quiet"], cwd=REPO, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list(resumed.glob("points/*/point.json")))
        if done >= 4:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"sweep ended before it could be killed: {proc.stderr.read()!r}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(resumed.glob("points/*/point.json")))
    assert 4 <= done < N_POINTS
    # What the killed sweep left is readable: results.parquet holds the finished points.
    partial = _table(resumed)
    assert done - 1 <= len(partial) <= done   # at most the point being recorded is missing
    assert run_cli(["sweep", str(sweep), "--out", str(resumed), "--workers", "2", "--quiet"]) == 0
    assert results_equal_ignoring_wall(_table(out), _table(resumed))
    assert not list(resumed.rglob("*.tmp"))


def test_a_bad_override_fails_its_point_only(tmp_path, capsys):
    sweep = _write(tmp_path, SWEEP.replace("[bestfit, fgd]", "[fgd, fastest]")
                   .replace("[2000, 200]", "[2000]").replace("0-1", "[0]"))
    out = tmp_path / "out"
    assert run_cli(["sweep", str(sweep), "--out", str(out), "--workers", "1"]) == 1
    printed = capsys.readouterr().out
    assert "failed" in printed and "unknown placement 'fastest'" in printed
    df = _table(out)
    assert len(df) == 4
    bad = df[df["placement"] == "fastest"]
    assert (bad["status"] == "error").all()
    assert bad["error"].str.contains("key 'placement'").all()
    good = df[df["placement"] == "fgd"]
    assert (good["status"] == "ok").all() and good["avg_jct_s"].notna().all()
    assert good["error"].isna().all()


@pytest.mark.parametrize("text, expected", [
    ("grid: {sharing: [true]}\n", ["sweep.yaml", "key 'base'", "missing"]),
    ("base: nope.yaml\n", ["key 'base'", "not found"]),
    ("base: base.yaml\ngird: {sharing: [true]}\n", ["unknown key 'gird'", "did you mean 'grid'"]),
    ("base: base.yaml\ngrid: {sharing: true}\n", ["key 'grid.sharing'", "non-empty list"]),
    ("base: base.yaml\ngrid: {seed: [1, 2]}\n", ["grid.seed", "seeds"]),
    ("base: base.yaml\nseeds: [1, one]\n", ["key 'seeds'"]),
    ("base: base.yaml\ngrid: {placement: [fgd, fgd]}\n", ["grid.placement", "twice"]),
    ("base: [unclosed\n", ["sweep.yaml:", "invalid YAML"]),
])
def test_bad_sweep_file_is_one_clear_line(tmp_path, capsys, text, expected):
    sweep = _write(tmp_path, sweep=text)
    code = run_cli(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("fragscope: error: ") and err.count("\n") == 1, err
    for part in expected:
        assert part in err, err
    assert not (tmp_path / "out").exists()


def test_ray_missing_is_one_clear_line(tmp_path, capsys, monkeypatch):
    import fragscope
    monkeypatch.setattr(fragscope, "ray_available", lambda: False)   # the public name the command reads
    sweep = _write(tmp_path)
    assert run_cli(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--backend", "ray"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'fragscope[ray]'" in err


def test_relative_path_overrides_resolve_against_the_sweep_file(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "jobs.trace").write_text(
        "ResNet-18 (batch size 16)\tcmd\tdir\t-n\t1\t1000\t1\t1\t-1.000000\t0\n")
    _write(tmp_path, base="cluster: {gavel: '1:1:1'}\nworkload: {trace: nothing.trace}\n")
    (tmp_path / "sub" / "s.yaml").write_text("base: ../base.yaml\ngrid: {workload.trace: [jobs.trace]}\n")
    monkeypatch.chdir(REPO)
    spec = load_sweep(tmp_path / "sub" / "s.yaml")
    (value,) = spec.grid[0][1]
    assert Path(value) == (tmp_path / "sub" / "jobs.trace").resolve()


# --------------------------------------------------------------------------- the cap
def _tiny(overrides: list[str]):
    return Simulation(load_scenario(
        {"seed": 0, "round_seconds": 1200,
         "cluster": {"servers": [{"model": "G2", "count": 1, "gpus": 8, "cpu_milli": 96000,
                                  "memory_mib": 393216},
                                 {"model": "T4", "count": 2, "gpus": 2, "cpu_milli": 104000,
                                  "memory_mib": 524288}]},
         "workload": {"generate": {"lam": 200, "window": [5, 15], "mix": "alibaba-fork",
                                   "fixed_duration": 3600}},
         "placement": "fgd"}, overrides), explain=False)


def test_capped_run_is_capped_not_saturated_and_has_no_average_jct():
    sim = _tiny(["max_sim_time_s=60000"])
    assert run_capped(sim) is True
    s = summary(sim)
    assert s["capped"] is True and s["max_sim_time_s"] == 60000.0 and s["avg_jct_s"] is None
    assert s["saturated"] is False          # the backlog monitor never said so (see below)
    assert 0 < s["jobs_measured"] < 10                 # some finished: a truncated mean was possible
    assert s["scenario"]["max_sim_time_s"] == 60000.0
    uncapped = _tiny(["workload.generate.lam=2000"])   # (lam 200 uncapped would run for ages)
    run_capped(uncapped, None)
    s2 = summary(uncapped)
    assert "saturated" not in s2 and "capped" not in s2 and "max_sim_time_s" not in s2["scenario"]
    assert s2["avg_jct_s"] is not None and s2["done"]


def test_fragscope_run_reports_a_capped_run(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(BASE.replace("lam: 1500", "lam: 200"))
    assert run_cli(["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o")]) == 0
    assert "CAPPED" in capsys.readouterr().out
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["capped"] is True and s["saturated"] is False


def test_a_run_whose_backlog_grows_is_saturated_at_its_cap(tmp_path, capsys):
    """Capped *and* saturated: the cap is long enough for the backlog monitor to see the
    queue grow (lam 200 on 12 GPUs), so the run is saturated, with the reason."""
    sim = _tiny(["max_sim_time_s=600000"])
    run_capped(sim)
    s = summary(sim)
    assert s["capped"] is True and s["saturated"] is True and "queue grows" in s["saturation_reason"]


@pytest.mark.parametrize("value", ["0", "-5", "abc"])
def test_bad_cap_is_rejected(value):
    from fragscope import InputError
    with pytest.raises(InputError, match="max_sim_time_s"):
        _tiny([f"max_sim_time_s={value}"])


def test_window_figures_are_time_weighted_over_the_window(tmp_path):
    sim = _tiny(["workload.generate.lam=2000"])
    run_capped(sim)
    fig = window_figures(sim)
    write_run_outputs(sim, tmp_path)
    rounds = pd.read_csv(tmp_path / "rounds.csv")
    start = sim.state.window_start_time
    t = np.append(rounds["time_s"].to_numpy(), sim.now)
    w = np.clip(t[1:] - np.maximum(t[:-1], start), 0, None)
    expect = float((rounds["frag_rate_pct"] * w).sum() / w.sum())
    assert fig["window_frag_rate_pct"] == pytest.approx(expect, rel=1e-12)
    # Warm-up is left out: the all-rounds mean differs.
    assert fig["window_utilization"] != pytest.approx(float(rounds["utilization"].mean()))
    assert fig["saturated"] is False and fig["window_jct_median_s"] is not None
