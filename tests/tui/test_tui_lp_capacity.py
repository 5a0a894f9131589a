"""The palette's LP-capacity fork: the same run with sharing on, A with the fractional-aware
LP, B with the Gavel fork's first attempt (capacity still counted in scale factors)."""

from __future__ import annotations

from tui_helpers import deterministic_env, settle, step, tiny_app, wait_until  # noqa: F401

SIZE = (160, 50)


async def test_palette_forks_with_lp_capacity_scale_factor():
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 4)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        entry = "Fork with LP capacity = scale factor (the Gavel fork's first attempt)"
        assert entry in titles and "Fork with LP capacity = GPU demand (fractional-aware)" in titles
        app.action_fork(lp_capacity="scale_factor")
        await wait_until(pilot, lambda: app.session.forked)
        await settle(pilot)
        await step(pilot, 10)
        a, b = app.session.arms
        assert a.sharing and b.sharing                      # only the LP's capacity rule differs
        if hasattr(b, "sim"):                               # a local arm: read the engine directly
            assert (a.sim.lp_capacity, b.sim.lp_capacity) == ("demand", "scale_factor")
        assert app.frames[0].step == app.frames[1].step == 14
