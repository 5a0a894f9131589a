"""Sweep files with named variants and blocks: what points they expand to, that sweep
files without them expand exactly as before, and one clear line for every mistake."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, run_cli
from fragscope.experiments.sweep.spec import load_sweep

# Two tiny bases (a point runs in well under a second): the same jobs on a uniform
# 16-GPU cluster and on a mixed one.
BASE = """\
seed: 0
round_seconds: 1200
cluster:
  servers:
{servers}
workload:
  generate: {{lam: 1500, window: [5, 15], mix: alibaba-fork, fixed_duration: 3600}}
policy: max_min_fairness_perf
placement: fgd
max_sim_time_s: 60000
"""
UNIFORM = "    - {model: G2, count: 2, gpus: 8}"
MIXED = ("    - {model: G2, count: 1, gpus: 8}\n"
         "    - {model: T4, count: 4, gpus: 2}")

ARMS_SWEEP = """\
name: arms
arms: arm
grid:
  - cluster: {uniform: {base: uniform.yaml}}
    arm: &arms
      A-off: {sharing: false}
      B-scale-factor: {sharing: true, lp_capacity: scale_factor}
      C-demand: {sharing: true, lp_capacity: demand}
    workload.generate.lam: [2000, 600]
  - cluster: {mixed: {base: mixed.yaml}}
    arm: *arms
    workload.generate.lam: [2000]
