"""``lp_capacity``: the Gavel fork's first attempt (the LP still counts scale factors with
sharing on) against the fractional-aware LP (counts GPU demand)."""

from __future__ import annotations

import pytest

from conftest import run_cli
from fragscope import InputError, Simulation, load_scenario


def _files(out):
    return {n: (out / n).read_bytes() for n in ("jobs.csv", "rounds.csv")}


@pytest.mark.parametrize("scenario", ["teach/tiny-packing", "gavel/t1-mmf"])
def test_with_sharing_off_both_values_are_byte_identical(tmp_path, scenario):
    for value in ("demand", "scale_factor"):
        assert run_cli(["run", scenario, "--set", "sharing=false", "--set", f"lp_capacity={value}",
                        "--out", str(tmp_path / value), "--quiet"]) == 0
    assert _files(tmp_path / "demand") == _files(tmp_path / "scale_factor")


def test_with_sharing_on_scale_factor_capacity_changes_results(tmp_path):
    for value in ("demand", "scale_factor"):
        assert run_cli(["run", "teach/tiny-packing", "--set", f"lp_capacity={value}",
                        "--out", str(tmp_path / value), "--quiet"]) == 0
    assert _files(tmp_path / "demand") != _files(tmp_path / "scale_factor")


def test_the_lp_sees_scale_factors_or_demands():
    sim = Simulation.from_scenario("teach/tiny-packing")
    for _ in range(6):
        sim.step()
    demand = sim.lp_inputs()
    assert demand.gpu_demands is not None and any(v < 1 for v in demand.gpu_demands.values())
    fork = sim.clone()
    fork.set_lp_capacity("scale_factor")
    assert fork.lp_inputs().gpu_demands is None and fork.lp_capacity == "scale_factor"
    with pytest.raises(InputError, match="allowed: demand, scale_factor"):
        fork.set_lp_capacity("fractional")


def test_bad_value_is_input_error(tmp_path):
    with pytest.raises(InputError, match="lp_capacity"):
        load_scenario("teach/tiny-packing", ["lp_capacity=halfway"])
