"""Bad input: one clear line naming the file and key or line, exit code 2, no
traceback, and nothing written."""

from __future__ import annotations

import pytest

from conftest import run_cli

GOOD_LINE = "ResNet-18 (batch size 16)\tcmd\tdir\t-n\t1\t1000\t1\t1\t-1.000000\t0"

BASE = """\
seed: 0
cluster: {gavel: "4:4:4"}
workload: {trace: jobs.trace}
"""


def _case(tmp_path, scenario: str, trace: str | None = GOOD_LINE + "\n",
          extra: list[str] | None = None, capsys=None):
    (tmp_path / "s.yaml").write_text(scenario)
    if trace is not None:
        (tmp_path / "jobs.trace").write_text(trace)
    out = tmp_path / "out"
    code = run_cli(["run", str(tmp_path / "s.yaml"), "--out", str(out), "--quiet", *(extra or [])])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("fragscope: error: ") and err.count("\n") == 1, err
    assert not out.exists() or not any(out.iterdir())
    return err


CASES = {
    "yaml syntax": (BASE + "policy: [unclosed\n", None, None, ["s.yaml:", "invalid YAML"]),
    "unknown key with suggestion": (BASE + "polcy: fifo\n", None, None,
                                    ["unknown key 'polcy'", "did you mean 'policy'"]),
    "wrong type": (BASE.replace("seed: 0", "seed: abc"), None, None, ["key 'seed'", "integer"]),
    "unknown policy": (BASE + "policy: fastest\n", None, None,
                       ["key 'policy'", "unknown policy 'fastest'", "max_min_fairness_perf"]),
    "bad cluster spec": (BASE.replace('"4:4:4"', '"4:4"'), None, None,
                         ["key 'cluster.gavel'", "V:P:K"]),
    "missing trace file": (BASE.replace("jobs.trace", "nope.trace"), None, None,
                           ["workload.trace", "not found"]),
    "trace wrong field count": (BASE, GOOD_LINE.rsplit("\t", 1)[0] + "\n", None,
                                ["jobs.trace:1", "expected 10 tab-separated fields"]),
    "trace steps not integer": (BASE, GOOD_LINE + "\n" + GOOD_LINE.replace("\t1000\t", "\tlots\t") + "\n",
                                None, ["jobs.trace:2", "total_steps (column 6)"]),
    "trace arrivals decrease": (BASE, GOOD_LINE[:-1] + "50\n" + GOOD_LINE + "\n", None,
                                ["jobs.trace:2", "must not decrease"]),
    "trace unknown job type": (BASE, GOOD_LINE.replace("ResNet-18", "ResNet-19") + "\n", None,
                               ["jobs.trace:1", "ResNet-19", "no row"]),
    "job can never run": (BASE, GOOD_LINE.replace("\t1000\t1\t", "\t1000\t8\t") + "\n", None,
                          ["jobs.trace:1", "can never run"]),
    "multi-GPU trace job with sharing on and 1-GPU servers": (
        BASE + "sharing: true\n", GOOD_LINE.replace("\t1000\t1\t", "\t1000\t2\t") + "\n", None,
        ["jobs.trace:1", "2 GPUs", "can never run with sharing on", "gpus_per_server"]),
    "set without equals": (BASE, GOOD_LINE + "\n", ["policy"], ["--set", "dotted.key=value"]),
    "set unknown key": (BASE, GOOD_LINE + "\n", ["cluster.gpu=3"],
                        ["error: --set cluster.gpu: unknown key 'cluster.gpu'"]),
    "set unknown top key is blamed on --set": (BASE, GOOD_LINE + "\n", ["polcy=fifo"],
                                               ["error: --set polcy: unknown key 'polcy'", "did you mean 'policy'"]),
    "set bad value is blamed on --set": (BASE, GOOD_LINE + "\n", ["seed=-1"], ["error: --set seed: key 'seed'"]),
    "duplicate top-level key names both lines": (BASE + "policy: fifo\nseed: 3\n", None, None,
                                                 ["s.yaml:5: duplicate key 'seed'", "first given on line 1"]),
    "duplicate nested key": ("cluster: {gavel: '1:1:1'}\nworkload:\n  generate:\n    lam: 1\n"
                             "    window: [0, 3]\n    lam: 2\n", None, None,
                             ["s.yaml:6: duplicate key 'lam'", "line 4"]),
    "generate without lam": ("cluster: {gavel: '1:1:1'}\nworkload: {generate: {window: [0, 5]}}\n",
                             None, None, ["workload.generate.lam", "missing"]),
    "bad window": ("cluster: {gavel: '1:1:1'}\nworkload: {generate: {lam: 10, window: [5, 2]}}\n",
                   None, None, ["workload.generate.window", "start < end"]),
    "top level not a mapping": ("- just\n- a list\n", None, None, ["mapping of scenario keys"]),
    "negative round length": (BASE + "round_seconds: -3\n", None, None, ["round_seconds", "> 0"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_one_clear_message_and_exit_2(name, tmp_path, capsys):
    scenario, trace, extra, phrases = CASES[name]
    err = _case(tmp_path, scenario, GOOD_LINE + "\n" if trace is None else trace,
                [a for s in (extra or []) for a in ("--set", s)], capsys)
    for phrase in phrases:
        assert phrase in err, err


def test_missing_scenario_file(tmp_path, capsys):
    code = run_cli(["run", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "none.yaml: file not found" in err and "Traceback" not in err


def test_bad_throughput_json(tmp_path, capsys):
    (tmp_path / "t.json").write_text("{not json")
    err = _case(tmp_path, BASE + "throughputs: {file: t.json}\n", capsys=capsys)
    assert "t.json:1" in err and "not valid JSON" in err


def test_out_is_a_file(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(BASE)
    (tmp_path / "jobs.trace").write_text(GOOD_LINE + "\n")
    (tmp_path / "f").write_text("x")
    code = run_cli(["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "f")])
    assert code == 2 and "--out must be a folder" in capsys.readouterr().err


def test_a_file_error_is_still_blamed_on_the_file_when_set_touched_another_key(tmp_path, capsys):
    err = _case(tmp_path, BASE + "polcy: fifo\n", extra=["--set", "seed=3"], capsys=capsys)
    assert "s.yaml: unknown key 'polcy'" in err and "--set" not in err
