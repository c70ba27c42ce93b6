"""Run the real kiosk app in a Kivy window and throw random real touches at whatever is on screen, with spoken
words and late camera news in between, the way a curious child (or a busy room) would.

Used by test_app_window.py in a subprocess: ``python -m tests.ui.random_taps DATA_DIR RESULT.json SEED COUNT
[LEAD]``. With LEAD, the first LEAD taps of tap_through's KTP request come first, so that the random part starts
deep in a request (the documents screen, the review) where a random walk from the welcome screen seldom gets.
The session is strict here, so a flow bug ends the run with its traceback instead of being smoothed over as the
kiosk does in the field; a drawing bug does the same. The result lists the screens reached and every tap.
"""

from __future__ import annotations

import random
import sys
import traceback

from kiosk.ui.app import configure_window
from layanan.config import load_settings
from tests.ui.tap_through import TAPS, drawn, report, run, settled, tap

WORDS = ("satu", "dua", "tiga", "nol", "ya", "tidak", "ulang", "kembali", "batal", "bantuan", "<other>")


def main(data_dir: str, result_path: str, seed: str, count: str, lead: str = "0") -> int:
    settings = load_settings(env={"KIOSK_DATA_DIR": data_dir})
    configure_window(settings)
    from kivy.clock import Clock

    from kiosk.session import SilentSpeaker
    from kiosk.ui.app import make_app
    from layanan.domain.events import CameraHint, Captured, Idle, Spoken

    rng = random.Random(int(seed))
    app = make_app(settings, voice=False)
    app.session.strict = True
    app.session.speaker = SilentSpeaker()
    docs = sorted(app.session.flow.catalog.documents)
    log: list[dict[str, object]] = []
    screens: set[str] = set()
    left = int(count)
    replay = list(TAPS[: int(lead)])

    def step(dt: float) -> None:
        try:
            act()
        except Exception:  # Kivy would end the run without a word: keep the traceback for the test
            finish(traceback.format_exc())

    def act() -> None:
        nonlocal left
        if not settled(app):
            Clock.schedule_once(step, 0.02)
            return
        if replay:
            target = replay.pop(0)
            if tap(target) is None:
                return finish(f"lead-in: '{target}' is not on the {app.session.state.screen} screen")
            Clock.schedule_once(step, 0.02)
            return
        screens.add(app.session.state.screen)
        if left == 0:
            return finish()
        left -= 1
        roll = rng.random()
        screen = app.session.state.screen
        if roll < 0.8:
            target = rng.choice(sorted({widget.target for widget in drawn()}))
            at = tap(target)
            log.append({"screen": screen, "tap": target, "hit": at is not None})
        elif roll < 0.92:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4)))
            app.session.dispatch(Spoken(text, asked=rng.random() < 0.5))
            log.append({"screen": screen, "spoken": len(text.split())})
        elif roll < 0.96:
            app.session.dispatch(Captured(rng.choice(docs), f"att-{rng.randrange(1000)}"))
            log.append({"screen": screen, "event": "Captured"})
        elif roll < 0.98:
            app.session.dispatch(CameraHint("too_small"))
            log.append({"screen": screen, "event": "CameraHint"})
        else:
            app.session.dispatch(Idle(50.0))
            log.append({"screen": screen, "event": "Idle"})
        Clock.schedule_once(step, 0.02)

    def finish(crash: str | None = None) -> None:
        result = {"screens": sorted(screens), "log": log, "crash": crash}
        report(app, result_path, result)

    return run(app, step)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
