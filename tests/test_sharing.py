"""GPU sharing and round-mode placement semantics (product.md, issue 3)."""

from __future__ import annotations

import json

import pytest

from fragscope import InputError, Simulation, load_scenario
from conftest import alibaba, run_cli

TINY = {
    "cluster": {"servers": [{"model": "v100", "count": 1, "gpus": 2, "cpu_milli": 64000, "memory_mib": 262144}]},
    "workload": {"generate": {"lam": 0, "window": [0, 8], "mix": "alibaba-fork"}},
    "policy": "max_min_fairness_perf", "placement": "bestfit", "seed": 3,
}


def _pods(tmp_path, rows):
    head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time"
    body = [f"p{i},{c},{m},{k},{g},{spec},LS,Running,{i * 10},{i * 10 + d},{i * 10}"
            for i, (c, m, k, g, spec, d) in enumerate(rows)]
    path = tmp_path / "pods.csv"
    path.write_text("\n".join([head, *body]) + "\n")
    return str(path)


def test_sharing_packs_fractional_jobs_onto_one_gpu(tmp_path):
    pods = _pods(tmp_path, [(1000, 1000, 1, 250, "", 3600)] * 4)
    d = {**TINY, "sharing": True,
         "workload": {"generate": {"lam": 0, "window": [0, 4], "mix": f"openb:{pods}"}}}
    sim = Simulation.from_scenario(d)
    sim.step()
    held = [g.jobs for s in sim.servers() for g in s.gpus]
    assert sorted(len(h) for h in held) == [0, 4]  # best-fit packs all four quarters on one GPU
    assert max(g.used_milli for s in sim.servers() for g in s.gpus) == 1000


def test_sharing_off_gives_fractional_jobs_whole_gpus(tmp_path):
    pods = _pods(tmp_path, [(1000, 1000, 1, 250, "", 3600)] * 4)
    d = {**TINY, "sharing": False,
         "workload": {"generate": {"lam": 0, "window": [0, 4], "mix": f"openb:{pods}"}}}
    sim = Simulation.from_scenario(d)
    sim.step()
    assert all(len(g.jobs) <= 1 for s in sim.servers() for g in s.gpus)
    assert sum(1 for s in sim.servers() for g in s.gpus if g.jobs) == 2


def test_fractional_job_runs_at_its_share_of_solo_throughput(tmp_path):
    pods = _pods(tmp_path, [(1000, 1000, 1, 500, "", 3600)])
    d = {**TINY, "workload": {"generate": {"lam": 0, "window": [0, 1], "mix": f"openb:{pods}"}}}
    sim = Simulation.from_scenario(d)
    sim.step()
    job = sim.state.jobs[0]
    solo = sim.config.throughputs.get("v100", job.key)
    assert sim.state.throughputs[0]["v100"] == solo * 0.5


def test_never_selects_a_job_that_cannot_be_placed(tmp_path):
    # Two 0.6-GPU jobs: the capacity budget (1.2 of 2 GPUs) admits both; they cannot
    # share a GPU, so each gets its own; a third 0.6 job fits no GPU and is not selected.
    pods = _pods(tmp_path, [(1000, 1000, 1, 600, "", 3600)] * 3)
    d = {**TINY, "sharing": True,
         "workload": {"generate": {"lam": 0, "window": [0, 3], "mix": f"openb:{pods}"}}}
    sim = Simulation.from_scenario(d)
    rep = sim.step()
    assert rep.running == 2
    for gpus in sim.state.assignments.values():
        assert len(gpus) == 1


def test_set_sharing_on_a_clone_takes_effect_next_round():
    sim = Simulation.from_scenario({**TINY, "sharing": False})
    sim.step()
    fork = sim.clone()
    fork.set_sharing(True)
    assert fork.sharing and not sim.sharing
    fork.step()
    sim.step()
    assert max(len(g.jobs) for s in fork.servers() for g in s.gpus) >= 1


def test_fgd_decision_record_explains_the_winner():
    d = {**TINY, "placement": "fgd", "sharing": True,
         "cluster": {"servers": [{"model": "v100", "count": 3, "gpus": 2, "cpu_milli": 64000,
                                  "memory_mib": 262144}]}}
    sim = Simulation.from_scenario(d, explain=True)
    sim.step()
    j = next(iter(sim.state.assignments))
    rec = sim.placement_decision(j)
    assert rec is not None and rec.placement == "fgd" and "FGD score" in rec.rule
    assert rec.candidates and all(c[3] is not None for c in rec.candidates)  # each with its Δ
    assert rec.gpus == sim.state.assignments[j]


