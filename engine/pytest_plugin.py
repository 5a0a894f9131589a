"""fragscope's pytest plug-in (entry point ``pytest11``): pin a scenario's decisions in CI.

    def test_my_placement_keeps_its_decisions(fragscope_pin):
        fragscope_pin("scenarios/mine.yaml", overrides=["placement=my.py:MyFit"], rounds=200)

The first run fails ("no golden yet: run pytest --fragscope-update"); ``pytest
--fragscope-update`` writes ``__fragscope__/<test file>/<test>.json`` beside the test;
afterwards a change of any decision fails in words — the first divergent decision, the
upstream cause, the metric deltas (docs/ci.md).  ``--fragscope-artifacts DIR`` also
writes each failing test's report and the new run's golden there for CI to keep.

This module imports only pytest and the standard library: fragscope's engine loads when
a test first calls the fixture, so sessions that do not use it pay almost nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

_UPDATE = "--fragscope-update"
_STATS_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fragscope", "fragscope: pinned scheduler decisions (docs/ci.md)")
    group.addoption(_UPDATE, action="store_true", default=False,
                    help="write or refresh the goldens of fragscope_pin instead of comparing")
    group.addoption("--fragscope-artifacts", metavar="DIR", default=None,
                    help="write each fragscope_pin failure's full report (and the new golden) into DIR")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATS_KEY] = {"kept": [], "inserted": [], "updated": []}


def _golden_path(request: pytest.FixtureRequest, call: int) -> Path:
    test_file = Path(str(request.node.path))
    name = re.sub(r"[^A-Za-z0-9_.=-]+", "_", request.node.name).strip("_")
    suffix = "" if call == 1 else f"-{call}"
    return test_file.parent / "__fragscope__" / test_file.stem / f"{name}{suffix}.json"


def _scenario_arg(scenario: Any, base: Path) -> Any:
    """A relative scenario path is looked up beside the test file first."""
    if isinstance(scenario, (str, Path)):
        near = base / scenario
        if near.is_file():
            return near
    return scenario


def _overrides_arg(overrides: Any, base: Path) -> list[str]:
    """The overrides as a list; a plug-in file given relative (``placement=x.py:Class``)
    is looked up beside the test file first, so the test passes from any folder."""
    if overrides is None:
        return []
    if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
        raise TypeError(f"overrides must be a list of 'key=value' strings, got {overrides!r}")
    out = []
    for item in overrides:
        key, eq, value = item.partition("=")
        path, colon, cls = value.rpartition(":")
        if eq and colon and path.endswith(".py") and not Path(path).is_absolute() and (base / path).is_file():
            item = f"{key}={base / path}:{cls}"
        out.append(item)
    return out


@pytest.fixture
def fragscope_pin(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``fragscope_pin(scenario, overrides=[...], rounds=None)``: run the scenario headless
    (only its first ``rounds`` rounds when given) and compare its decisions and headline
    metrics with the golden stored beside the test; ``pytest --fragscope-update`` writes it."""
    calls = {"n": 0}
    config = request.config

    def pin(scenario: Any, overrides: list[str] | None = None, rounds: int | None = None) -> None:
        from fragscope.debug.pin import compare, golden_text, pin_data, read_golden
        from fragscope.model.errors import InputError

        calls["n"] += 1
        path = _golden_path(request, calls["n"])
        base = Path(str(request.node.path)).parent
        error = ""
        try:
            now = pin_data(_scenario_arg(scenario, base), _overrides_arg(overrides, base), rounds,
                           label=str(scenario))
        except (InputError, TypeError) as exc:
            error = f"fragscope_pin: {exc}"
        if error:   # (outside the except: pytest would print the InputError's traceback too)
            pytest.fail(error, pytrace=False)
        where = config.getoption("--fragscope-artifacts")
        stats = config.stash[_STATS_KEY]
        test = request.node.nodeid + ("" if calls["n"] == 1 else f" (pin {calls['n']})")
        if config.getoption(_UPDATE):
            text = golden_text(now)
            if path.is_file():
                if path.read_text() == text:
                    stats["kept"].append(test)
                    return
                stats["updated"].append(test)
            else:
                stats["inserted"].append(test)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(text)
            tmp.replace(path)
            return
        if not path.is_file():
            if where:
                _artifact(Path(where), path, golden_text(now), None)
            pytest.fail(f"fragscope_pin: no golden yet for {test} ({path}): run pytest {_UPDATE} to write it, "
                        "review it and commit it", pytrace=False)
        try:
            got = compare(read_golden(path), now, str(path))
        except InputError as exc:
            error = f"fragscope_pin: {exc}"
        if error:
            pytest.fail(error, pytrace=False)
        if got.same:
            return
        report = f"fragscope_pin: {test} no longer matches its golden {path}:\n{got.message}\n" \
                 f"(if the change is intended: pytest {_UPDATE}, then review and commit the golden)"
        if where:
            _artifact(Path(where), path, golden_text(now), report)
            report += f"\n(full report and the new golden in {where})"
        pytest.fail(report, pytrace=False)

    return pin


def _artifact(out: Path, golden: Path, new: str, report: str | None) -> None:
    """The new run's golden (and the failure's report) into the artifacts folder."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{golden.parent.name}__{golden.stem}"
    (out / f"{stem}.new.json").write_text(new)
    if report is not None:
        (out / f"{stem}.txt").write_text(report + "\n")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    stats = config.stash.get(_STATS_KEY, None)
    if not stats or not config.getoption(_UPDATE) or not any(stats.values()):
        return
    tr = terminalreporter
    tr.section("fragscope goldens")
    for what in ("inserted", "updated", "kept"):
        for test in stats[what]:
            tr.write_line(f"{what:>8}  {test}")
    tr.write_line(f"{len(stats['inserted'])} inserted, {len(stats['updated'])} updated, {len(stats['kept'])} kept")
