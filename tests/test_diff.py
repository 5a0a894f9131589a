"""First divergence (engine/debug/diff.py, ``fragscope diff``): the round and job agree with
an independent reading of both runs' rounds.csv and decisions.parquet; exit codes as diff(1)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fragscope import diverge

from conftest import run_cli


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("diff")
    a, b = base / "a", base / "b"
    assert run_cli(["run", "teach/frag-demo", "--out", str(a), "--decisions", "--quiet"]) == 0
    assert run_cli(["run", "teach/frag-demo", "--set", "placement=bestfit", "--out", str(b), "--decisions",
                    "--quiet"]) == 0
    return a, b


def test_the_divergence_round_and_job_are_the_first_differing_decision(two_runs, capsys):
    a, b = two_runs
    ra, rb = (pd.read_csv(x / "rounds.csv", dtype=str, keep_default_na=False) for x in (a, b))
    differs = [i for i, (x, y) in enumerate(zip(ra.fingerprint, rb.fingerprint)) if x != y]
    r = differs[0]
    assert run_cli(["diff", str(a), str(b), "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["identical"] is False and got["round"] == r
    la, lb = (pd.read_parquet(x / "decisions.parquet") for x in (a, b))
    da = [(d.job_id, d.action, d.gpus) for d in la[la["round"] == r].itertuples()]
    db = {d.job_id: (d.action, d.gpus) for d in lb[lb["round"] == r].itertuples()}
    first = next(j for j, act, g in da if db.get(j) != (act, g))
    assert got["job_id"] == first
    assert got["upstream"]["placement"]["job_id"] == first     # same job selected, another server
    # scenarios give the same answer as the run folders
    same = diverge("teach/frag-demo", "teach/frag-demo", [], ["placement=bestfit"])
    assert (same.round, same.job_id, same.a, same.b) == (got["round"], got["job_id"], got["a"], got["b"])
    assert run_cli(["diff", str(a), str(b)]) == 1
    text = capsys.readouterr().out
    assert text.startswith(f"round {r}, job {first}: ") and "→" in text


def test_identical_runs_exit_0(two_runs, capsys):
    a, _ = two_runs
    assert run_cli(["diff", str(a), "teach/frag-demo", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["identical"] is True and got["round"] is None and got["rounds_compared"] > 100


def test_lp_ingredient_sees_the_lp_first():
    only = diverge("teach/tiny-packing", "teach/tiny-packing", [], ["sharing=false"])
    with_lp = diverge("teach/tiny-packing", "teach/tiny-packing", [], ["sharing=false"],
                      ingredients=("decisions", "lp"))
    assert not only.identical and with_lp.round <= only.round
    assert "lp" in only.upstream                 # the shares differ at the divergence round


def test_different_worlds_and_bad_ingredients_are_bad_input(capsys):
    assert run_cli(["diff", "teach/tiny-packing", "teach/tiny-packing", "--set-b", "seed=9"]) == 2
    err = capsys.readouterr().err
    assert "seed (1 vs 9)" in err and "different worlds" in err
    assert run_cli(["diff", "teach/tiny-packing", "teach/tiny-packing", "--ingredients", "lp"]) == 2
    assert "--ingredients" in capsys.readouterr().err
