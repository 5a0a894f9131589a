"""The engine's bulk views agree with the per-job ones they stand in for."""

from __future__ import annotations

from pathlib import Path

import pytest

from fragscope import Simulation

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("scenario", ["teach/frag-demo.yaml", "teach/gavel-36.yaml", "default.yaml"])
def test_job_shares_and_active_ids_match_the_job_views(scenario):
    sim = Simulation.from_scenario(SCENARIOS / scenario)
    for _ in range(12):
        if sim.done:
            break
        sim.step()
        views = sim.jobs()
        assert sim.active_job_ids() == [jv.job_id for jv in views]
        shares = sim.job_shares()
        assert list(shares) == [jv.job_id for jv in views]
        for jv in views:
            priority, allocation = shares[jv.job_id]
            assert priority == jv.priority and allocation == jv.allocation
            assert all(type(x) is float for x in (*priority.values(), *allocation.values()))
