"""The header says when the backlog keeps growing: "overloaded: queue +N jobs/h"."""

from __future__ import annotations

from fragscope import Simulation
from fragscope.tui.app import FragscopeApp
from fragscope.tui.session import Session
from fragscope.tui.widgets.header import SimHeader
from tui_helpers import deterministic_env, settle, wait_until  # noqa: F401



async def test_the_header_shows_an_overload(tmp_path):
    session = Session(Simulation.from_scenario("teach/overloaded"), processes=False)
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
