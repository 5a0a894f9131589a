"""Same scenario and seed => byte-identical output files, across runs and processes."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, SCENARIOS, run_cli

FILES = ("summary.json", "jobs.csv", "rounds.csv")
SCENARIO = SCENARIOS / "gavel" / "t2-mmf.yaml"  # agnostic policy: exercises the type shuffler


def _read(folder):
    return {name: (folder / name).read_bytes() for name in FILES}


def test_same_scenario_twice_gives_identical_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli(["run", str(SCENARIO), "--out", str(a), "--quiet"]) == 0
    assert run_cli(["run", str(SCENARIO), "--out", str(b), "--quiet"]) == 0
    assert _read(a) == _read(b)


def test_identical_under_different_hash_seeds(tmp_path):
    outs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"h{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "fragscope.tui", "run", str(SCENARIOS / "gavel" / "g1-mmf.yaml"),
                        "--out", str(out), "--quiet", "--set", "workload.generate.window=[0, 40]"],
                       check=True, cwd=REPO, env=env)
        outs.append(_read(out))
    assert outs[0] == outs[1]
