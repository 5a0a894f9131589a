"""2 000 random key presses (fixed seed) against a running app: no exception, still usable.

Keys go straight to the driver like Pilot.press does, but without Pilot's per-key
"wait until the process is idle" (which waits up to 1 s per key while the play loop
keeps the CPU busy): a user mashing keys does not wait either, so this is the harsher test.
"""

from __future__ import annotations

import asyncio
import random

from textual import events

from fragscope.tui.app import make_app
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
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(PRESSES // BATCH):
            for _ in range(BATCH):
                key = rng.choice(KEYS)
                char = key if len(key) == 1 else {"space": " ", "plus": "+", "minus": "-",
                                                   "slash": "/", "question_mark": "?"}.get(key)
                event = events.Key(key, char)
                event.set_sender(app)
                app._driver.send_message(event)
                await asyncio.sleep(0)
            await pilot.pause()
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
