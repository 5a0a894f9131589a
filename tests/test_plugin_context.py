"""Issue 23, context (part): a policy sees each job's work, arrival and the clock
(contract 2), the shipped SRTF-like and Tiresias-like policies use it, and a plug-in
asking for a contract version this fragscope lacks is a clear error."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from fragscope import Simulation
from fragscope.policies.base import AllocationInputs
from fragscope.policies.contract import AllocationProblem
from conftest import REPO, run_cli

PLUGINS = REPO / "scenarios" / "plugins"


def _load(name: str, cls: str):
    spec = importlib.util.spec_from_file_location(f"shipped_{name}", PLUGINS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, cls)


def _problem(remaining, total, arrival, demand=(1, 1, 1), capacity=2) -> AllocationProblem:
    ids = list(range(len(remaining)))
    return AllocationProblem.of(AllocationInputs(
        job_ids=ids, worker_types=["v100"], throughputs={j: {"v100": 1.0} for j in ids},
        scale_factors={j: int(demand[j]) for j in ids}, priority_weights={j: 1.0 for j in ids},
        cluster_spec={"v100": capacity}, num_steps_remaining=dict(zip(ids, remaining)),
        times_since_start={j: 100.0 - arrival[j] for j in ids}, total_steps=dict(zip(ids, total)),
        arrival_s=dict(zip(ids, arrival)), now_s=100.0, round_index=7))


def test_the_problem_carries_each_jobs_work_arrival_and_the_clock():
    p = _problem([5, 50, 1], [10, 60, 90], [3.0, 1.0, 2.0])
    assert p.remaining_steps.tolist() == [5, 50, 1] and p.total_steps.tolist() == [10, 60, 90]
    assert p.arrival_s.tolist() == [3.0, 1.0, 2.0] and p.time_in_system_s.tolist() == [97.0, 99.0, 98.0]
    assert p.now_s == 100.0 and p.round_index == 7
    with pytest.raises(ValueError):
        p.remaining_steps[0] = 0          # read-only


def test_srtf_gives_the_gpus_to_the_shortest_remaining_jobs():
    x = _load("srtf", "ShortestRemainingFirst")().allocate(_problem([5, 50, 1], [10, 60, 90], [0, 0, 0]))
    assert x[:, 0].tolist() == [1.0, 0.0, 1.0]       # two GPUs: jobs 2 (1 step left) and 0 (5)


def test_tiresias_gives_the_gpus_to_the_least_attained_service():
    # done: job 0: 5 steps, job 1: 10, job 2: 89 -> jobs 0 and 1
    x = _load("tiresias", "LeastAttainedService")().allocate(_problem([5, 50, 1], [10, 60, 90], [0, 0, 0]))
    assert x[:, 0].tolist() == [1.0, 1.0, 0.0]


def test_in_a_run_the_context_is_the_engines_state():
    seen = []

    class Spy:
        contract_version = 2

        def allocate(self, problem):
            seen.append(problem)
            return np.zeros(problem.throughputs.shape)

    sim = Simulation.from_scenario("plugins/srtf")
    sim.state.policy = Spy()
    for _ in range(5):
        sim.step()
    p = seen[-1]
    s = sim.state
    assert p.round_index >= 1 and p.now_s <= s.now
    for i, j in enumerate(p.job_ids):
        assert p.total_steps[i] == s.jobs[j].total_steps and p.arrival_s[i] == s.start_ts[j]


@pytest.mark.parametrize("scenario", ["plugins/srtf", "plugins/tiresias"])
def test_the_shipped_context_policies_run(scenario, tmp_path):
    assert run_cli(["run", scenario, "--out", str(tmp_path / "o"), "--quiet"]) == 0


def test_a_contract_version_this_fragscope_lacks_is_an_error(tmp_path, capsys):
    (tmp_path / "future.py").write_text("class Future:\n    contract_version = 99\n"
                                        "    def score(self, task, cluster, nodes):\n        return [0] * len(nodes)\n")
    code = run_cli(["run", "teach/frag-demo", "--set", f"placement={tmp_path / 'future.py'}:Future", "--out",
                    str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "contract_version = 99" in err and "versions 1 to 2" in err
