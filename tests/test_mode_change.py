"""Turning sharing on (or leaving Gavel's placement) means a job must fit on one server.
Jobs the new mode can never run are rejected — at load for traces, on arrival for
generated jobs, and at the toggle for active ones (the UI's fork) — instead of
holding LP time and waiting forever."""

from __future__ import annotations

from pathlib import Path

from fragscope import Simulation

REPO = Path(__file__).resolve().parents[1]


def test_fork_turning_sharing_on_rejects_jobs_that_no_server_can_hold_and_finishes():
    # The default scenario: Gavel's trace on 8:16:24 one-GPU servers, with multi-GPU jobs.
    sim = Simulation.from_scenario(str(REPO / "scenarios" / "default.yaml"))
    for _ in sim.run(max_steps=20):
        pass
    multi = {j for j, job in sim.state.jobs.items() if job.scale_factor > 1}
    assert multi, "the scenario should have active multi-GPU jobs at round 20"
    fork = sim.clone()
    fork.set_sharing(True)
    assert fork.num_rejected == len(multi) and sim.num_rejected == 0
    assert not multi & set(fork.state.jobs)
    assert all(fork.state.jct[j] is None for j in multi)
    fork.run_to_end()  # used to stop with "no job can be scheduled" at the end
    assert fork.done
    arrived = {job.job_id for job in fork.state.arrived}
    assert set(fork.state.jct) == arrived  # every job completed or rejected
    assert fork.live_metrics()["rejected"] == fork.num_rejected


def test_single_server_mode_gives_zero_throughput_where_no_server_is_big_enough():
    scenario = {"seed": 2, "cluster": {"gavel": "4:4:4", "gpus_per_server": "4:2:1"},
                "workload": {"generate": {"lam": 600, "window": [0, 30], "multi_gpu": True}},
                "placement": "gavel", "sharing": False}
    off = Simulation.from_scenario(scenario)
    for _ in off.run(max_steps=6):
        pass
    four = [j for j, job in off.state.jobs.items() if job.scale_factor == 4]
    assert four, "expected an active 4-GPU job"
    # Gavel's own mechanism may span servers: every type with 4 GPUs in all can run it
    assert all(off.state.throughputs[j]["k80"] > 0 for j in four)
    on = off.clone()
    on.set_sharing(True)
    for j in four:  # only the V100 servers have 4 GPUs
        tp = on.state.throughputs[j]
        assert tp["v100"] > 0 and tp["p100"] == 0 and tp["k80"] == 0


def test_gavel_mechanism_rejects_a_generated_job_larger_than_every_gpu_type():
    # Gavel's generator makes 8-GPU jobs; on 4:4:4 none can ever run (Gavel keeps it
    # waiting forever, and the run never ends).
    scenario = {"seed": 0, "cluster": {"gavel": "4:4:4", "gpus_per_server": 1},
                "workload": {"generate": {"lam": 7200, "window": [0, 20], "multi_gpu": True}},
                "placement": "gavel", "sharing": False}
    sim = Simulation.from_scenario(scenario)
    for _ in sim.run(max_steps=400):
        pass
    big = [job.job_id for job in sim.state.arrived if job.scale_factor > 4]
    assert big and sim.num_rejected == len(big)
    assert all(sim.state.jct[j] is None for j in big)
    assert not set(big) & set(sim.state.jobs)
    assert all(job.scale_factor <= 4 for job in sim.state.jobs.values())


def test_gavel_placement_on_servers_with_resources_rejects_a_job_the_lp_could_never_run(tmp_path):
    # Found by test_properties: a 2-GPU job fits one server only on the 2-GPU k80
    # (the V100s have one GPU each), where its throughput can be 0; it used to reach
    # the LP with zero throughput everywhere and stop the run.
    pods = tmp_path / "pods.csv"
    pods.write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
                    "creation_time,deletion_time,scheduled_time\n"
                    + "".join(f"p{i},1000,4096,2,1000,,LS,Running,{i},{i + 100},{i}\n" for i in range(4)))
    server = {"cpu_milli": 8000, "memory_mib": 32768}
    scenario = {"seed": 14, "cluster": {"servers": [
        {"model": "v100", "count": 2, "gpus": 1, **server},
        {"model": "k80", "count": 1, "gpus": 2, **server}]},
        "workload": {"generate": {"lam": 0, "window": [0, 3], "mix": f"openb:{pods}",
                                  "unhostable": "skip"}},
        "placement": "gavel", "sharing": False}
    sim = Simulation.from_scenario(scenario)
    for _ in sim.run(max_steps=40):  # raised SimulationError in the LP before the fix
        pass
    assert sim.num_rejected >= 1
    for job in sim.state.jobs.values():
        assert any(v > 0 for v in sim.state.throughputs[job.job_id].values())
