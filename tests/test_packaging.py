"""The package is self-contained: one import name, every scenario and data set inside it.

The wheel itself is proved by .ci/wheel-smoke (built, installed alone, run from an empty
folder with any read of the checkout or ../shared fatal); these tests pin the pieces.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

import fragscope
from conftest import REPO, run_cli
from fragscope import InputError, builtin_names, find_scenario, load_scenario, shipped_scenarios
from fragscope.model.packaged import alibaba_trace, builtin_data

PACKAGE_DIRS = {"fragscope": "engine", "fragscope.tui": "tui", "fragscope.scenarios": "scenarios"}


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_source_folder_is_a_listed_package_of_fragscope():
    setup = _pyproject()["tool"]["setuptools"]
    assert setup["package-dir"] == PACKAGE_DIRS
    found = set()
    for name, folder in PACKAGE_DIRS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((name, *rel)))
    nested = {n for n in found if any(n.startswith(p + ".") and n != p for p in ("fragscope.tui", "fragscope.scenarios"))
              and n.split(".")[1] in ("tui", "scenarios")}
    # engine/ holds neither a tui nor a scenarios folder: those names come from their own folders
    assert sorted(found) == sorted(setup["packages"]), "pyproject.toml's package list is out of date"
    assert nested <= set(setup["packages"])


def test_no_module_imports_the_old_top_level_names():
    offenders = []
    for folder in ("engine", "tui", "tests", "bench", "scenarios"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(REPO)}: {n}" for n in names
                              if n.split(".")[0] in ("engine", "tui")]
    assert not offenders


def test_version_is_one_string():
    assert fragscope.__version__ and fragscope.__version__[0].isdigit()
    assert "dynamic" in _pyproject()["project"] and "version" in _pyproject()["project"]["dynamic"]


@pytest.mark.parametrize("shipped", shipped_scenarios(), ids=lambda s: s.name)
def test_every_shipped_scenario_loads_by_name_and_refers_only_to_packaged_data(shipped):
    text = shipped.path.read_text()
    assert "../" not in text and "shared/" not in text, "a shipped file points outside the package"
    assert shipped.description, "every shipped scenario has a one-line description"
    if shipped.name.startswith("sweeps/") and "grid:" in text:
        from fragscope.experiments.sweep import load_sweep
        spec = load_sweep(find_scenario(shipped.name, "sweep"))
        assert spec.points
    else:
        config = load_scenario(shipped.name)
        assert config is not None


def test_a_scenario_name_with_yaml_or_the_scenarios_prefix_finds_the_same_file():
    p = find_scenario("teach/tiny-packing")
    assert find_scenario("teach/tiny-packing.yaml") == p == find_scenario("scenarios/teach/tiny-packing")


def test_an_unknown_scenario_name_is_one_line_with_the_nearest_names(capsys, tmp_path):
    assert run_cli(["run", "teach/alibaba", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "teach/alibaba-1213" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_scenarios_command_lists_every_shipped_scenario(capsys):
    assert run_cli(["scenarios"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == [s.name for s in shipped_scenarios()]


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli(["--version"])
    assert exc.value.code == 0 and fragscope.__version__ in capsys.readouterr().out


def test_all_24_alibaba_pod_lists_and_both_node_lists_ship():
    assert len(builtin_names("pods")) == 24 and len(builtin_names("nodes")) == 2
    for name in builtin_names("pods") + builtin_names("nodes"):
        kind = "nodes" if "_node_list_" in name else "pods"
        assert builtin_data(name, kind).stat().st_size > 1000
    assert (fragscope.model.packaged.data_root() / "alibaba" / "README.md").read_text().count("ATC") >= 1


def test_an_unknown_builtin_name_is_an_input_error_naming_the_key(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("cluster: {nodes_csv: builtin:alibaba/openb_node_list_gpu_nodes}\n"
                   "workload: {generate: {lam: 10, window: [0, 5], mix: alibaba-fork}}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(bad)
    msg = str(exc.value)
    assert "cluster.nodes_csv" in msg and "builtin:alibaba/openb_node_list_gpu_node" in msg


def test_fill_trace_names_the_papers_setting():
    nodes, pods = alibaba_trace("gpushare40")
    assert nodes.name == "openb_node_list_gpu_node.csv.gz" and pods.name == "openb_pod_list_gpushare40.csv.gz"
    with pytest.raises(InputError, match="default"):
        alibaba_trace("defualt")


def test_users_own_csv_paths_still_work(tmp_path, capsys):
    """A path to the user's own (plain, uncompressed) files keeps working beside builtin names."""
    import gzip
    nodes, pods = alibaba_trace("default")
    (tmp_path / "nodes.csv").write_bytes(gzip.decompress(nodes.read_bytes()))
    lines = gzip.decompress(pods.read_bytes()).decode().splitlines()[:400]
    (tmp_path / "pods.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "fill"
    assert run_cli(["fill", "--nodes", str(tmp_path / "nodes.csv"), "--pods", str(tmp_path / "pods.csv"),
                    "--placement", "bestfit", "--seeds", "1", "--out", str(out), "--workers", "1",
                    "--quiet"]) == 0
    assert (out / "curves.csv").read_text().startswith("placement,seed,arrived_pct")


def test_the_reference_outputs_live_in_the_repository():
    ref = REPO / "tests" / "reference"
    assert len(list((ref / "gavel").glob("*.json"))) == 6
    assert (ref / "fgd" / "reference_curves.csv").stat().st_size > 10_000
    assert not list(Path(REPO / "tests").rglob("*shared*"))
