"""``fragscope snapshot --until COND``: renders the round ``fragscope run --until`` stops at
(and with ``--fork-at K``, ``diverged`` is ``fragscope diff``'s round), the same screen as
``--rounds`` to that round."""

from __future__ import annotations

import json

from fragscope import diverge

from conftest import run_cli


def test_snapshot_until_renders_the_round_run_until_stops_at(tmp_path, capsys):
    assert run_cli(["run", "teach/frag-demo", "--until", "queued >= 12", "--out", str(tmp_path / "r"),
                    "--quiet"]) == 0
    r = json.loads((tmp_path / "r" / "summary.json").read_text())["stopped_at"]["round"]
    capsys.readouterr()
    until, plain = tmp_path / "u.txt", tmp_path / "p.txt"
    assert run_cli(["snapshot", "teach/frag-demo", "--until", "queued >= 12", "--out", str(until)]) == 0
    assert f"holds at round {r}" in capsys.readouterr().out
    assert run_cli(["snapshot", "teach/frag-demo", "--rounds", str(r + 1), "--out", str(plain)]) == 0
    assert until.read_bytes() == plain.read_bytes()


def test_until_diverged_with_a_fork_is_the_first_divergence(tmp_path, capsys):
    d = diverge("teach/frag-demo", "teach/frag-demo", [], ["placement=bestfit"])
    out = tmp_path / "d.txt"
    assert run_cli(["snapshot", "teach/frag-demo", "--fork-at", "0", "--fork-placement", "bestfit",
                    "--until", "diverged", "--out", str(out)]) == 0
    assert f"diverged holds at round {d.round}" in capsys.readouterr().out
    assert f"round {d.round + 1}" in out.read_text().splitlines()[0]


def test_until_errors(tmp_path, capsys):
    out = tmp_path / "x.txt"
    assert run_cli(["snapshot", "teach/frag-demo", "--until", "diverged", "--out", str(out)]) == 2
    assert "give --fork-at K" in capsys.readouterr().err
    assert run_cli(["snapshot", "teach/frag-demo", "--until", "queued > 100000", "--rounds", "20",
                    "--out", str(out)]) == 2
    assert "never holds" in capsys.readouterr().err
    assert run_cli(["snapshot", "teach/frag-demo", "--out", str(out)]) == 2
    assert not out.exists()
