"""The pytest plug-in (engine/pytest_plugin.py) as a user's CI meets it, run in inner pytest
sessions (subprocesses, as a user's CI runs them): a missing golden fails, --fragscope-update writes it and says what it did, a
changed decision fails in words, and the plug-in costs nothing until used."""

from __future__ import annotations

import json
import subprocess
import sys

pytest_plugins = ["pytester"]

TEST = '''
def test_tiny(fragscope_pin):
    fragscope_pin("teach/tiny-packing", overrides={overrides}, rounds={rounds})
'''


def _write(pytester, overrides: list[str], rounds: int | None = 40) -> None:
    pytester.makepyfile(test_pin=TEST.format(overrides=overrides, rounds=rounds))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n")


def test_missing_golden_fails_then_update_writes_it_and_the_run_passes(pytester):
    _write(pytester, [])
    r = pytester.runpytest_subprocess()
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*no golden yet*--fragscope-update*"])
    r = pytester.runpytest_subprocess("--fragscope-update")
    r.assert_outcomes(passed=1)
    r.stdout.fnmatch_lines(["*inserted*test_pin.py::test_tiny*", "*1 inserted, 0 updated, 0 kept*"])
    golden = pytester.path / "__fragscope__" / "test_pin" / "test_tiny.json"
    data = json.loads(golden.read_text())
    assert data["rounds"] == 40 and len(data["fingerprints"]) == 40 and data["decisions"]
    assert "lp_solvers" not in json.dumps(data) and "wall" not in json.dumps(data)   # nothing volatile
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    r = pytester.runpytest_subprocess("--fragscope-update")
    r.stdout.fnmatch_lines(["*kept*test_pin.py::test_tiny*"])


def test_a_changed_decision_fails_with_the_first_divergent_decision_in_words(pytester):
    _write(pytester, [], rounds=None)     # the whole run: its metrics are pinned too
    pytester.runpytest_subprocess("--fragscope-update").assert_outcomes(passed=1)
    _write(pytester, ["sharing=false"], rounds=None)
    r = pytester.runpytest_subprocess("--fragscope-artifacts", "artifacts")
    r.assert_outcomes(failed=1)
    out = r.stdout.str()
    assert "first divergent decision: round " in out and "→" in out and "metrics:" in out
    assert "-vv" not in out and "assert" not in out.lower().split("short test summary")[0].split("___")[-1]
    assert any(p.suffix == ".txt" for p in (pytester.path / "artifacts").iterdir())
    r = pytester.runpytest_subprocess("--fragscope-update")
    r.stdout.fnmatch_lines(["*updated*test_pin.py::test_tiny*"])
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_golden_of_another_format_is_named(pytester):
    _write(pytester, [])
    pytester.runpytest_subprocess("--fragscope-update").assert_outcomes(passed=1)
    golden = pytester.path / "__fragscope__" / "test_pin" / "test_tiny.json"
    data = json.loads(golden.read_text())
    data["golden_format"], data["fragscope_version"] = 99, "9.9.9"
    golden.write_text(json.dumps(data))
    r = pytester.runpytest_subprocess()
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*golden format 99 (written by fragscope 9.9.9)*--fragscope-update*"])


def test_the_plugin_module_imports_no_engine():
    code = ("import sys, fragscope.pytest_plugin; "
            "heavy = [m for m in ('numpy', 'cvxpy', 'pandas', 'fragscope.core.simulation') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_plugin_paths_beside_the_test_edited_goldens_and_artifacts_of_a_missing_golden(pytester):
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n")
    sub = pytester.mkdir("tests")
    (sub / "worst.py").write_text("import numpy as np\nclass Worst:\n"
                                  "    def score(self, task, cluster, nodes):\n"
                                  "        return -np.asarray(nodes, np.int64)\n")
    (sub / "test_w.py").write_text("def test_w(fragscope_pin):\n"
                                   "    fragscope_pin('teach/tiny-packing', overrides=['placement=worst.py:Worst'],"
                                   " rounds=30)\n")
    r = pytester.runpytest_subprocess("tests", "--fragscope-artifacts", "art")
    r.assert_outcomes(failed=1)
    assert (pytester.path / "art" / "test_w__test_w.new.json").is_file()     # missing golden: the new one kept
    pytester.runpytest_subprocess("tests", "--fragscope-update").assert_outcomes(passed=1)
    import os
    here = os.getcwd()
    os.chdir(sub)
    try:     # from the test's own folder too: the plug-in file is found beside the test
        pytester.runpytest_subprocess(".").assert_outcomes(passed=1)
    finally:
        os.chdir(here)
    golden = sub / "__fragscope__" / "test_w" / "test_w.json"
    data = json.loads(golden.read_text())
    data["decisions"][0] = data["decisions"][0].replace("placed", "moved")
    golden.write_text(json.dumps(data))
    r = pytester.runpytest_subprocess("tests")
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*decision list differs from its fingerprints*line 1*"])
    assert "During handling" not in r.stdout.str()
