"""The round loop's clock: it never steps back, and a static workload whose last
jobs wait for a recompute still finishes (Gavel would hang there)."""

from __future__ import annotations

from fragscope import Simulation


def _static_fifo_scenario(tmp_path) -> dict:
    # The case hypothesis found: seed 3 draws a 1-GPU, a 1-GPU and an 8-GPU job; FIFO puts
    # the first two on G2 and v100, and the 8-GPU job can only start once v100 is empty.
    pods = tmp_path / "pods.csv"
    rows = [(1000, 1, 100, "T4"), (1000, 8, 1000, ""), (1000, 1, 100, ""), (1000, 1, 100, ""),
            (1000, 1, 100, ""), (1000, 1, 100, ""), (8001, 1, 100, "")]
    pods.write_text(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
        + "".join(f"p{i},{c},4096,{k},{m},{spec},LS,Running,{i},{i + 100},{i}\n"
                  for i, (c, k, m, spec) in enumerate(rows)))
    server = {"count": 1, "cpu_milli": 8000, "memory_mib": 32768}
    return {"seed": 3, "cluster": {"servers": [server | {"model": "v100", "gpus": 8},
                                               server | {"model": "p100", "gpus": 1},
                                               server | {"model": "G2", "gpus": 2}]},
            "workload": {"generate": {"lam": 0, "window": [0, 3], "mix": f"openb:{pods}",
                                      "unhostable": "skip"}},
            "policy": "fifo", "placement": "gavel", "sharing": False}


def test_static_workload_queue_head_runs_after_the_generator_is_exhausted(tmp_path):
    sim = Simulation.from_scenario(_static_fifo_scenario(tmp_path))
    times = [sim.now]
    for _ in sim.run(max_steps=2000):
        times.append(sim.now)
    assert sim.done
    assert all(b >= a for a, b in zip(times, times[1:])), "the clock stepped back"
    assert sorted(sim.state.jct) == [0, 1, 2]
