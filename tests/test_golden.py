"""Sharing off: every issue-2 scenario's outputs are byte-identical to the golden
files created before any sharing code existed (tests/golden/generate.py)."""

from __future__ import annotations

import pytest

from fragscope import Simulation, write_run_outputs
from conftest import REPO

from golden.generate import SCENARIOS, golden_dir


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_outputs_match_golden_files(scenario, tmp_path):
    sim = Simulation.from_scenario(REPO / "scenarios" / scenario)
    sim.run_to_end()
    write_run_outputs(sim, tmp_path)
    for name in ("summary.json", "jobs.csv", "rounds.csv"):
        assert (tmp_path / name).read_bytes() == (golden_dir(scenario) / name).read_bytes(), name
