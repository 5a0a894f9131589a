"""Invariants on hundreds of random small scenarios (sharing on and off, every
placement): capacity is never exceeded, every arrived job is in exactly one state,
allowed GPU models are respected, and runs are reproducible and clonable."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fragscope import InputError, Simulation
from fragscope import placement_names

MODELS = ["v100", "p100", "k80", "T4", "G2"]

server_group = st.fixed_dictionaries({
    "model": st.sampled_from(MODELS), "count": st.integers(1, 3), "gpus": st.sampled_from([1, 2, 4, 8]),
    "cpu_milli": st.sampled_from([8000, 32000, 96000]), "memory_mib": st.sampled_from([32768, 262144])})

pod = st.tuples(st.integers(1000, 40000),                       # cpu
                st.sampled_from([4096, 30000, 200000]),          # memory
                st.sampled_from([1, 1, 1, 2, 4, 8]),             # GPUs
                st.sampled_from([100, 250, 470, 810, 1000]),     # milli (1000 forced for k > 1)
                st.sampled_from(["", "", "T4", "v100|G2", "p100|k80|T4"]))


def _pods_csv(path, pods) -> str:
    lines = ["name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time"]
    for i, (cpu, mem, k, milli, spec) in enumerate(pods):
        lines.append(f"p{i},{cpu},{mem},{k},{milli if k == 1 else 1000},{spec},LS,Running,{i},{i + 100},{i}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@st.composite
def scenarios(draw, tmp_dir):
    pods = draw(st.lists(pod, min_size=1, max_size=8))
    idx = draw(st.integers(0, 10**9))
    return {
        "seed": draw(st.integers(0, 50)),
        "round_seconds": draw(st.sampled_from([360, 600])),
        "cluster": {"servers": draw(st.lists(server_group, min_size=1, max_size=4))},
        "workload": {"generate": {"lam": draw(st.sampled_from([0, 300, 1800])),
                                  "window": [0, draw(st.integers(3, 12))],
                                  "mix": "openb:" + _pods_csv(tmp_dir / f"pods{idx}.csv", pods),
                                  "unhostable": "skip"}},
        "policy": draw(st.sampled_from(["max_min_fairness", "max_min_fairness_perf", "fifo"])),
        "placement": draw(st.sampled_from(placement_names())),
        "sharing": draw(st.booleans()),
        "interference": draw(st.sampled_from([[], [0.9, 0.8]])),
    }


def _build(d):
    try:
        return Simulation.from_scenario(d)
    except InputError:
        assume(False)  # e.g. no pod of the mix fits this cluster


def _check_invariants(sim: Simulation) -> None:
    servers = {s.server_id: s for s in sim.servers()}
    cfg_servers = sim.config.cluster.servers
    arrived = {j.job_id for j in sim.state.arrived}
    running = set(sim.state.assignments)
    queued = set(sim.state.jobs) - running
    completed = set(sim.state.jct)
    assert running | queued | completed == arrived
    assert not (running & completed) and not (queued & completed) and not (running & queued)
    cpu_used: dict[int, int] = {}
    mem_used: dict[int, int] = {}
    for j in running:
        job = sim.state.jobs[j]
        gpus = sim.state.assignments[j]
        srv = {sim.config.cluster.server_of[g] for g in gpus}
        if sim.sharing or sim.placement != "gavel":
            assert len(srv) == 1, "jobs never span servers outside Gavel's exclusive placement"
        gpu_type = sim.config.cluster.gpu_type_of[gpus[0]]
        assert job.allowed_models is None or gpu_type in job.allowed_models
        assert len(gpus) == job.scale_factor
        first = min(srv)
        cpu_used[first] = cpu_used.get(first, 0) + job.cpu_milli
        mem_used[first] = mem_used.get(first, 0) + job.memory_mib
    for sid, view in servers.items():
        for gpu in view.gpus:
            assert gpu.used_milli <= 1000 and sum(m for _, m in gpu.jobs) <= 1000
        if sim.sharing or sim.placement != "gavel":
            assert cpu_used.get(sid, 0) <= cfg_servers[sid].cpu_milli
            assert mem_used.get(sid, 0) <= cfg_servers[sid].memory_mib


@pytest.fixture(scope="module")
def tmp_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("props")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_capacity_state_and_model_invariants_hold_every_round(data, tmp_dir):
    sim = _build(data.draw(scenarios(tmp_dir)))
    for _ in sim.run(max_steps=40):
        _check_invariants(sim)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_seed_same_result_and_clone_continues_identically(data, tmp_dir):
    d = data.draw(scenarios(tmp_dir))
    k = data.draw(st.integers(0, 15))
    a, b = _build(d), _build(d)
    for _ in a.run(max_steps=k):
        pass
    fork = a.clone()
    for _ in a.run(max_steps=25):
        pass
    for _ in fork.run(max_steps=25):
        pass
    for _ in b.run(max_steps=k + 25):
        pass
    assert a.state.jct == b.state.jct == fork.state.jct
    assert a.state.assignments == b.state.assignments == fork.state.assignments
    assert [r.frag for r in a.state.rounds] == [r.frag for r in b.state.rounds] == [r.frag for r in fork.state.rounds]
