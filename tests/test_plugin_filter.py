"""Issue 23, filter with reasons: a placement's ``filter`` vetoes nodes before scoring;
vetoed nodes are never scored, their reasons are in "why pending" and in the placement
records, and a task every node refuses is left unplaced (it waits)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from fragscope import InputError, Simulation, explain_job, load_scenario
from conftest import REPO, run_cli

PLUGINS = textwrap.dedent('''
    import numpy as np

    class OddOnly:
        """Anti-affinity of a kind: never the even-numbered nodes."""
        def __init__(self):
            self.scored = []
        def filter(self, task, cluster, nodes):
            return nodes % 2 == 1, ["even node" if n % 2 == 0 else None for n in nodes]
        def score(self, task, cluster, nodes):
            self.scored.extend(int(n) for n in nodes)
            return -cluster.free_gpu_milli[nodes].sum(axis=1)

    class NoneShall:
        def filter(self, task, cluster, nodes):
            return np.zeros(len(nodes), bool)
        def score(self, task, cluster, nodes):
            raise AssertionError("a vetoed node was scored")

    class BadShape:
        def filter(self, task, cluster, nodes):
            return [True]
        def score(self, task, cluster, nodes):
            return np.zeros(len(nodes))

    class BadReasons:
        def filter(self, task, cluster, nodes):
            return np.ones(len(nodes), bool), [1, 2]
        def score(self, task, cluster, nodes):
            return np.zeros(len(nodes))
''')


@pytest.fixture()
def plugin_file(tmp_path):
    path = tmp_path / "filters.py"
    path.write_text(PLUGINS)
    return path


def _sim(path, cls: str, scenario: str = "teach/frag-demo", explain: bool = True) -> Simulation:
    return Simulation.from_scenario(scenario, [f"placement={path}:{cls}"], explain=explain, decisions=True)


def test_vetoed_nodes_are_never_scored_nor_chosen_and_records_count_them(plugin_file):
    sim = _sim(plugin_file, "OddOnly")
    for _ in range(30):
        sim.step()
    placed = [d for d in sim.decisions() if d.action in ("placed", "moved")]
    assert placed and all(d.server % 2 == 1 for d in placed)
    assert all(n % 2 == 1 for n in sim.state.placer.placer.placement.scored)
    recs = [sim.placement_decision(d.job_id) for d in placed[-20:]]
    vetoes = [dict(r.rejected).get("filter: even node", 0) for r in recs if r is not None]
    assert vetoes and all(v > 0 for v in vetoes)
    assert all(c[0] % 2 == 1 for r in recs if r is not None for c in r.candidates)


def test_the_same_decisions_without_explanations(plugin_file):
    """The fast road (no records) and the explained road veto alike."""
    a, b = _sim(plugin_file, "OddOnly", explain=True), _sim(plugin_file, "OddOnly", explain=False)
    for _ in range(30):
        a.step()
        b.step()
    what = lambda s: [(d.round, d.job_id, d.action, d.gpus) for d in s.decisions()]  # noqa: E731
    assert what(a) == what(b)


def test_a_task_every_node_refuses_waits_and_why_says_the_reason(tmp_path):
    scenario = load_scenario(REPO / "scenarios" / "plugins" / "reserve-big.yaml").effective
    scenario = dict(scenario, cluster={"servers": [{"model": "G2", "count": 2, "gpus": 8, "cpu_milli": 96000,
                                                    "memory_mib": 393216}]},
                    placement=str(REPO / "scenarios" / "plugins" / "reserve_big.py") + ":ReserveBig")
    sim = Simulation.from_scenario(scenario, explain=True, decisions=True)
    for _ in range(12):
        sim.step()
    assert all(sim.job(d.job_id).num_gpus >= 4 for d in sim.decisions() if d.action == "placed")
    small = [j for j in sim.active_job_ids() if sim.job(j).num_gpus < 4]
    assert small
    answers = [explain_job(sim, j, lookahead=0) for j in small]
    vetoed = [a for a in answers if "vetoed by the placement (reserved for jobs of 4+ GPUs)" in a.summary]
    assert vetoed, [a.summary for a in answers]
    assert all(a.state == "pending" for a in vetoed)


def test_a_filter_refusing_everything_places_nothing(plugin_file):
    sim = _sim(plugin_file, "NoneShall")
    for _ in range(5):
        sim.step()
    assert not any(d.action == "placed" for d in sim.decisions())


@pytest.mark.parametrize("cls, words", [("BadShape", "filter() must return a boolean mask"),
                                        ("BadReasons", "filter()'s reasons must be")])
def test_a_bad_filter_answer_is_exit_2_naming_the_plugin(plugin_file, tmp_path, capsys, cls, words):
    code = run_cli(["run", "teach/frag-demo", "--set", f"placement={plugin_file}:{cls}", "--out",
                    str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and words in err and f"filters.py:{cls}" in err


def test_the_shipped_reservation_keeps_big_servers_for_big_jobs():
    sim = Simulation.from_scenario("plugins/reserve-big", decisions=True)
    for _ in range(200):
        if sim.done:
            break
        sim.step()
    on_g2 = [d for d in sim.decisions() if d.action in ("placed", "moved") and d.gpu_type == "G2"]
    assert on_g2 and all(sim.job(d.job_id).num_gpus >= 4 for d in on_g2)
    elsewhere = [d for d in sim.decisions() if d.action == "placed" and d.gpu_type != "G2"]
    assert elsewhere
