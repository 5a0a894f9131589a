"""A non-optimal LP status is never silent: retried with a fallback solver (outside Gavel's
own mode), counted in summary.json, noted in the round report; no warning printed."""

from __future__ import annotations

import warnings

import pytest

import fragscope.policies.max_min_fairness as mmf
from fragscope import Simulation, summary
from fragscope.policies.solve import installed_solvers


def _inaccurate_ecos(monkeypatch):
    real = mmf.solve_max_min

    def fake(*args):
        value, _ = real(*args)
        return value, "optimal_inaccurate"
    monkeypatch.setattr(mmf, "solve_max_min", fake)


@pytest.mark.skipif("CLARABEL" not in installed_solvers(), reason="Clarabel ships with cvxpy >= 1.5")
def test_a_forced_non_optimal_status_takes_the_fallback_and_is_counted(monkeypatch):
    _inaccurate_ecos(monkeypatch)
    sim = Simulation.from_scenario("teach/tiny-packing")      # sharing on: round mode
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")                         # no raw warnings
        for _ in range(12):
            notes.append(sim.step().lp_note)
    s = summary(sim)
    assert s["lp_solves"] >= 2 and s["lp_non_optimal"] == 0    # every fallback answered optimal
    assert s["lp_solvers"] == {"CLARABEL": s["lp_solves"]}
    assert "ECOS optimal_inaccurate -> CLARABEL optimal" in notes


def test_gavels_own_mode_keeps_ecos_and_counts_the_status(monkeypatch):
    _inaccurate_ecos(monkeypatch)
    sim = Simulation.from_scenario("gavel/t1-mmf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim.run_to_end()
    s = summary(sim)
    assert s["lp_solvers"] == {"ECOS": s["lp_solves"]} and s["lp_non_optimal"] == s["lp_solves"] > 0


def test_plain_optimal_solves_leave_no_note():
    sim = Simulation.from_scenario("teach/tiny-packing")
    reports = [sim.step() for _ in range(8)]
    assert any(r.allocation_recomputed for r in reports) and not any(r.lp_note for r in reports)
    assert summary(sim)["lp_non_optimal"] == 0
