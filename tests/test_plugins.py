"""Placement plug-ins: the contract of docs/plugins.md, held by the framework.

Built-ins re-written from their formulas decide exactly like the built-ins (the
framework's tie rule and default GPU pick are the built-ins'); a broken plug-in is one
clear message naming it, with its own traceback lines and no fragscope-internal frames.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, run_cli, tiny_trace
from fragscope import InputError, load_scenario, placement_names
from fragscope.placement.cluster_state import ClusterState
from fragscope.placement.fragmentation import Task, TaskType, target_workload_from_pods
from fragscope.experiments.fill import run_fill
from fragscope.placement.placer import Placer
from fragscope.model.alibaba import read_node_list, read_pod_list

PLUGINS = Path(__file__).parent / "plugins"
FORMULA = PLUGINS / "formula.py"
BROKEN = PLUGINS / "broken.py"


# --------------------------------------------------------------------------- registry
def test_builtins_are_registered_like_any_plugin():
    """The registry's names are the entry points fragscope's own pyproject.toml declares."""
    import tomllib
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = meta["project"]["entry-points"]["fragscope.placements"]
    assert set(declared) <= set(placement_names())
    assert all(v.startswith("fragscope.placement.") for v in declared.values())


@pytest.mark.slow
@pytest.mark.parametrize("builtin,plugin,seeds", [("bestfit", "FormulaBestFit", "42-44"),
                                                  ("dotprod", "FormulaDotProd", "42")])
def test_a_builtin_rewritten_as_a_plugin_fills_byte_identically(tmp_path, builtin, plugin, seeds):
    base = ["fill", "--trace", "default", "--seeds", seeds, "--quiet"]
    assert run_cli(base + ["--placement", builtin, "--out", str(tmp_path / "b")]) == 0
    assert run_cli(base + ["--placement", f"{FORMULA}:{plugin}", "--out", str(tmp_path / "p")]) == 0
    for name in ("curves.csv", "median.csv"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "p" / name).read_bytes()


def _run_files(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in ("jobs.csv", "rounds.csv")}


@pytest.mark.slow
def test_a_builtin_rewritten_as_a_plugin_runs_byte_identically_in_round_mode(tmp_path):
    common = ["--set", "sharing=true", "--set", "workload.generate.window=[0,60]", "--quiet"]
    assert run_cli(["run", "alibaba-ab", "--out", str(tmp_path / "b"), "--set", "placement=bestfit"] + common) == 0
    assert run_cli(["run", "alibaba-ab", "--out", str(tmp_path / "p"),
                    "--set", f"placement={FORMULA}:FormulaBestFit"] + common) == 0
    assert _run_files(tmp_path / "b") == _run_files(tmp_path / "p")


def test_fgd_decides_like_fgd_written_from_the_public_contract(tmp_path):
    """The built-in FGD (its index, its place_many hook) and FGD written from
    ``cluster.frag_delta`` / ``frag_gpus`` alone (tests/plugins/formula.py) agree, decision
    after decision, in both scorings, recorded or not."""
    from fragscope.placement.registry import REGISTRY
    n, p = tiny_trace(tmp_path)
    nodes, pods = read_node_list(n), read_pod_list(p)
    formula = REGISTRY.create(REGISTRY.resolve(f"{FORMULA}:FormulaFGD"))
    rank = np.random.default_rng(5).permutation(len(nodes))
    tasks = [Task(TaskType(int(c), int(g), int(k), m), int(mem)) for c, g, k, m, mem in
             zip(pods.cpu_milli, pods.gpu_milli, pods.num_gpu, pods.gpu_spec, pods.memory_mib)]
    for mode in ("score", "exact"):
        plain = Placer(ClusterState(nodes, target_workload_from_pods(pods)), formula, rank, fgd_scoring=mode)
        fgd = Placer(ClusterState(nodes, target_workload_from_pods(pods)), "fgd", rank, fgd_scoring=mode)
        for i, task in enumerate(tasks * 2):
            a, b = fgd.decide(task, True, i), plain.decide(task, True, i)
            assert (a.node, a.gpus) == (b.node, b.gpus), f"task {i}"
            if i % 2:
                assert fgd.place_fast(task, i) == plain.place_fast(task, i), f"task {i}"
            elif a.node >= 0:
                fgd.state.allocate(a.node, task, a.gpus)
                plain.state.allocate(b.node, task, b.gpus)
        assert fgd.state.idle_sum == plain.state.idle_sum


def test_plugin_with_params_in_a_scenario_and_by_set(tmp_path, monkeypatch, capsys):
    scenario = REPO / "scenarios" / "plugins" / "worst-fit.yaml"
    cfg = load_scenario(scenario)
    assert cfg.mode.placement_name == "worst_fit.py:WorstFit" and cfg.mode.placement_params == {"cpu_weight": 0.1}
    assert cfg.mode.placement.file == str((scenario.parent / "worst_fit.py").resolve())
    # --set resolves the file against the current folder, where the user typed it
    monkeypatch.chdir(PLUGINS)
    cfg = load_scenario("teach/tiny-packing", ["placement=formula.py:FormulaBestFit"])
    assert cfg.mode.placement.file == str(FORMULA.resolve())


def test_plugin_scenario_runs_and_the_fork_can_switch_to_it(tmp_path):
    from fragscope import Simulation
    sim = Simulation.from_scenario("plugins/worst-fit")
    for _ in range(4):
        sim.step()
    fork = sim.clone()
    fork.set_placement("fgd")
    back = fork.clone()
    back.set_placement(f"{FORMULA}:FormulaBestFit")
    for s in (sim, fork, back):
        s.step()
    assert back.placement.endswith("formula.py:FormulaBestFit") and fork.placement == "fgd"


# --------------------------------------------------------------------------- broken plug-ins
BROKEN_CASES = [
    # (placement spec, params, expected text in the message, expects the plug-in's own line)
    (f"{PLUGINS}/missing.py:Nope", None, "file not found", None),
    (f"{PLUGINS}/import_error.py:Fine", None, "importing the file failed: IndexError", "WEIGHTS = np.array"),
    (f"{BROKEN}:Missing", None, "no class 'Missing'", None),
    (f"{BROKEN}:NOT_A_CLASS", None, "is not a class", None),
    (f"{BROKEN}:NoScore", None, "has no score() method", None),
    (f"{BROKEN}:StrictParams", {"wieght": 2}, "bad parameters", None),
    (f"{BROKEN}:InitRaises", None, "raised: RuntimeError: cannot start", 'raise RuntimeError("cannot start")'),
    (f"{BROKEN}:WrongLength", None, "must return one number per candidate node", None),
    (f"{BROKEN}:NotANumber", None, "scores must be finite", None),
    (f"{BROKEN}:Infinite", None, "scores must be finite", None),
    (f"{BROKEN}:Raises", None, "score() raised placing job 0: ValueError: my scorer gave up", 'raise ValueError("my scorer gave up")'),
    (f"{BROKEN}:PicksFullGpu", None, "pick_gpus() returned GPU", None),
    (f"{BROKEN}:PicksMissingGpu", None, "pick_gpus() returned GPU 100", None),
    (f"{BROKEN}:WritesToCluster", None, "score() raised placing job 0: ValueError: assignment destination is read-only", None),
    (f"{BROKEN}:HookRaises", None, "place_many() raised placing job 0: KeyError: 'my hook gave up'",
     'raise KeyError("my hook gave up")'),
    (f"{BROKEN}:HookIgnoresFilters", None, "place_many() returned GPU 0 on node 0 with 0 free milli-GPU", None),
    (f"{BROKEN}:HookAnswersNothing", None, "place_many() returned 0 answers when asked for 1 task(s)", None),
    ("no_such_module_xyz:Strategy", None, "no module named 'no_such_module_xyz'", None),
]


def _in_fragscope(filename: str) -> bool:
    import fragscope
    import fragscope.tui
    roots = [Path(fragscope.__file__).resolve().parent, Path(fragscope.tui.__file__).resolve().parent]
    return any(Path(filename).resolve().is_relative_to(root) for root in roots)


def test_the_frame_filter_tells_fragscope_from_a_plugin_in_a_folder_named_fragscope(tmp_path):
    import fragscope
    assert _in_fragscope(fragscope.__file__)
    assert not _in_fragscope(str(tmp_path / "fragscope" / "engine" / "my_plugin.py"))


@pytest.mark.parametrize("spec,params,expected,own_line", BROKEN_CASES,
                         ids=[c[0].rsplit(":", 1)[-1] + ("-params" if c[1] else "") for c in BROKEN_CASES])
def test_a_broken_plugin_is_exit_2_naming_it_with_only_its_own_lines(tmp_path, capsys, spec, params, expected,
                                                                     own_line):
    n, p = tiny_trace(tmp_path)
    out = tmp_path / "out"
    if params is None:
        code = run_cli(["fill", "--nodes", str(n), "--pods", str(p), "--placement", spec, "--seeds", "1",
                        "--workers", "1", "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
    else:
        with pytest.raises(InputError) as exc:
            run_fill(n, p, [spec], [1], out, workers=1, params={spec: params})
        code, err = 2, f"fragscope: error: {exc.value}\n"
    assert code == 2
    assert expected in err, err
    assert spec.rsplit(":", 1)[-1] in err                  # names the class
    assert "Traceback" not in err
    frames = re.findall(r'File "([^"]+)"', err)
    # no frame of fragscope's own code (its package folders, wherever this checkout lives
    # and whatever its folder is called: a clone is usually named fragscope)
    assert not [f for f in frames if _in_fragscope(f)], err
    if own_line:
        assert own_line in err and frames, err
    assert not out.exists()                                 # nothing half-written, not even the folder


def test_a_syntax_error_in_a_plugin_file_shows_its_line(tmp_path, capsys):
    (tmp_path / "syntax.py").write_text("class Bad:\n    def score(self, task, cluster, nodes)\n        return 0\n")
    assert run_cli(["run", "teach/tiny-packing", "--set", f"placement={tmp_path / 'syntax.py'}:Bad",
                    "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "SyntaxError" in err and f'File "{tmp_path / "syntax.py"}", line 2' in err
    assert "def score(self, task, cluster, nodes)" in err


def test_switching_placement_by_set_drops_the_files_params(tmp_path):
    """placement_params belong to the scenario's own placement: --set placement=fgd on a
    scenario whose params are WorstFit's runs FGD with none (unless params are set too)."""
    cfg = load_scenario("plugins/worst-fit", ["placement=fgd"])
    assert cfg.mode.placement_name == "fgd" and cfg.mode.placement_params == {}
    cfg = load_scenario("plugins/worst-fit", [f"placement={REPO / 'scenarios' / 'plugins' / 'worst_fit.py'}:WorstFit",
                                              "placement_params.cpu_weight=0.5"])
    assert cfg.mode.placement_params == {"cpu_weight": 0.5}


