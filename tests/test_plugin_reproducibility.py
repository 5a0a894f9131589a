"""Issue 23, no reproducibility holes: a plug-in drawing from Python's or numpy's global
random state is a clear error pointing at run.rng; a plug-in may not end the process; an
installed package cannot take a built-in's name; each plug-in's identity is in
summary.json and in sweep points, and a sweep re-runs a point whose plug-in changed; a
failed run leaves --out saying so."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import REPO, run_cli

FRAG = "teach/frag-demo"

PLACEMENTS = textwrap.dedent('''
    import random
    import numpy as np
    from random import choice

    class PyRandom:
        def score(self, task, cluster, nodes):
            return [random.random() for _ in nodes]          # LINE-PY

    class NpRandom:
        def score(self, task, cluster, nodes):
            return np.random.rand(len(nodes))               # LINE-NP

    class Imported:
        def score(self, task, cluster, nodes):
            best = choice(range(len(nodes)))                  # LINE-IMPORTED
            return [float(i == best) for i in range(len(nodes))]

    class Unseeded:
        def setup(self, run):
            self.rng = np.random.default_rng()               # LINE-UNSEEDED
        def score(self, task, cluster, nodes):
            return self.rng.random(len(nodes))

    class AtInit:
        def __init__(self):
            self.noise = random.random()                      # LINE-INIT
        def score(self, task, cluster, nodes):
            return [0.0] * len(nodes)

    class Exits:
        def score(self, task, cluster, nodes):
            raise SystemExit(0)                               # LINE-EXIT

    class Seeded:
        def setup(self, run):
            self.rng = run.rng
        def score(self, task, cluster, nodes):
            return self.rng.random(len(nodes))
''')

POLICY = textwrap.dedent('''
    import random
    import numpy as np

    class Jitter:
        def allocate(self, problem):
            x = np.full((len(problem.job_ids), len(problem.gpu_types)), 0.0)
            x[:, 0] = random.random() * 0                      # LINE-POLICY
            return x
''')


@pytest.fixture()
def plugins(tmp_path):
    (tmp_path / "place.py").write_text(PLACEMENTS)
    (tmp_path / "policy.py").write_text(POLICY)
    return tmp_path


def _line(text: str, tag: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if tag in line)


@pytest.mark.parametrize("cls, tag, what", [
    ("PyRandom", "LINE-PY", "random.random()"),
    ("NpRandom", "LINE-NP", "numpy.random.rand()"),
    ("Imported", "LINE-IMPORTED", "random.choice()"),
    ("Unseeded", "LINE-UNSEEDED", "numpy.random.default_rng() without a seed"),
    ("AtInit", "LINE-INIT", "random.random()"),
])
def test_global_random_state_in_a_placement_is_an_error_pointing_at_run_rng(plugins, tmp_path, capsys, cls, tag,
                                                                             what):
    code = run_cli(["run", FRAG, "--set", f"placement={plugins / 'place.py'}:{cls}", "--out",
                    str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert what in err and "run.rng" in err and f"place.py:{cls}" in err
    assert f'line {_line(PLACEMENTS, tag)}' in err          # the plug-in's own line
    assert "fragscope/" not in err.replace(str(plugins), "")  # none of fragscope's frames


def test_global_random_state_in_a_policy_is_an_error_too(plugins, tmp_path, capsys):
    code = run_cli(["run", FRAG, "--set", f"policy={plugins / 'policy.py'}:Jitter", "--out", str(tmp_path / "o"),
                    "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "random.random()" in err and "policy.py:Jitter" in err
    assert f"line {_line(POLICY, 'LINE-POLICY')}" in err


def test_a_seeded_plugin_is_byte_identical_and_the_global_functions_work_outside(plugins, tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"o{k}"
        assert run_cli(["run", FRAG, "--set", f"placement={plugins / 'place.py'}:Seeded", "--out", str(out),
                        "--quiet"]) == 0
        outs.append([(out / n).read_bytes() for n in ("summary.json", "jobs.csv", "rounds.csv")])
    assert outs[0] == outs[1]
    random.seed(3)   # outside plug-in code: untouched
    assert 0 <= random.random() < 1 and np.random.rand(2).shape == (2,)
    assert np.random.default_rng().random() < 1


def test_a_plugin_that_exits_is_an_error_not_a_silent_exit_0(plugins, tmp_path, capsys):
    code = run_cli(["run", FRAG, "--set", f"placement={plugins / 'place.py'}:Exits", "--out", str(tmp_path / "o"),
                    "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "SystemExit" in err and "must not end the process" in err
    assert f"line {_line(PLACEMENTS, 'LINE-EXIT')}" in err


def _fake_distribution(root, dist: str, name: str) -> None:
    """An installed distribution ``dist`` 1.0 registering placement ``name``."""
    (root / f"{dist}.py").write_text("from fragscope.placement.bestfit import BestFit\n"
                                     "class Other(BestFit):\n    name = 'other'\n")
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[fragscope.placements]\n{name} = {dist}:Other\n")


def _cli(args, pythonpath) -> subprocess.CompletedProcess:
    import os
    env = dict(os.environ, PYTHONPATH=f"{pythonpath}{os.pathsep}{REPO}")
    return subprocess.run([sys.executable, "-m", "fragscope.tui", *args], capture_output=True, text=True, env=env)


def test_an_installed_package_cannot_take_a_builtin_name(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _fake_distribution(site, "shadowpkg", "bestfit")
    proc = _cli(["run", FRAG, "--set", "placement=bestfit", "--out", str(tmp_path / "o"), "--quiet"], site)
    assert proc.returncode == 2, proc.stderr
    assert "'bestfit' is registered" in proc.stderr and "shadowpkg 1.0 (shadowpkg:Other)" in proc.stderr
    assert "fragscope" in proc.stderr and "built-in names are reserved" in proc.stderr
    # other names are not affected
    assert _cli(["run", FRAG, "--set", "placement=fgd", "--out", str(tmp_path / "o2"), "--quiet"],
                site).returncode == 0


def test_two_packages_with_one_name_is_an_error_naming_both(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _fake_distribution(site, "alpha", "clash")
    _fake_distribution(site, "beta", "clash")
    proc = _cli(["run", FRAG, "--set", "placement=clash", "--out", str(tmp_path / "o"), "--quiet"], site)
    assert proc.returncode == 2
    assert "alpha 1.0" in proc.stderr and "beta 1.0" in proc.stderr and "rename one" in proc.stderr


def test_summary_records_each_plugins_identity(plugins, tmp_path):
    out = tmp_path / "o"
    assert run_cli(["run", FRAG, "--set", f"placement={plugins / 'place.py'}:Seeded", "--out", str(out),
                    "--quiet"]) == 0
    ids = json.loads((out / "summary.json").read_text())["plugins"]
    import hashlib
    assert ids["placement"]["sha256"] == hashlib.sha256((plugins / "place.py").read_bytes()).hexdigest()
    assert ids["policy"] == {"spec": "max_min_fairness_perf", "distribution": "fragscope",
                             "version": __import__("fragscope").__version__}


def test_a_sweep_reruns_a_point_whose_plugin_changed(tmp_path, capsys):
    plugin = tmp_path / "mine.py"
    plugin.write_text("class Mine:\n    def score(self, task, cluster, nodes):\n"
                      "        return cluster.free_gpu_milli[nodes].sum(axis=1)\n")
    (tmp_path / "base.yaml").write_text((REPO / "scenarios" / "teach" / "frag-demo.yaml").read_text()
                                        .replace("placement: fgd", "placement: mine.py:Mine"))
    (tmp_path / "sweep.yaml").write_text("base: base.yaml\nseeds: [0, 1]\ngrid: {}\n")
    out = tmp_path / "out"
    assert run_cli(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert run_cli(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out)]) == 0
    assert "(0 run now, 2 already done)" in capsys.readouterr().out
    plugin.write_text(plugin.read_text().replace("sum(axis=1)", "sum(axis=1) * -1"))   # worst fit now
    assert run_cli(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out)]) == 0
    assert "(2 run now, 0 already done)" in capsys.readouterr().out
    point = next((out / "points").iterdir())
    import hashlib
    recorded = json.loads((point / "point.json").read_text())["plugins"]["placement"]["sha256"]
    assert recorded == hashlib.sha256(plugin.read_bytes()).hexdigest()


def test_a_failed_run_leaves_out_saying_so(plugins, tmp_path, capsys):
    out = tmp_path / "o"
    assert run_cli(["run", FRAG, "--out", str(out), "--quiet"]) == 0
    assert run_cli(["run", FRAG, "--set", f"placement={plugins / 'place.py'}:PyRandom", "--out", str(out),
                    "--quiet"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["FAILED.txt"]      # no earlier file passes as this run's
    assert "random.random()" in (out / "FAILED.txt").read_text()
    assert run_cli(["run", FRAG, "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["jobs.csv", "rounds.csv", "summary.json"]
