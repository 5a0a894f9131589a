"""Gavel's own simulator outputs, reproduced through ``fragscope run``.

Each shipped scenario in scenarios/gavel/ mirrors one Gavel command line; every
job's JCT must be within 1 ms of Gavel's printed value, and the run figures must
print the same at Gavel's precision.
"""

from __future__ import annotations

import csv
import json

import pytest

from conftest import SCENARIOS, reference_path, run_cli

CASES = ["T1_mmf", "T1_mmfp", "T2_mmf", "T2_mmfp", "G1_mmf", "G1_mmfp"]


@pytest.mark.parametrize("case", CASES)
def test_reproduces_gavel_reference_run(case, tmp_path):
    ref = json.loads(reference_path("gavel", f"{case}.json").read_text())
    with reference_path("gavel", f"{case}.jct.csv").open() as f:
        ref_jct = {int(r["job_id"]): float(r["jct_s"]) for r in csv.DictReader(f)}
    scenario = SCENARIOS / "gavel" / f"{case.lower().replace('_', '-')}.yaml"
    assert run_cli(["run", str(scenario), "--out", str(tmp_path), "--quiet"]) == 0

    with (tmp_path / "jobs.csv").open() as f:
        ours = {int(r["job_id"]): float(r["jct_s"]) for r in csv.DictReader(f)}
    assert set(ours) >= set(ref_jct)
    worst = max(abs(ours[j] - v) for j, v in ref_jct.items())
    assert worst <= 0.001, f"largest per-job JCT difference {worst:.6f} s"

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert round(summary["avg_jct_s"], 3) == ref["avg_jct_s"]
    assert round(summary["utilization"], 3) == ref["utilization"]
    assert round(summary["makespan_s"], 3) == ref["makespan_s"]
    assert summary["num_rounds"] == ref["num_rounds"]
    assert summary["num_alloc_resets"] == ref["num_alloc_resets"]


def test_gavel_scenarios_mirror_their_command_lines():
    """The mirror scenarios name the Gavel command they reproduce."""
    for case in CASES:
        ref = json.loads(reference_path("gavel", f"{case}.json").read_text())
        text = (SCENARIOS / "gavel" / f"{case.lower().replace('_', '-')}.yaml").read_text()
        assert f"-p {ref['params']['-p']} " in text and f"-c {ref['params']['-c']}" in text