def test_unhostable_trace_job_is_rejected_at_load(tmp_path, capsys):
    (tmp_path / "j.trace").write_text("ResNet-18 (batch size 16)\tc\td\t-n\t1\t100\t4\t1\t-1\t0\n")
    (tmp_path / "s.yaml").write_text(
        "cluster: {servers: [{model: v100, count: 4, gpus: 2, cpu_milli: 8000, memory_mib: 1000}]}\n"
        "workload: {trace: j.trace}\nsharing: true\n")
    assert run_cli(["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "j.trace:1" in err and "can never run" in err


def test_fragmentation_columns_only_when_enabled(tmp_path):
    d = {**TINY, "sharing": True}
    sim = Simulation.from_scenario(d)
    sim.run_to_end()
    assert all(r.frag is not None for r in sim.state.rounds)
    assert "frag_rate" in sim.live_metrics()


def test_ab_command_writes_both_arms_and_deltas(tmp_path):
    pods = alibaba("openb_pod_list_default")
    (tmp_path / "s.yaml").write_text(
        "cluster: {servers: [{model: G2, count: 3, gpus: 8, cpu_milli: 96000, memory_mib: 393216},"
        " {model: T4, count: 4, gpus: 2, cpu_milli: 104000, memory_mib: 524288}]}\n"
        f"workload: {{generate: {{lam: 3600, window: [3, 10], mix: 'openb:{pods}', unhostable: skip}}}}\n"
        "placement: fgd\nround_seconds: 600\n")
    assert run_cli(["ab", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "ab"), "--quiet"]) == 0
    ab = json.loads((tmp_path / "ab" / "ab.json").read_text())
    assert ab["A"]["sharing"] is False and ab["B"]["sharing"] is True
    assert ab["delta"]["avg_jct_s"]["b_minus_a"] == pytest.approx(ab["B"]["avg_jct_s"] - ab["A"]["avg_jct_s"])
    for arm in "AB":
        assert "partial_gpus" in (tmp_path / "ab" / arm / "rounds.csv").read_text().splitlines()[0].split(",")
    # Forking at a round and flipping sharing on the fork.
    assert run_cli(["ab", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "fork"), "--fork-at", "5",
                    "--quiet"]) == 0
    assert json.loads((tmp_path / "fork" / "ab.json").read_text())["fork_at_round"] == 5
    # each arm's summary records the mode it ran, and a fork when its mode changed
    for out, b_changes in (("ab", None), ("fork", [{"round": 5, "changed": ["sharing"]}])):
        a, b = (json.loads((tmp_path / out / arm / "summary.json").read_text()) for arm in "AB")
        assert a["scenario"]["sharing"] is False and b["scenario"]["sharing"] is True
        assert a["scenario"]["placement"] == b["scenario"]["placement"] == "fgd"
        assert "mode_changes" not in a and b.get("mode_changes") == b_changes


def test_ab_arms_in_parallel_processes_give_the_same_files_as_one_after_the_other(tmp_path):
    from fragscope import load_scenario
    from fragscope.experiments.ab import run_ab

    pods = alibaba("openb_pod_list_default")
    scenario = {"cluster": {"servers": [{"model": "G2", "count": 3, "gpus": 8, "cpu_milli": 96000,
                                         "memory_mib": 393216}]},
                "workload": {"generate": {"lam": 1800, "window": [3, 12], "mix": f"openb:{pods}",
                                          "unhostable": "skip"}},
                "placement": "fgd", "round_seconds": 600}
    for fork_at in (None, 4):
        seen: dict[str, list[int]] = {"A": [], "B": []}
        outs = []
        for workers in (1, 2):
            out = tmp_path / f"w{workers}-{fork_at}"
            run_ab(load_scenario(scenario), out, fork_at=fork_at, workers=workers,
                   progress=lambda arm, done, now: seen[arm].append(done))
            outs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
        assert outs[0] == outs[1] and len(outs[0]) == 7  # ab.json + 3 files per arm
        assert seen["A"] and seen["B"]


