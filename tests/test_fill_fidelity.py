"""Fill-up experiment: fidelity against the FGD reference curves, and determinism.

The fidelity checks are shared with ``bench/check_fill_fidelity.py`` (loaded from that
file, so the test and the script cannot drift apart).  They take a few minutes, hence
``slow``.  The determinism test uses a tiny generated trace and is fast.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import tiny_trace
from fragscope.model.errors import InputError
from fragscope import PAPER_PLACEMENTS
from fragscope.experiments.fill import run_fill

REPO = Path(__file__).resolve().parents[1]

# Under pytest-xdist (`--dist loadgroup`) every test of this module runs on one worker, so the
# module-scoped fidelity fixture (minutes of fill runs) is built once, not once per worker.
pytestmark = pytest.mark.xdist_group("fill_fidelity")


def _checker():
    spec = importlib.util.spec_from_file_location("check_fill_fidelity", REPO / "bench" / "check_fill_fidelity.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def fidelity():
    mod = _checker()
    rows, orders, _ = mod.run_checks(range(42, 52), log=lambda *a: None)
    mod.report(rows, orders)          # printed with -s, handy when a check fails
    return rows, orders


@pytest.mark.slow
@pytest.mark.parametrize("placement", PAPER_PLACEMENTS)
def test_default_trace_unallocated_at_100_within_half_a_point(fidelity, placement):
    rows, _ = fidelity
    (row,) = [r for r in rows if r.trace == "default" and r.placement == placement]
    assert abs(row.diff) <= 0.5, f"{placement}: ours {row.ours:.3f} vs reference {row.ref:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("x", [90, 95, 100, 110])
def test_default_trace_policy_order_matches_reference(fidelity, x):
    _, orders = fidelity
    (o,) = [o for o in orders if o.trace == "default" and o.x == x]
    assert o.ok, "; ".join(o.violations)


@pytest.mark.slow
@pytest.mark.parametrize("trace", ["cpu050", "gpushare40", "gpuspec10", "multigpu20"])
def test_other_traces_fgd_within_half_a_point_and_order(fidelity, trace):
    rows, orders = fidelity
    (fgd,) = [r for r in rows if r.trace == trace and r.placement == "fgd"]
    assert abs(fgd.diff) <= 0.5, f"FGD on {trace}: ours {fgd.ours:.3f} vs reference {fgd.ref:.3f}"
    (o,) = [o for o in orders if o.trace == trace]
    assert o.strict_match and o.ok, f"{trace}: ours {o.ours} vs reference {o.ref}"


# --------------------------------------------------------------------------- determinism

def test_outputs_are_byte_identical_across_worker_counts(tmp_path):
    n, p = tiny_trace(tmp_path)
    a = run_fill(n, p, ["fgd", "random", "packing"], [1, 2], tmp_path / "a", workers=1)
    b = run_fill(n, p, ["fgd", "random", "packing"], [1, 2], tmp_path / "b", workers=2)
    c = run_fill(n, p, ["fgd", "random", "packing"], [1, 2], tmp_path / "c", workers=1)
    for name in ("curves.csv", "median.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
    header = (tmp_path / "a" / "curves.csv").read_text().splitlines()[0]
    assert header == "placement,seed,arrived_pct,unalloc_gpu_pct,frag_rate_pct,frag_over_total_pct,occupied_nodes"
    assert len((tmp_path / "a" / "curves.csv").read_text().splitlines()) == 1 + 3 * 2 * 131
    assert not list((tmp_path / "a").glob(".*tmp"))             # no temp files left behind
    assert [r.placement for r in a.runs] == ["fgd", "fgd", "random", "random", "packing", "packing"]


def test_bad_arguments_are_input_errors(tmp_path):
    n, p = tiny_trace(tmp_path)
    with pytest.raises(InputError, match="unknown placement"):
        run_fill(n, p, ["worstfit"], [1], tmp_path / "o", workers=1)
    with pytest.raises(InputError, match="seeds"):
        run_fill(n, p, ["fgd"], [], tmp_path / "o", workers=1)
    with pytest.raises(InputError, match="FGD mode"):
        run_fill(n, p, ["fgd"], [1], tmp_path / "o", fgd_mode="fast", workers=1)
    with pytest.raises(InputError, match="not found"):
        run_fill(tmp_path / "nope.csv", p, ["fgd"], [1], tmp_path / "o", workers=1)