seeds: 0-1
"""


def _write(folder: Path, sweep: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uniform.yaml").write_text(BASE.format(servers=UNIFORM))
    (folder / "mixed.yaml").write_text(BASE.format(servers=MIXED))
    (folder / "base.yaml").write_text(BASE.format(servers=UNIFORM))
    (folder / "sweep.yaml").write_text(sweep)
    return folder / "sweep.yaml"


def test_variants_and_blocks_expand_to_their_union(tmp_path):
    spec = load_sweep(_write(tmp_path, ARMS_SWEEP))
    # 3 arms x 2 loads x 2 seeds on the uniform cluster + 3 arms x 1 load x 2 seeds on the mixed
    assert len(spec.points) == 12 + 6
    assert dict(spec.grid) == {"cluster": ("uniform", "mixed"),
                               "arm": ("A-off", "B-scale-factor", "C-demand"),
                               "workload.generate.lam": (2000, 600)}
    first = spec.points[0]
    assert first.values == {"cluster": "uniform", "arm": "A-off", "workload.generate.lam": 2000,
                            "seed": 0}
    assert first.overrides == ("sharing=false", "workload.generate.lam=2000", "seed=0")
    assert first.folder.endswith("-cluster=uniform,arm=A-off,lam=2000,seed=0")
    b = next(p for p in spec.points if p.values["arm"] == "B-scale-factor")
    assert b.overrides[:2] == ("sharing=true", "lp_capacity=scale_factor")
    assert {spec.point_base(p).name for p in spec.points[:12]} == {"uniform.yaml"}
    assert {spec.point_base(p).name for p in spec.points[12:]} == {"mixed.yaml"}
    assert {p.values["workload.generate.lam"] for p in spec.points[12:]} == {2000}
    assert spec.arms == "arm"
    meta = spec.describe()
    assert meta["variants"]["arm"]["C-demand"] == {"sharing": True, "lp_capacity": "demand"}
    assert meta["variants"]["cluster"]["mixed"] == {"base": "mixed.yaml"}
    assert [b["workload.generate.lam"] for b in meta["blocks"]] == [[2000, 600], [2000]]
    # The folder hash covers the base: the same overrides on the other base differ.
    u = next(p for p in spec.points[:12] if p.values["arm"] == "A-off"
             and p.values["workload.generate.lam"] == 2000 and p.values["seed"] == 0)
    m = spec.points[12]
    assert u.overrides == m.overrides and u.folder[:8] != m.folder[:8]
    digest = hashlib.sha256(json.dumps({"base": hashlib.sha256((tmp_path / "mixed.yaml").read_bytes())
                                        .hexdigest(), "overrides": m.overrides}).encode()).hexdigest()
    assert m.folder.startswith(digest[:8])


def test_the_last_variant_axis_is_the_arms_axis_by_default(tmp_path):
    spec = load_sweep(_write(tmp_path, ARMS_SWEEP.replace("arms: arm\n", "")))
    assert spec.arms == "arm"
    plain = load_sweep(_write(tmp_path / "p", "base: base.yaml\ngrid: {sharing: [false, true]}\n"))
    assert plain.arms is None and "arms" not in plain.describe() and "variants" not in plain.describe()


def test_a_shipped_scenario_name_is_a_base(tmp_path):
    sweep = _write(tmp_path, "base: study/fork-6200\ngrid: {c: {real: {base: study/fork-1213}}}\n")
    spec = load_sweep(sweep)
    assert spec.base == (REPO / "scenarios" / "study" / "fork-6200.yaml").resolve()
    assert spec.point_base(spec.points[0]) == (REPO / "scenarios" / "study" / "fork-1213.yaml").resolve()


def test_sweeps_without_variants_keep_their_point_folders():
    """The shipped sweep's points are named as in docs/sharing-ab, made before variants
    and blocks existed (same overrides, same hashes, same order)."""
    spec = load_sweep(REPO / "scenarios" / "sweeps" / "sharing-ab.yaml")
    docs = pd.read_csv(REPO / "docs" / "sharing-ab" / "results.csv")
    assert [p.folder for p in spec.points] == list(docs["point"])
    assert all(spec.point_base(p) == spec.base for p in spec.points)
    assert set(spec.describe()) == {"format", "name", "description", "base", "grid", "seeds",
                                    "set", "points"}


def test_a_sweep_with_arms_and_blocks_runs_each_point_on_its_base(tmp_path):
    sweep = _write(tmp_path, ARMS_SWEEP.replace("seeds: 0-1", "seeds: [0]"))
    out = tmp_path / "out"
    assert run_cli(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    df = pd.read_parquet(out / "results.parquet")
    assert list(df.columns[:6]) == ["point", "index", "cluster", "arm", "workload.generate.lam", "seed"]
    assert len(df) == 9 and (df["status"] != "error").all()
    assert list(df["arm"][:3]) == ["A-off", "A-off", "B-scale-factor"]
    for _, row in df.iterrows():
        summary = json.loads((out / "points" / row["point"] / "summary.json").read_text())
        assert len(summary["scenario"]["cluster"]["servers"]) == (1 if row["cluster"] == "uniform" else 2)
        assert summary["scenario"]["sharing"] == (row["arm"] != "A-off")
        if row["arm"] != "A-off":
            assert summary["scenario"]["lp_capacity"] == row["arm"].split("-", 1)[1].replace("-", "_")


@pytest.mark.parametrize("text, expected", [
    ("base: base.yaml\ngrid: {arm: {off: {sharing: false}}}\n",
     ["key 'grid.arm'", "label False is not a string", "quote"]),
    ("base: base.yaml\ngrid: {arm: {a: 3}}\n", ["key 'grid.arm.a'", "expected a mapping"]),
    ("base: base.yaml\ngrid: {arm: {}}\n", ["key 'grid.arm'", "at least one named variant"]),
    ("base: base.yaml\ngrid: {arm: {a: {seed: 1}}}\n", ["key 'grid.arm.a.seed'", "seeds"]),
    ("base: base.yaml\ngrid: {arm: {a: {'bad..key': 1}}}\n", ["key 'grid.arm.a'", "dotted scenario key"]),
    ("base: base.yaml\ngrid: {status: {a: {sharing: true}}}\n", ["key 'grid.status'", "reserved"]),
    ("base: base.yaml\ngrid: {sharing: [true], arm: {a: {sharing: false}}}\n",
     ["key 'grid.arm'", "sets 'sharing', which axis 'sharing' also sets"]),
    ("base: base.yaml\ngrid: {arm: {a: {sharing: false}}}\nset: {sharing: true}\n",
     ["key 'set.sharing'", "also in grid"]),
    ("base: base.yaml\ngrid: {c: {x: {base: nope.yaml}}}\n", ["key 'grid.c.x.base'", "not found"]),
    ("base: base.yaml\ngrid: {c: {x: {base: base.yaml}}, d: {y: {base: base.yaml}}}\n",
     ["key 'grid'", "both set 'base'"]),
    ("grid: {arm: {a: {sharing: true}}}\n", ["key 'base'", "missing"]),
    ("grid: {c: {x: {base: base.yaml}, y: {sharing: true}}}\n", ["key 'base'", "missing", "grid.c.y"]),
    ("base: base.yaml\ngrid: []\n", ["key 'grid'", "non-empty list"]),
    ("base: base.yaml\ngrid: [{sharing: [true]}, 3]\n", ["key 'grid[1]'", "mapping of axes"]),
    ("base: base.yaml\ngrid: [{sharing: [true]}, {placement: [fgd]}]\n",
     ["key 'grid[1]'", "same axes", "lacks 'sharing'"]),
    ("base: base.yaml\ngrid: [{sharing: [true]}, {sharing: [true]}]\n", ["key 'grid[1]'", "repeats a point"]),
    ("base: base.yaml\ngrid: [{arm: {a: {sharing: true}}}, {arm: {a: {sharing: false}}}]\n",
     ["key 'grid[1].arm.a'", "other overrides in an earlier block"]),
    ("base: base.yaml\ngrid: [{arm: {a: {sharing: true}}}, {arm: [x]}]\n",
     ["key 'grid[1].arm'", "variant axis in one block"]),
    ("base: base.yaml\narms: nope\ngrid: {sharing: [false, true]}\n", ["key 'arms'", "sharing"]),
    ("base: base.yaml\narms: sharing\ngrid: {sharing: [true]}\n", ["key 'arms'", "at least two"]),
])
def test_bad_variants_and_blocks_are_one_clear_line(tmp_path, capsys, text, expected):
    sweep = _write(tmp_path, text)
    code = run_cli(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("fragscope: error: ") and err.count("\n") == 1, err
    assert str(sweep) in err, err
    for part in expected:
        assert part in err, err
    assert not (tmp_path / "out").exists()
