"""`fragscope snapshot` and `fragscope view`: byte-identical output, readable text, bad input → exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fragscope.tui.cli import main
from tui_helpers import REPO, TINY, deterministic_env  # noqa: F401


def _snapshot(out, *extra: str) -> int:
    return main(["snapshot", str(TINY), "--rounds", "12", "--fork-at", "5", "--size", "140x45",
                 *extra, "--out", str(out)])


def test_snapshot_svg_is_byte_identical_across_runs(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    assert _snapshot(a) == 0 and _snapshot(b) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text().startswith("<svg")
    assert not list(tmp_path.glob(".*"))  # atomic write left no temp file


def test_snapshot_text_is_identical_and_readable_in_a_diff(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    assert _snapshot(a, "--inspect", "1") == 0
    # a separate process, as CI would run it
    cmd = [sys.executable, "-m", "fragscope.tui", "snapshot", str(TINY), "--rounds", "12", "--fork-at", "5",
           "--size", "140x45", "--inspect", "1", "--out", str(b)]
    assert subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=120).returncode == 0
    assert a.read_text().splitlines() == b.read_text().splitlines()
    text = a.read_text()
    lines = text.splitlines()
    assert len(lines) == 45 and all(line == line.rstrip() for line in lines)
    assert "\x1b" not in text
    assert "round 12" in lines[0] and "SHARING OFF" in lines[0] and "SHARING ON" in lines[0]
    assert "Inspector · job 1" in text


@pytest.mark.parametrize("argv,needle", [
    (["--rounds", "3", "--size", "big", "--out", "x.svg"], "--size"),
    (["--rounds", "3", "--fork-at", "9", "--out", "x.svg"], "--fork-at"),
    (["--rounds", "-1", "--out", "x.svg"], "--rounds"),
    (["--rounds", "3", "--out", "x.png"], "--out"),
    (["--rounds", "3", "--set", "policy=nope", "--out", "x.txt"], "policy"),
    (["--rounds", "2", "--inspect", "999", "--out", "x.txt"], "--inspect"),
])
def test_snapshot_bad_input_is_one_line_and_exit_2(argv, needle, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["snapshot", str(TINY), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fragscope: error:") and needle in err
    assert not list(tmp_path.iterdir())


def test_snapshot_of_a_missing_scenario_is_exit_2(tmp_path, capsys):
    assert main(["snapshot", str(tmp_path / "nope.yaml"), "--rounds", "1",
                 "--out", str(tmp_path / "x.txt")]) == 2
    assert "not found" in capsys.readouterr().err


def test_view_of_a_missing_scenario_is_exit_2(tmp_path, capsys):
    assert main(["view", str(tmp_path / "nope.yaml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_view_without_a_scenario_opens_the_teaching_scenario(monkeypatch):
    from fragscope.tui import app as app_mod
    opened = {}

    def fake_run(self, *a, **k):
        opened["name"] = self.session.frames()[0].name

    monkeypatch.setattr(app_mod.FragscopeApp, "run", fake_run)
    assert main(["view"]) == 0
    assert opened["name"] == "tiny-packing"


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "view" in capsys.readouterr().out