def test_ab_child_arm_errors_reach_the_parent_with_their_type():
    """An error in arm B's process is raised in the parent as the sequential path would
    raise it (an InputError stays one, so the CLI still exits 2), naming arm B."""
    from multiprocessing import Pipe

    from fragscope import InputError, SimulationError
    from fragscope.experiments.ab import _arm_process, _ChildArm

    class Failing:
        def __init__(self, exc):
            self.exc = exc

        def run(self):
            raise self.exc
            yield  # a generator, like Simulation.run

        @property
        def config(self):   # the arm steps under run_bounded, which reads the scenario first
            raise self.exc

    sent = []
    for exc in (InputError("x.yaml: key", "bad value"), ValueError("boom")):
        r, w = Pipe(duplex=False)
        _arm_process(w, Failing(exc))
        sent.append(r.recv())
    (k1, e1), (k2, e2) = sent
    assert k1 == k2 == "error"
    # the same type (the CLI still exits 2), saying which arm (issue 23), the source kept in the text
    assert isinstance(e1, InputError) and str(e1) == "arm B: x.yaml: key: bad value"
    assert isinstance(e2, SimulationError) and "ValueError: boom" in str(e2) and str(e2).startswith("arm B")
    arm = object.__new__(_ChildArm)
    with pytest.raises(InputError, match="bad value"):
        arm._handle(("error", e1))


def test_fill_command_writes_curves_and_median(tmp_path):
    nodes = alibaba("openb_node_list_gpu_node")
    pods = alibaba("openb_pod_list_gpushare100")
    out = tmp_path / "fill"
    assert run_cli(["fill", "--nodes", str(nodes), "--pods", str(pods), "--placement", "bestfit",
                    "--seeds", "42", "--out", str(out), "--workers", "1", "--quiet"]) == 0
    head = (out / "curves.csv").read_text().splitlines()
    assert head[0] == "placement,seed,arrived_pct,unalloc_gpu_pct,frag_rate_pct,frag_over_total_pct,occupied_nodes"
    assert len(head) == 1 + 131
    assert (out / "median.csv").exists()


def test_fill_bad_seeds_is_a_clean_error(tmp_path, capsys):
    assert run_cli(["fill", "--nodes", "x", "--pods", "y", "--seeds", "a-b", "--out", str(tmp_path)]) == 2
    assert "--seeds" in capsys.readouterr().err


def test_unknown_placement_on_fork_is_rejected():
    sim = Simulation.from_scenario(TINY)
    with pytest.raises(InputError):
        sim.set_placement("worst")


def test_large_job_is_not_starved_behind_lease_extensions(tmp_path):
    # Many small continuing jobs and one whole-server job on two 8-GPU servers:
    # the 8-GPU job must eventually get a full server and complete.
    rows = [(1000, 1000, 1, 300, "", 36000)] * 30 + [(1000, 1000, 8, 1000, "", 3600)]
    pods = _pods(tmp_path, rows)
    d = {"cluster": {"servers": [{"model": "v100", "count": 2, "gpus": 8, "cpu_milli": 96000,
                                  "memory_mib": 393216}]},
         "workload": {"pods": {"file": pods}}, "placement": "fgd", "sharing": True, "seed": 1}
    sim = Simulation.from_scenario(d)
    big = next(j.job_id for j in sim.config.workload.jobs if j.scale_factor == 8)
    for _ in sim.run(max_steps=3000):
        if big in sim.state.jct:
            break
    assert sim.state.jct.get(big) is not None


def test_ab_runs_the_arms_in_parallel_by_default_on_two_cores_however_busy(tmp_path, monkeypatch):
    """The default (no --workers) is the two arms at once whenever the process may use two
    cores, whatever the load average says; on one core, one after the other."""
    import os

    from fragscope.experiments import ab

    started = []

    class Spy(ab._ChildArm):
        def __init__(self, *args, **kwargs):
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ab, "_ChildArm", Spy)
    monkeypatch.setattr(os, "getloadavg", lambda: (7.0, 7.0, 7.0))
    scenario = {"cluster": {"servers": [{"model": "G2", "count": 2, "gpus": 8}]},
                "workload": {"generate": {"lam": 30, "window": [0, 6], "mix": "alibaba-fork"}},
                "placement": "fgd", "round_seconds": 600}
    for cores, expect in ((2, [1]), (1, [])):
        started.clear()
        monkeypatch.setattr(ab, "usable_cores", lambda: cores)
        ab.run_ab(load_scenario(scenario), tmp_path / f"c{cores}")
        assert started == expect, f"{cores} cores"
