"""FIFO pins each job to one GPU type until it completes; a type on which the job's
throughput is zero must never be the one it is pinned to (Gavel's refill path does
that, and the job then waits forever)."""

from __future__ import annotations

from fragscope import Simulation

PODS = """name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
p0,1000,4096,1,100,,LS,Running,0,100,0
p1,1000,4096,8,1000,,LS,Running,1,101,1
p2,1000,4096,1,100,,LS,Running,2,102,2
p3,1000,4096,1,100,,LS,Running,3,103,3
p4,1000,4096,1,100,,LS,Running,4,104,4
p5,1000,4096,1,100,,LS,Running,5,105,5
p6,8001,4096,1,100,,LS,Running,6,106,6
"""


def _server(model: str, count: int, gpus: int) -> dict:
    return {"model": model, "count": count, "gpus": gpus, "cpu_milli": 8000, "memory_mib": 32768}


def test_fifo_refill_never_pins_a_job_to_a_zero_throughput_type(tmp_path):
    # An 8-GPU job has zero throughput on G2 (its alias has no 8-GPU rows) yet G2
    # has 8 GPUs; when the 1-GPU job on G2 completes, G2's GPUs are freed while the
    # 8-GPU job heads the queue.  Found by test_properties (hypothesis).
    pods = tmp_path / "pods.csv"
    pods.write_text(PODS)
    sim = Simulation.from_scenario({
        "seed": 3, "round_seconds": 360,
        "cluster": {"servers": [_server("v100", 1, 8), _server("k80", 1, 1), _server("k80", 1, 1), _server("G2", 2, 4)]},
        "workload": {"generate": {"lam": 0, "window": [0, 3], "mix": f"openb:{pods}",
                                          "unhostable": "skip"}},
        "policy": "fifo", "placement": "gavel", "sharing": False})
    for _ in sim.run(max_steps=400):
        for j, alloc in sim.state.allocation.items():
            pinned = [w for w, share in alloc.items() if share > 0]
            assert all(sim.state.throughputs[j][w] > 0 for w in pinned), (j, alloc)
    assert sim.state.done
    assert len(sim.state.jct) == len(sim.state.arrived)


def _inputs(jobs: dict[int, int], gpus: int) -> "AllocationInputs":
    from fragscope.policies.base import AllocationInputs
    ids = sorted(jobs)
    return AllocationInputs(
        job_ids=ids, worker_types=["v100"], throughputs={j: {"v100": 1.0} for j in ids},
        scale_factors=dict(jobs), priority_weights={j: 1.0 for j in ids},
        cluster_spec={"v100": gpus}, num_steps_remaining={j: 100.0 for j in ids},
        times_since_start={j: 0.0 for j in ids})


def test_fifo_refill_counts_every_running_job_before_handing_out_freed_gpus():
    # Round 1: jobs 0 (1 GPU), 1 (2 GPUs), 2 (1 GPU) fill 4 GPUs; job 3 (2 GPUs) waits.
    # Job 0 completes.  Gavel's walk hands job 0's type to job 3 before it has counted
    # jobs 1 and 2, so it would ask for 5 GPUs of 4 (found by test_properties).
    from fragscope.policies.fifo import Fifo
    fifo = Fifo(mode="base", seed=0)
    first = fifo.get_allocation(_inputs({0: 1, 1: 2, 2: 1, 3: 2}, gpus=4))
    assert [j for j, a in first.items() if a["v100"] == 1.0] == [0, 1, 2]
    second = fifo.get_allocation(_inputs({1: 2, 2: 1, 3: 2}, gpus=4))
    used = sum(second[j]["v100"] * s for j, s in {1: 2, 2: 1, 3: 2}.items())
    assert used <= 4, second
    assert second[1]["v100"] == second[2]["v100"] == 1.0
