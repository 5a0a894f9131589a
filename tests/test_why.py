"""Why pending (engine/debug/why.py, ``fragscope why``): each answer checked against what
the run itself says — rounds.csv, the decision log, the cluster's occupancy."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fragscope import JOB_STATES, Simulation, explain_job, load_scenario, why

from conftest import run_cli


@pytest.fixture(scope="module")
def frag_demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("frag-demo")
    assert run_cli(["run", "teach/frag-demo", "--out", str(out), "--decisions", "--quiet"]) == 0
    return out


def _step_to(scenario: str, round_index: int, overrides=()) -> Simulation:
    sim = Simulation(load_scenario(scenario, list(overrides)), explain=True)
    while sim.step_index <= round_index:
        sim.step()
    return sim


def test_no_share_says_when_the_lp_last_ran_and_when_it_next_will(frag_demo_run):
    rounds = pd.read_csv(frag_demo_run / "rounds.csv")
    # the first round with jobs queued while the LP has not run since some arrived
    r = int(rounds[(rounds.queued > 0) & (rounds.lp_recomputed == 0)]["round"].iloc[0])
    next_lp = int(rounds[(rounds["round"] > r) & (rounds.lp_recomputed == 1)]["round"].iloc[0])
    last_lp = int(rounds[(rounds["round"] <= r) & (rounds.lp_recomputed == 1)]["round"].iloc[-1])
    sim = _step_to("teach/frag-demo", r)
    queued = [j for j in sim.active_job_ids() if j not in sim.state.assignments]
    assert len(queued) == rounds.queued[r]
    answers = [explain_job(sim, j) for j in queued]
    no_share = [a for a in answers if a.reasons[0].kind == "no_share"]
    assert no_share, [a.summary for a in answers]
    for a in no_share:
        assert a.state == "pending"
        d = a.reasons[0].details
        assert d["next_lp_round"] == next_lp and d["last_lp_round"] == last_lp
        assert d["arrived_s"] > rounds.time_s[last_lp]      # it arrived after the last recompute
        assert f"round {next_lp}" in a.reasons[0].text


def test_placed_running_finished_and_not_arrived_agree_with_the_decision_log(frag_demo_run):
    log = pd.read_parquet(frag_demo_run / "decisions.parquet")
    placed = log[log.action == "placed"].iloc[3]
    j, r = int(placed.job_id), int(placed["round"])
    assert why(frag_demo_run, j, r).state == "placed"
    later = log[(log.job_id == j) & (log["round"] > r)]
    nxt = int(later["round"].iloc[0]) if len(later) else None
    if nxt is None or nxt > r + 1:
        assert why(frag_demo_run, j, r + 1).state == "running"
    done = log[log.action == "finished"].iloc[0]
    a = why(frag_demo_run, int(done.job_id), int(done["round"]))
    assert a.state == "finished" and f"GPUs {done.gpus}" in a.reasons[0].text
    last_job = int(log.job_id.max())
    assert why(frag_demo_run, last_job, 0).state == "not_arrived"
    assert set(JOB_STATES) == {"not_arrived", "pending", "placed", "running", "finished"}


def _first(scenario: str, kind: str, rounds: int = 40):
    sim = Simulation(load_scenario(scenario, []), explain=True)
    for _ in range(rounds):
        sim.step()
        for j in sim.active_job_ids():
            if j in sim.state.assignments:
                continue
            a = explain_job(sim, j)
            if a.reasons[0].kind == kind:
                return sim, a
    pytest.fail(f"no {kind} job in the first {rounds} rounds of {scenario}")


def test_not_selected_gives_the_rank_and_a_budget_too_small_for_it():
    sim, a = _first("teach/overloaded", "not_selected")
    walks = a.reasons[0].details["walks"]
    assert walks
    for w in walks:
        assert 1 <= w["rank"] <= w["of"] and w["need"] > w["left"] and w["budget"] >= w["left"]
        assert 1 <= w["ran_out_at"] <= w["rank"]
        assert w["share"] > 0


def test_not_placeable_counts_every_server_of_the_type_and_names_the_nearest():
    sim, a = _first("teach/overloaded", "not_placeable")
    d = a.reasons[0].details
    servers = [s for s in sim.mech.cluster.servers if s.gpu_type == d["gpu_type"]]
    assert d["nodes"] == len(servers)
    assert sum(c["nodes"] for c in d["counts"]) == len(servers)   # each server charged to one check
    job = sim.state.jobs[a.job_id]
    assert d["shortfall"]["gpus"] >= 1 and d["nearest_server"] in {s.server_id for s in servers}
    assert f"needs {job.scale_factor}" in d["nearest_text"] or "milli" in d["nearest_text"]


def test_why_from_a_run_folder_equals_why_from_its_scenario(frag_demo_run):
    a = why(frag_demo_run, 7, 12)
    b = why("teach/frag-demo", 7, 12)
    assert a.to_dict() == b.to_dict()


def test_cli_json_and_bad_input(frag_demo_run, capsys):
    assert run_cli(["why", str(frag_demo_run), "--job", "7", "--round", "12", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] in JOB_STATES and isinstance(data["reasons"], list) and data["reasons"][0]["kind"]
    assert run_cli(["why", str(frag_demo_run), "--job", "7", "--round", "100000"]) == 2
    assert "past the end" in capsys.readouterr().err
    assert run_cli(["why", str(frag_demo_run), "--job", "10000000"]) == 2
    assert "does not arrive" in capsys.readouterr().err
    assert run_cli(["why", str(frag_demo_run), "--job", "7", "--set", "seed=3"]) == 2


def test_replayed_explanations_equal_what_live_explaining_records():
    from fragscope import explain_round
    live = Simulation(load_scenario("teach/frag-demo", []), explain=True)
    recorded: dict[int, dict] = {}
    for report in live.run(max_steps=26):
        placer = live.state.placer
        moved = [j for j, action, _ in live.state.last_changes if action in ("placed", "moved")]
        recorded[report.index] = {j: placer.records[j] for j in moved if placer.records[j].round == report.index}
    for r in (0, 5, 13, 25):
        again = explain_round("teach/frag-demo", r)
        assert again == recorded[r] and again, r
        for rec in again.values():      # the winner first, candidates by score
            assert rec.candidates[0][0] == rec.server_id
            scores = [c[2] for c in rec.candidates[1:]]
            assert scores == sorted(scores, reverse=True)


def test_gavel_mode_is_explained_too():
    sim = Simulation(load_scenario("gavel/t1-mmf", []), explain=True)
    while not any(action == "placed" for _, action, _ in sim.state.last_changes):
        sim.step()
    assert sim.state.exact_round                  # Gavel's own mechanism placed it
    j = next(j for j, action, _ in sim.state.last_changes if action == "placed")
    a = explain_job(sim, j)
    assert a.state == "placed" and "Gavel's own mechanism" in a.reasons[0].text
    walks = a.reasons[1].details["walks"]
    assert walks and all(w["unit"] == "GPUs" for w in walks)


def test_a_broken_explain_fails_a_recorded_headless_run(tmp_path, capsys):
    plugin = tmp_path / "broken.py"
    plugin.write_text("import numpy as np\n"
                      "class Broken:\n"
                      "    def score(self, task, cluster, nodes):\n"
                      "        return np.zeros(len(nodes), np.int64)\n"
                      "    def explain(self, task, cluster, nodes, scores):\n"
                      "        return {'width': np.zeros(len(nodes) + 1)}\n")
    args = ["run", "teach/tiny-packing", "--set", f"placement={plugin}:Broken", "--out", str(tmp_path / "o"),
            "--quiet"]
    assert run_cli(args) == 0                      # explain() is not needed without the log
    assert run_cli(args + ["--decisions"]) == 2     # with it, explain() runs and its answer is checked
    assert "explain()" in capsys.readouterr().err
