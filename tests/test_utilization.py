"""Utilization counts a shared GPU once (issue 4: live_metrics and the round report)."""

from __future__ import annotations

from fragscope import Simulation
from fragscope.core.results import rounds_rows

TINY = {
    "cluster": {"servers": [{"model": "v100", "count": 1, "gpus": 2, "cpu_milli": 64000,
                             "memory_mib": 262144}]},
    "policy": "max_min_fairness_perf", "placement": "bestfit", "seed": 3,
}


def _pods(tmp_path, n, milli):
    head = ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
            "deletion_time,scheduled_time")
    body = [f"p{i},1000,1000,1,{milli},,LS,Running,{i * 10},{i * 10 + 3600},{i * 10}" for i in range(n)]
    path = tmp_path / "pods.csv"
    path.write_text("\n".join([head, *body]) + "\n")
    return str(path)


def test_two_jobs_sharing_one_gpu_count_it_once(tmp_path):
    pods = _pods(tmp_path, 2, 500)
    sim = Simulation.from_scenario({**TINY, "sharing": True,
                                    "workload": {"generate": {"lam": 0, "window": [0, 2],
                                                              "mix": f"openb:{pods}"}}})
    report = sim.step()
    held = [g.jobs for s in sim.servers() for g in s.gpus]
    assert sorted(len(h) for h in held) == [0, 2]  # both halves packed on one of the 2 GPUs
    assert report.running == 2
    assert report.busy_gpus == 1
    assert report.utilization == 0.5
    assert sim.live_metrics()["utilization"] == 0.5   # was 1.0: the GPU counted once per job
    assert rounds_rows(sim)[-1]["utilization"] == 0.5  # rounds.csv's column
    assert sim.live_metrics()["busy_milli_pct"] == 50.0


def test_sharing_off_counts_each_job_gpu(tmp_path):
    pods = _pods(tmp_path, 2, 500)
    sim = Simulation.from_scenario({**TINY, "sharing": False,
                                    "workload": {"generate": {"lam": 0, "window": [0, 2],
                                                              "mix": f"openb:{pods}"}}})
    report = sim.step()
    assert report.busy_gpus == 2 and report.utilization == 1.0
    assert sim.live_metrics()["utilization"] == 1.0