def test_a_plugin_failing_during_snapshot_is_exit_2_with_its_message(tmp_path, capsys):
    code = run_cli(["snapshot", "plugins/worst-fit", "--rounds", "20", "--fork-at", "5",
                    "--fork-placement", f"{BROKEN}:Raises", "--out", str(tmp_path / "s.txt")])
    err = capsys.readouterr().err
    assert code == 2 and "my scorer gave up" in err and not (tmp_path / "s.txt").exists()


def test_output_files_get_the_usual_permissions(tmp_path):
    import os
    old = os.umask(0o022)
    try:
        assert run_cli(["run", "gavel/t1-mmf", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "o" / "summary.json").stat().st_mode & 0o777 == 0o644


def test_a_broken_plugin_in_a_scenario_names_the_scenario_key(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text((REPO / "scenarios" / "plugins" / "worst-fit.yaml").read_text()
                        .replace("worst_fit.py:WorstFit", f"{BROKEN}:StrictParams")
                        .replace("{cpu_weight: 0.1}", "{weight: 1, extra: 2}"))
    assert run_cli(["run", str(scenario), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "StrictParams" in err and "bad parameters" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_plugin_failing_mid_run_is_exit_2_and_writes_nothing(tmp_path, capsys):
    assert run_cli(["run", "teach/tiny-packing", "--set", f"placement={BROKEN}:Raises",
                    "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "my scorer gave up" in err and 'raise ValueError("my scorer gave up")' in err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- policies
BROKEN_POLICIES = PLUGINS / "broken_policies.py"
POLICY_CASES = [
    ("WrongShape", "returned shape"),
    ("NegativeShare", "must be >= 0"),
    ("RowOverOne", "summing to"),
    ("OverCapacity", "GPUs of type"),
    ("NotFinite", "must be finite"),
    ("Raises", "allocate() raised: ZeroDivisionError"),
    ("NegativeSubclass", "get_allocation() returned -0.5 for job"),
    ("RowOverOneSubclass", "allocate() gives job"),
]


@pytest.mark.parametrize("cls,expected", POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_a_policy_breaking_the_contract_is_exit_2_naming_it(tmp_path, capsys, cls, expected):
    # tiny-packing's first arrivals oversubscribe nothing, so OverCapacity piles every job onto one type
    code = run_cli(["run", "teach/tiny-packing", "--set", f"policy={BROKEN_POLICIES}:{cls}",
                    "--set", "workload.generate.lam=0", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and f"policy plug-in {BROKEN_POLICIES}:{cls}" in err, err
    assert "Traceback" not in err and not (tmp_path / "o").exists()
    frames = re.findall(r'File "([^"]+)"', err)
    assert all(f.endswith("broken_policies.py") for f in frames), err


def test_every_policy_answer_is_checked_on_one_road(monkeypatch):
    """Built-ins pass the contract's check (every registered policy, a few rounds of a
    shared-GPU scenario and of Gavel's own mode), and the check does run on them: the
    built-in's own hook answer goes through checked_allocation_dict."""
    from fragscope import Simulation
    from fragscope.policies import contract, policy_names
    seen = []
    real = contract.checked_allocation_dict

    def spy(ref, alloc, inputs, capacity=True):
        seen.append(ref.cls)
        return real(ref, alloc, inputs, capacity)

    monkeypatch.setattr(contract, "checked_allocation_dict", spy)
    for name in policy_names():
        for sharing in (True, False):
            sim = Simulation.from_scenario("teach/tiny-packing", [f"policy={name}", f"sharing={str(sharing).lower()}",
                                                                 "workload.generate.lam=0"])
            for _ in range(3):
                sim.step()
    loaded = {REGISTRY_POLICIES().load(REGISTRY_POLICIES().resolve(n)).__name__ for n in policy_names()}
    assert loaded <= set(seen)


def REGISTRY_POLICIES():
    from fragscope.policies import REGISTRY
    return REGISTRY


def test_a_subclass_of_a_builtin_policy_is_checked(tmp_path):
    """The brief of docs/plugins.md: a subclass of a built-in is a plug-in like any other.
    Overriding get_allocation: its answer is checked; overriding allocate: allocate
    answers (the inherited hook would answer for the built-in's allocate), checked."""
    from fragscope.model.errors import InputError as Bad
    from fragscope.plugins import PluginError
    from fragscope.policies import make_policy
    from fragscope.policies.base import AllocationInputs
    from fragscope.policies.contract import run_policy
    inputs = AllocationInputs(job_ids=[0, 1, 2], worker_types=["k80", "v100"],
                              throughputs={j: {"k80": 1.0 + j, "v100": 3.0} for j in range(3)},
                              scale_factors={j: 1 for j in range(3)}, priority_weights={j: 1.0 for j in range(3)},
                              cluster_spec={"k80": 2, "v100": 1}, num_steps_remaining={j: 100.0 for j in range(3)},
                              times_since_start={j: 0.0 for j in range(3)})
    alloc, _ = run_policy(make_policy("max_min_fairness_perf"), inputs)   # the built-in itself passes
    assert set(alloc) == {0, 1, 2}
    for cls, message in (("NegativeSubclass", "get_allocation() returned -0.5 for job 0 on k80"),
                         ("RowOverOneSubclass", "allocate() gives job 0 time fractions summing to 1.8")):
        policy = make_policy(f"{BROKEN_POLICIES}:{cls}")
        with pytest.raises(PluginError) as exc:
            run_policy(policy, inputs)
        assert message in str(exc.value) and cls in str(exc.value) and isinstance(exc.value, Bad)


def test_a_policy_hook_answering_in_gavels_form_is_checked():
    """A user's policy may answer through the get_allocation hook; bad dicts are errors."""
    from fragscope.plugins import PluginError
    from fragscope.policies.base import AllocationInputs
    from fragscope.policies.contract import run_policy
    inputs = AllocationInputs(job_ids=[4, 7], worker_types=["a", "b"],
                              throughputs={4: {"a": 1.0, "b": 1.0}, 7: {"a": 1.0, "b": 2.0}},
                              scale_factors={4: 1, 7: 1}, priority_weights={4: 1.0, 7: 1.0},
                              cluster_spec={"a": 1, "b": 1}, num_steps_remaining={4: 1.0, 7: 1.0},
                              times_since_start={4: 0.0, 7: 0.0})

    class Dict:
        def __init__(self, answer):
            self.answer = answer

        def allocate(self, problem):
            raise AssertionError("the hook answers")

        def get_allocation(self, inputs):
            return self.answer

    good = {4: {"a": 1.0}, 7: {"b": 1.0}}
    assert run_policy(Dict(good), inputs)[0] is good                  # the policy's own floats, unchanged
    for answer, message in (({4: {"c": 1.0}}, "'c', which is not a GPU type"),
                            ({9: {"a": 0.5}}, "job 9, which is not an active job"),
                            ({4: {"a": 1.0}, 7: {"a": 1.0}}, "uses 2 GPUs of type a"),
                            ({4: {"a": float("nan")}}, "must be finite"),
                            ({4: {"a": "lots"}}, "time fractions must be numbers"),
                            ([0.5, 0.5], "must return a dict")):
        with pytest.raises(PluginError, match="get_allocation"):
            run_policy(Dict(answer), inputs)
        try:
            run_policy(Dict(answer), inputs)
        except PluginError as exc:
            assert message in str(exc), (message, str(exc))


def test_policy_plugin_scenario_runs_and_differs_from_the_lp(tmp_path):
    assert run_cli(["run", "plugins/proportional", "--out", str(tmp_path / "p"), "--quiet"]) == 0
    assert run_cli(["run", "plugins/proportional", "--set", "policy=max_min_fairness_perf",
                    "--out", str(tmp_path / "m"), "--quiet"]) == 0
    assert (tmp_path / "p" / "jobs.csv").read_bytes() != (tmp_path / "m" / "jobs.csv").read_bytes()


def test_builtin_policies_are_registered_and_declare_their_mechanism_needs():
    from fragscope.policies import REGISTRY, policy_names
    assert "max_min_fairness_perf" in policy_names() and "fifo" in policy_names()
    for name in policy_names():
        cls = REGISTRY.load(REGISTRY.resolve(name))
        # Gavel's rule, now declared: its policies whose class name lacks Perf/Packing shuffle types
        assert cls.shuffle_gpu_types == ("Perf" not in cls.gavel_name and "Packing" not in cls.gavel_name)
        assert cls.skip_zero_priority == cls.gavel_name.startswith("FIFO")


def test_a_sweep_grid_names_a_plugin_relative_to_the_sweep_file(tmp_path):
    from fragscope.experiments.sweep import load_sweep, run_sweep
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "mine.py").write_text(FORMULA.read_text())
    (tmp_path / "sweep.yaml").write_text(
        f"name: plug\nbase: {REPO / 'scenarios' / 'teach' / 'tiny-packing.yaml'}\n"
        "grid:\n  placement: [bestfit, strategies/mine.py:FormulaBestFit]\nseeds: [1]\n"
        "set: {workload.generate.window: [0, 12]}\n")
    spec = load_sweep(tmp_path / "sweep.yaml")
    mine = f"{tmp_path / 'strategies' / 'mine.py'}:FormulaBestFit"
    assert any(o.endswith(mine) for o in spec.points[1].overrides)
    run_sweep(spec, tmp_path / "out", workers=1)
    a, b = (tmp_path / "out" / "points" / p.folder for p in spec.points)
    assert (a / "jobs.csv").read_bytes() == (b / "jobs.csv").read_bytes()   # same decisions as the built-in
