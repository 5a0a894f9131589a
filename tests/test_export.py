"""``fragscope export --perfetto``: a Chrome/Perfetto trace whose slices are the decision
log's job runs and whose counters are rounds.csv's columns."""

from __future__ import annotations

import json
from collections import defaultdict

import pandas as pd

from conftest import run_cli


def test_trace_tracks_slices_and_counters(tmp_path):
    run = tmp_path / "run"
    assert run_cli(["run", "teach/tiny-packing", "--set", "sharing=false", "--out", str(run), "--decisions",
                    "--quiet"]) == 0
    out = tmp_path / "trace.json"
    assert run_cli(["export", str(run), "--perfetto", str(out), "--quiet"]) == 0
    events = json.loads(out.read_text())["traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    threads = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    slices = [e for e in events if e["ph"] == "X"]
    assert slices and all((e["pid"], e["tid"]) in threads and e["pid"] in names for e in slices)
    # sharing off: one job per GPU at a time — slices on a GPU never overlap
    by_gpu = defaultdict(list)
    for e in slices:
        by_gpu[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    for spans in by_gpu.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
    # every job that ran has slices, ending at its completion time for finished jobs
    log = pd.read_parquet(run / "decisions.parquet")
    assert {e["args"]["job_id"] for e in slices} == set(log[log.action == "placed"].job_id)
    jobs = pd.read_csv(run / "jobs.csv").set_index("job_id")
    ends = defaultdict(int)
    for e in slices:
        ends[e["args"]["job_id"]] = max(ends[e["args"]["job_id"]], e["ts"] + e["dur"])
    for j, row in jobs.iterrows():
        assert abs(ends[j] - row.completion_s * 1e6) <= 1
    rounds = pd.read_csv(run / "rounds.csv")
    counters = [e for e in events if e["ph"] == "C"]
    assert len(counters) == 3 * len(rounds)          # frag rate, queue, utilization per round
    frag = [e["args"]["frag_rate_pct"] for e in counters if e["name"] == "frag_rate_pct"]
    assert frag == rounds.frag_rate_pct.tolist()
    # a run folder without decisions.parquet is replayed: the same trace
    plain = tmp_path / "plain"
    assert run_cli(["run", "teach/tiny-packing", "--set", "sharing=false", "--out", str(plain), "--quiet"]) == 0
    again = tmp_path / "again.json"
    assert run_cli(["export", str(plain), "--perfetto", str(again), "--quiet"]) == 0
    strip = lambda evs: [e for e in evs if e["ph"] != "M" or e["name"] != "process_name"]  # noqa: E731
    assert strip(json.loads(again.read_text())["traceEvents"]) == strip(events)


def test_export_bad_input(tmp_path, capsys):
    assert run_cli(["export", str(tmp_path), "--perfetto", str(tmp_path / "t.json")]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert not (tmp_path / "t.json").exists()


def test_shared_gpus_get_lanes_so_slices_on_a_thread_never_overlap(tmp_path, capsys):
    run = tmp_path / "run"
    assert run_cli(["run", "teach/tiny-packing", "--out", str(run), "--decisions", "--quiet"]) == 0   # sharing on
    out = tmp_path / "t.json"
    assert run_cli(["export", str(run), "--perfetto", str(out), "--quiet"]) == 0
    events = json.loads(out.read_text())["traceEvents"]
    threads = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    by_thread = defaultdict(list)
    for e in (e for e in events if e["ph"] == "X"):
        assert (e["pid"], e["tid"]) in threads and e["dur"] > 0
        by_thread[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    assert any(tid >= 1_000_000 for _, tid in by_thread)       # some GPU was shared
    for spans in by_thread.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
    # bad outputs and a corrupt log: one line, exit 2
    assert run_cli(["export", str(run), "--perfetto", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    (run / "decisions.parquet").write_bytes(b"junk!")
    assert run_cli(["export", str(run), "--perfetto", str(out)]) == 2
    assert "cannot be read as a decision log" in capsys.readouterr().err
