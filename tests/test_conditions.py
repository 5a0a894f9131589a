"""The condition language (engine/debug/conditions.py) and ``fragscope run --until``: a
condition first true at round r in a full run's rounds.csv / decisions.parquet stops the
run at r, with the outputs up to r byte-identical to the full run's."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fragscope import ConditionError, parse_condition

from conftest import run_cli


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    assert run_cli(["run", "teach/frag-demo", "--out", str(out), "--decisions", "--quiet"]) == 0
    return out, pd.read_csv(out / "rounds.csv"), pd.read_parquet(out / "decisions.parquet")


def _until(tmp_path, cond: str) -> tuple[int, object]:
    out = tmp_path / "u"
    assert run_cli(["run", "teach/frag-demo", "--until", cond, "--out", str(out), "--quiet"]) == 0
    summ = json.loads((out / "summary.json").read_text())
    return summ["stopped_at"]["round"], out


@pytest.mark.parametrize("cond,first", [
    ("frag_rate_pct > 40", lambda r, d: r[r.frag_rate_pct > 40]["round"].iloc[0]),
    ("queued >= 10 and utilization < 0.5", lambda r, d: r[(r.queued >= 10) & (r.utilization < 0.5)]["round"].iloc[0]),
    ("not (running < 30) or time_s >= 30000",
     lambda r, d: r[(r.running >= 30) | (r.time_s >= 30000)]["round"].iloc[0]),
    ("job 40 placed", lambda r, d: d[(d.job_id == 40) & (d.action == "placed")]["round"].iloc[0]),
    ("job 12 finished", lambda r, d: d[(d.job_id == 12) & (d.action == "finished")]["round"].iloc[0]),
])
def test_run_until_stops_where_the_full_runs_records_first_say_so(full, tmp_path, cond, first):
    out_full, rounds, log = full
    want = int(first(rounds, log))
    got, out = _until(tmp_path, cond)
    assert got == want
    lines = (out / "rounds.csv").read_text().splitlines()
    assert lines == (out_full / "rounds.csv").read_text().splitlines()[: want + 2]   # header + rounds 0..r


def _holdings(log: pd.DataFrame, rounds: int) -> list[dict[int, tuple[int, ...]]]:
    """Where every job runs after each round, rebuilt from the decision log alone."""
    where: dict[int, tuple[int, ...]] = {}
    out = []
    by_round = {r: g for r, g in log.groupby("round")}
    for r in range(rounds):
        for d in by_round[r].itertuples() if r in by_round else ():
            if d.action in ("placed", "moved"):
                where[d.job_id] = tuple(int(x) for x in d.gpus.split(","))
            else:
                where.pop(d.job_id, None)
        out.append(dict(where))
    return out


def test_job_moved_gpu_changes_and_pending_agree_with_the_log(full, tmp_path):
    out_full, rounds, log = full
    moved = log[log.action == "moved"].iloc[0]
    got, _ = _until(tmp_path, f"job {moved.job_id} moved")
    assert got == int(log[(log.job_id == moved.job_id) & (log.action == "moved")]["round"].iloc[0])
    held = _holdings(log, len(rounds))
    g = int(log[log.action == "placed"].gpus.iloc[5].split(",")[0])
    on = [frozenset(j for j, gpus in h.items() if g in gpus) for h in held]
    want = next(r for r in range(1, len(on)) if on[r] != on[r - 1])
    got, _ = _until(tmp_path, f"gpu {g} changes")
    assert got == want
    jobs = pd.read_csv(out_full / "jobs.csv").set_index("job_id")
    # a job that waited at least 4 rounds in a row: 'pending > 3' holds in its 4th
    for j in jobs.index:
        arrival = int(rounds[rounds.time_s >= jobs.arrival_s[j]]["round"].iloc[0])
        streak, hit = 0, None
        for r in range(arrival, len(rounds)):
            streak = streak + 1 if j not in held[r] and r <= int(log[log.job_id == j]["round"].max()) else 0
            if streak > 3:
                hit = r
                break
        if hit is not None:
            break
    got, _ = _until(tmp_path, f"job {j} pending > 3")
    assert got == hit


@pytest.mark.parametrize("text,column,words", [
    ("queued >>= 3", 8, "expected a number after '>'"),
    ("frag_rate_pct >", 15, "expected a number"),
    ("job x placed", 1, "expected a whole number after 'job'"),
    ("job 3 exploded", 7, "expected placed, moved, preempted, finished"),
    ("(queued > 3", 12, "expected ')'"),
    ("queued > 3 queued", 12, "expected 'and', 'or' or the end"),
    ("__import__('os').system('true')", 12, "unexpected character"),   # never eval'd
    ("", 1, "empty condition"),
])
def test_malformed_conditions_point_at_the_position(text, column, words):
    with pytest.raises(ConditionError) as err:
        parse_condition(text)
    assert err.value.column == column and words in str(err.value)


def test_bad_until_is_exit_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "o"
    assert run_cli(["run", "teach/frag-demo", "--until", "queued >>= 3", "--out", str(out)]) == 2
    assert "column 8: expected a number after '>'" in capsys.readouterr().err
    assert run_cli(["run", "teach/frag-demo", "--until", "fragrate > 3", "--out", str(out)]) == 2
    assert "'fragrate' is not a rounds.csv column" in capsys.readouterr().err
    assert run_cli(["run", "teach/frag-demo", "--until", "diverged", "--out", str(out)]) == 2
    assert not out.exists()
