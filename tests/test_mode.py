"""The mode (core/mode.py): one frozen value a fork replaces whole; the outputs record it."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import REPO
from fragscope import InputError, Simulation, load_scenario, summary

TINY = REPO / "scenarios" / "teach" / "tiny-packing.yaml"


def test_mode_is_frozen_and_the_config_keeps_the_scenarios_own():
    cfg = load_scenario(TINY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.mode.sharing = not cfg.mode.sharing
    sim = Simulation(cfg, explain=False)
    fork = sim.clone()
    fork.set_sharing(not sim.sharing)
    assert fork.mode is not sim.mode and fork.mode.sharing != sim.mode.sharing
    assert sim.mode is cfg.mode and fork.config.mode is cfg.mode   # nothing patched


def test_set_mode_replaces_several_fields_at_once_like_the_setters_one_by_one():
    cfg = load_scenario(TINY)
    base = Simulation(cfg, explain=False)
    for _ in base.run(max_steps=6):
        pass
    one_by_one, whole = base.clone(), base.clone()
    one_by_one.set_placement("fgd")
    one_by_one.set_lp_capacity("scale_factor")
    target = dataclasses.replace(whole.mode, placement=one_by_one.mode.placement,
                                 placement_params=one_by_one.mode.placement_params, lp_capacity="scale_factor")
    whole.set_mode(target)
    assert whole.mode == one_by_one.mode
    for _ in range(8):
        assert whole.step().placements == one_by_one.step().placements
    assert summary(whole)["mode_changes"] == [{"round": 6, "changed": ["placement", "lp_capacity"]}]
    assert summary(whole)["scenario"]["placement"] == "fgd"
    assert summary(whole)["scenario"]["lp_capacity"] == "scale_factor"


def test_a_bad_lp_capacity_in_a_mode_is_an_input_error_and_changes_nothing():
    sim = Simulation(load_scenario(TINY), explain=False)
    before = sim.mode
    with pytest.raises(InputError, match="lp_capacity"):
        sim.set_mode(dataclasses.replace(sim.mode, lp_capacity="whole"))
    assert sim.mode is before and sim.state.mode_changes == []


def test_run_honours_max_sim_time_s():
    cfg = load_scenario(TINY, ["max_sim_time_s=3000"])
    sim = Simulation(cfg, explain=False)
    reports = list(sim.run())
    assert reports and not sim.done
    # a step's report is the round starting at the new clock: it stops at the first one past the cap
    assert sim.now >= 3000 and all(r.time < 3000 for r in reports[:-1])
    uncapped = Simulation(load_scenario(TINY), explain=False)
    assert [r.time for r in uncapped.run(max_steps=len(reports))] == [r.time for r in reports]
