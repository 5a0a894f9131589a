"""The header says when the backlog keeps growing: "overloaded: queue +N jobs/h"."""

from __future__ import annotations

from fragscope import Simulation
from fragscope.tui.app import FragscopeApp
from fragscope.tui.session import Session
from fragscope.tui.widgets.header import SimHeader
from tui_helpers import deterministic_env, settle, wait_until  # noqa: F401

OVERLOADED = """\
name: overloaded-40
seed: 0
round_seconds: 600
cluster:
  servers:
    - {model: G2, count: 4, gpus: 8}
    - {model: T4, count: 4, gpus: 2}
workload:
  generate: {lam: 300, window: [0, 20], mix: alibaba-fork}
policy: max_min_fairness_perf
placement: fgd
sharing: true
"""


async def test_the_header_shows_an_overload(tmp_path):
    (tmp_path / "s.yaml").write_text(OVERLOADED)
    session = Session(Simulation.from_scenario(tmp_path / "s.yaml"), processes=False)
    for _ in range(400):                 # two simulated days and more of a growing queue
        session.step()
    frame = session.frames()[0]
    assert frame.overload.startswith("overloaded: queue +") and frame.overload.endswith("jobs/h")
    app = FragscopeApp(session)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        assert "overloaded: queue +" in str(app.screen.query_one(SimHeader).render())


def test_a_lightly_loaded_run_shows_no_overload():
    session = Session(Simulation.from_scenario("teach/tiny-packing"), processes=False)
    for _ in range(60):
        session.step()
    assert session.frames()[0].overload == ""
