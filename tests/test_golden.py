"""Sharing off: every issue-2 scenario's outputs are byte-identical to the golden
files created before any sharing code existed (tests/golden/generate.py).  summary.json's
key added since (``plugins``, issue 23) is its last; the rest is the golden's, byte for byte.

Columns added since (jobs.csv's last_gpu_type / last_server / last_gpus, rounds.csv's
fingerprint / lp_fingerprint, issue 21) are appended after the golden's: the golden's
header must be the start of today's, and every row's first fields the golden's, as
written (the text of each field, not a parsed number)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from fragscope import Simulation, write_run_outputs
from conftest import REPO

from golden.generate import SCENARIOS, golden_dir


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_outputs_match_golden_files(scenario, tmp_path):
    sim = Simulation.from_scenario(REPO / "scenarios" / scenario)
    sim.run_to_end()
    write_run_outputs(sim, tmp_path)
    name = "summary.json"
    # the key added since (issue 23: "plugins", the identity of the code that ran) comes
    # last; without it the summary is the golden's, byte for byte
    now = json.loads((tmp_path / name).read_text())
    plugins = now.pop("plugins")
    assert (json.dumps(now, indent=2) + "\n").encode() == (golden_dir(scenario) / name).read_bytes(), name
    assert list(plugins) == ["placement", "policy"] and plugins["placement"]["distribution"] == "fragscope"
    for name in ("jobs.csv", "rounds.csv"):
        golden = list(csv.reader(io.StringIO((golden_dir(scenario) / name).read_text())))
        now = list(csv.reader(io.StringIO((tmp_path / name).read_text())))
        width = len(golden[0])
        assert now[0][:width] == golden[0], f"{name}: the golden's columns must come first, unchanged"
        assert len(now) == len(golden), f"{name}: {len(now) - 1} rows, the golden has {len(golden) - 1}"
        for i, (row, want) in enumerate(zip(now, golden)):
            assert row[:width] == want, f"{name} line {i + 1}: {row[:width]} != golden {want}"
