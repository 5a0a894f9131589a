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


async def test_an_lp_answered_by_a_fallback_solver_is_shown_on_the_lp_panel_and_in_the_log(monkeypatch):
    import fragscope.policies.max_min_fairness as mmf
    from fragscope.tui.arm_process import PROCESSES_ENV
    from fragscope.tui.widgets.alloc_table import AllocTable
    monkeypatch.setenv(PROCESSES_ENV, "0")               # the patched solver lives in this process
    real = mmf.solve_max_min
    monkeypatch.setattr(mmf, "solve_max_min", lambda *a: (real(*a)[0], "optimal_inaccurate"))
    app = tiny_app()
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, 6)
        assert "CLARABEL optimal" in app.frames[0].lp_note
        assert "solver: ECOS optimal_inaccurate -> CLARABEL optimal" in str(app.screen.query_one(AllocTable).border_title)
        lines = [text for _, _, text in app.session.events(app.session.a)]
        assert any("LP allocation recomputed (solver: ECOS optimal_inaccurate" in t for t in lines)
