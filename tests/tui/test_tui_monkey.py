"""2 000 random key presses (fixed seed) against a running app: no exception, still usable."""

from __future__ import annotations

import random

from tui.app import make_app
from tui_helpers import TINY, deterministic_env, settle  # noqa: F401

# Every binding except quitting, plus navigation and stray keys that land in the filter,
# the help and inspector modals, and the tables.
KEYS = ("space", "n", "right", "left", "plus", "minus", "s", "x", "h", "m", "slash",
        "question_mark", "up", "down", "left_square_bracket", "right_square_bracket", "pageup",
        "pagedown", "tab", "shift+tab", "enter", "escape", "o", "O", "i", "backspace", "a", "7",
        "0", "home", "end")
SEED = 20240611
PRESSES = 2000
BATCH = 25


async def test_two_thousand_random_keys_do_not_break_the_app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(SEED)
    app = make_app(TINY, ["workload.generate.window=[0,80]"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(PRESSES // BATCH):
            await pilot.press(*(rng.choice(KEYS) for _ in range(BATCH)))
            assert app.is_running
        app.playing = False
        await settle(pilot)
        assert app.last_error is None
        # still responsive: close modals, step once
        while app.screen.id != "main":
            app.pop_screen()
            await pilot.pause()
        before = app.session.step_index
        done = app.session.done
        await pilot.press("escape", "n")
        await settle(pilot)
        assert app.session.step_index == before + (0 if done else 1)
