"""Scenario loading: overrides, YAML number rules, path resolution, defaults."""

from __future__ import annotations


from fragscope import load_scenario
from fragscope.core.scenario import TraceWorkload


def test_unquoted_gavel_cluster_spec_is_not_base_60(tmp_path):
    (tmp_path / "s.yaml").write_text("cluster: {gavel: 36:36:36}\nworkload: {generate: {lam: 0, window: [0, 3]}}\n")
    cfg = load_scenario(tmp_path / "s.yaml")
    assert cfg.cluster.spec() == {"k80": 36, "p100": 36, "v100": 36}


def test_set_overrides_any_key_with_yaml_scalars(tmp_path):
    (tmp_path / "s.yaml").write_text("cluster: {gavel: '1:1:1'}\nworkload: {generate: {lam: 0, window: [0, 3]}}\n")
    cfg = load_scenario(tmp_path / "s.yaml", ["seed=7", "workload.generate.lam=900.5",
                                              "workload.generate.window=[10, 20]",
                                              "policy=fifo", "sharing=false"])
    assert cfg.seed == 7 and cfg.mode.policy_name == "fifo"
    assert cfg.workload.config.lam == 900.5 and cfg.workload.window == (10, 20)


def test_relative_paths_resolve_against_scenario_folder(tmp_path, monkeypatch):
    sub = tmp_path / "sc"
    sub.mkdir()
    line = "A3C\tc\td\t-n\t1\t100\t1\t1\t-1\t0\n"
    (sub / "j.trace").write_text(line)
    (sub / "s.yaml").write_text("cluster: {gavel: '1:1:1'}\nworkload: {trace: j.trace}\n")
    monkeypatch.chdir(tmp_path)
    cfg = load_scenario("sc/s.yaml")
    assert isinstance(cfg.workload, TraceWorkload) and len(cfg.workload.jobs) == 1
    # A path given with --set resolves against the current folder, where it was typed.
    (tmp_path / "other.trace").write_text(line + line)
    cfg = load_scenario("sc/s.yaml", ["workload.trace=other.trace"])
    assert len(cfg.workload.jobs) == 2


def test_defaults_fill_the_effective_scenario():
    cfg = load_scenario({"cluster": {"gavel": "2:0:1", "gpus_per_server": "2:1:1"},
                         "workload": {"trace": "builtin:small_test"}})
    eff = cfg.effective
    assert eff["policy"] == "max_min_fairness_perf" and eff["solver"] == "ECOS"
    assert eff["round_seconds"] == 360 and eff["sharing"] is False
    assert eff["cluster"] == {"gavel": "2:0:1", "gpus_per_server": "2:1:1"}
    # v100 GPUs 0..1 form one 2-GPU server; K80 comes first alphabetically.
    assert [(s.gpu_type, s.gpu_ids) for s in cfg.cluster.servers] == [("k80", (0,)), ("v100", (1, 2))]


def test_builtin_tables_and_traces():
    cfg = load_scenario({"cluster": {"gavel": "2:0:4"}, "throughputs": {"file": "builtin:physical"},
                         "workload": {"trace": "builtin:artifact_evaluation"}})
    assert cfg.throughputs.source.endswith("physical_cluster_throughputs.json")
    assert len(cfg.workload.jobs) == 15
