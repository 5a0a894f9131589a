"""The shipped sweep's report is reproducible: two of its points, run now, give the
numbers in docs/sharing-ab/results.csv (written by `fragscope report` from the run
the docs were made from).  When a deliberate engine change moves round-mode results,
re-run the two commands in docs/sharing-ab/README.md and commit the new report."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import REPO
from fragscope.experiments.sweep.point import run_point
from fragscope.experiments.sweep.results import SUMMARY_COLUMNS, WINDOW_COLUMNS
from fragscope.experiments.sweep.spec import load_sweep

# Two of the cheapest points (about a second each): one round-mode run with sharing
# on, one with sharing off and FGD.
POINTS = ("sharing=true,placement=gavel,lam=2400,seed=2", "sharing=false,placement=fgd,lam=2400,seed=2")


@pytest.mark.parametrize("slug", POINTS)
def test_shipped_sweep_points_match_the_docs(slug):
    spec = load_sweep(REPO / "scenarios" / "sweeps" / "sharing-ab.yaml")
    point = next(p for p in spec.points if p.folder.endswith("-" + slug))
    docs = pd.read_csv(REPO / "docs" / "sharing-ab" / "results.csv")
    expected = docs[docs["point"] == point.folder]
    assert len(expected) == 1, "the docs were made from another version of the sweep file"
    row = run_point(str(spec.base), point.overrides).row
    for col in list(SUMMARY_COLUMNS) + list(WINDOW_COLUMNS) + ["status"]:
        want, got = expected[col].iloc[0], row.get(col)
        if isinstance(want, float) and math.isnan(want):
            assert got is None or (isinstance(got, float) and math.isnan(got)), col
        elif isinstance(got, float):
            assert got == pytest.approx(float(want), rel=1e-12, abs=1e-12), col
        else:
            assert str(got) == str(want), col
