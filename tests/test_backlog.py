"""Overload is detected, not waited out (engine/core/backlog.py): a small overloaded
scenario ends on its own, saturated with the reason; a lightly loaded one is unaffected."""

from __future__ import annotations

import json

import pytest

import fragscope.core.backlog as backlog
from conftest import run_cli
from fragscope import Simulation
from fragscope.core.backlog import BacklogMonitor, default_bound
from fragscope.core.results import measured_job_ids
from fragscope.experiments.measure import run_bounded

OVERLOADED = "teach/overloaded"   # 40 GPUs at 12 jobs/h: the queue grows without end


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def test_an_overloaded_run_ends_saturated_with_the_reason(tmp_path, capsys):
    assert run_cli(["run", OVERLOADED, "--out", str(tmp_path / "o")]) == 0
    s = _summary(tmp_path / "o")
    assert s["saturated"] is True and s["avg_jct_s"] is None
    assert s["saturation_reason"].startswith("overloaded: the queue grows by")
    assert s["queue_growth_per_h"] > 1
    assert s["makespan_s"] < default_bound(Simulation.from_scenario(OVERLOADED)) / 10
    assert "SATURATED    overloaded" in capsys.readouterr().out


def test_an_explicit_cap_still_runs_to_the_cap_and_reports_the_overload(tmp_path):
    sim = Simulation.from_scenario(OVERLOADED, ["max_sim_time_s=400000"])
    statuses = [st for _, st in run_bounded(sim)]
    assert sim.now >= 400000 and any(st.overloaded for st in statuses)
    assert "overloaded: queue +" in next(st.label for st in statuses if st.overloaded)


def test_end_when_overloaded_ends_a_capped_run_before_its_cap(tmp_path):
    out = tmp_path / "o"
    assert run_cli(["run", OVERLOADED, "--out", str(out), "--quiet", "--set", "max_sim_time_s=2000000",
                    "--set", "end_when_overloaded=true"]) == 0
    s = _summary(out)
    assert s["saturated"] is True and s["avg_jct_s"] is None
    assert s["saturation_reason"].startswith("overloaded: the queue grows by")
    assert "before the bound (2000000 s simulated)" in s["saturation_reason"]
    assert s["makespan_s"] < 1000000 and s["scenario"]["end_when_overloaded"] is True


def test_end_when_overloaded_must_be_a_boolean(tmp_path, capsys):
    assert run_cli(["run", OVERLOADED, "--out", str(tmp_path / "o"), "--set", "end_when_overloaded=soon"]) == 2
    assert "end_when_overloaded" in capsys.readouterr().err


@pytest.mark.parametrize("scenario", ["teach/tiny-packing", "gavel/t2-mmfp"])
def test_a_lightly_loaded_run_is_unaffected(tmp_path, scenario):
    sim = Simulation.from_scenario(scenario)
    monitor = BacklogMonitor(sim, measured_job_ids(sim))
    while not sim.done:
        sim.step()
        assert not monitor.observe(sim).overloaded
    assert run_cli(["run", scenario, "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert "saturated" not in _summary(tmp_path / "o")


def test_a_run_reaching_the_default_bound_is_capped_not_saturated(tmp_path, monkeypatch):
    monkeypatch.setattr(backlog, "MIN_BOUND_S", 20000.0)
    monkeypatch.setattr(backlog, "BOUND_FACTOR", 1)
    assert run_cli(["run", "teach/tiny-packing", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    s = _summary(tmp_path / "o")
    assert s["capped"] and "reached the default simulated-time bound of 48000 s" in s["capped_reason"]
    assert s["saturated"] is False and "saturation_reason" not in s and s["avg_jct_s"] is None
    assert s["makespan_s"] >= 48000 > s["makespan_s"] - 3600   # tiny-packing: 40 jobs × 1 200 s mean gap


def test_the_default_bound_is_far_beyond_runs_that_finish():
    for name, makespan in (("gavel/g1-mmf", 1002095.8), ("gavel/continuous-36", 780831.4), ("default", 63944.5)):
        assert default_bound(Simulation.from_scenario(name)) > 5 * makespan


def test_ab_rejects_a_negative_fork_round(tmp_path, capsys):
    assert run_cli(["ab", "teach/tiny-packing", "--fork-at", "-3", "--out", str(tmp_path / "o")]) == 2
    assert "--fork-at" in capsys.readouterr().err and not (tmp_path / "o").exists()
