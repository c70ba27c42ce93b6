"""Run the real kiosk app in a Kivy window and tap through one request with real touch events.

Used by test_app_window.py in a subprocess (Kivy wants its own process): ``python -m tests.ui.tap_through
DATA_DIR RESULT.json``. Each tap finds the widget carrying the element id on screen and sends a touch down/up at its
centre through the window, exactly as the touchscreen's input provider would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kiosk.ui.app import configure_window
from kiosk.ui.screenshots import TO_NIK
from layanan.config import load_settings

NIK, KK, PHONE = "3201014507900001", "3201011203150004", "081234567890"
TAPS = [
    *TO_NIK,
    *(f"key:{d}" for d in NIK),  # 16 right digits go on by themselves
    *(f"key:{d}" for d in KK),
    *(f"key:{d}" for d in PHONE),
    "ya",
    "doc:kk_copy",
    "doc:kk_copy",  # the first tap says it, the second marks it
    "ya",
    "ya",
]


def drawn():  # type: ignore[no-untyped-def]
    """The widgets in the window now that carry an element id (``widget.target``)."""
    from kivy.core.window import Window

    for top in Window.children:
        for widget in top.walk():
            if isinstance(getattr(widget, "target", None), str) and widget.get_root_window() is not None:
                yield widget


def find(target: str):  # type: ignore[no-untyped-def]
    """The widget on screen that carries the element id ``target``, or None."""
    return next((widget for widget in drawn() if widget.target == target), None)


def settled(app) -> bool:  # type: ignore[no-untyped-def]
    """The screen has caught up with the last event: built, then laid out a few frames later."""
    from kivy.clock import Clock

    return (
        getattr(app, "rendered_state", None) is app.session.state and Clock.frames >= app.rendered_frame + 3
    )


def tap(target: str) -> tuple[float, float] | None:
    """A real touch, down and up, on the widget carrying ``target``; where it landed, or None when that element
    is not on screen."""
    from kivy.tests.common import UnitTestTouch

    widget = find(target)
    if widget is None:
        return None
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()
    return x, y


def report(app, result_path: str, result: dict) -> None:  # type: ignore[no-untyped-def, type-arg]
    """Write what the script saw for the test to read, and close the window."""
    Path(result_path).write_text(json.dumps(result))
    app.stop()


def run(app, first_step) -> int:  # type: ignore[no-untyped-def]
    """Start the app's main loop with the script's first step half a second in; the process's exit status."""
    from kivy.clock import Clock

    Clock.schedule_once(first_step, 0.5)
    app.run()
    return 0


def main(data_dir: str, result_path: str) -> int:
    settings = load_settings(env={"KIOSK_DATA_DIR": data_dir})
    configure_window(settings)
    from kivy.clock import Clock

    from kiosk.session import SilentSpeaker
    from kiosk.ui.app import make_app

    app = make_app(settings, voice=False)
    speaker = SilentSpeaker()
    app.session.speaker = speaker
    remaining = list(TAPS)
    log: list[dict[str, str]] = []

    def step(dt: float) -> None:
        if not settled(app):
            Clock.schedule_once(step, 0.05)
            return None
        if not remaining:
            return finish()
        target = remaining.pop(0)
        screen = app.session.state.screen
        at = tap(target)
        if at is None:
            log.append({"target": target, "error": "not on screen", "screen": screen})
            return finish()
        log.append({"target": target, "screen": screen, "at": [round(at[0]), round(at[1])]})
        Clock.schedule_once(step, 0.05)

    def finish() -> None:
        queued = app.session.last_queued
        report(
            app,
            result_path,
            {
                "taps": log,
                "screen": app.session.state.screen,
                "ticket": app.session.state.ticket,
                "queued": None
                if queued is None
                else {"msg_id": queued.msg_id, "ticket": queued.ticket, "service_id": queued.service_id},
                "said": [list(s) for s in speaker.said],
            },
        )

    return run(app, step)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
