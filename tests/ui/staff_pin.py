"""Run the real kiosk app in a Kivy window and try staff PINs with real touches on the staff view's keypad.

Used by test_staff_pin_window.py in a subprocess: ``python -m tests.ui.staff_pin DATA_DIR RESULT.json PHASE LOCK_S``.
The kiosk's PIN is ``PIN`` (a hash in the settings), three wrong PINs lock it for LOCK_S seconds.

PHASE "expire": three wrong PINs (waiting out the waits between them), then the right PIN during the lock, then the
right PIN after the lock. PHASE "lock": three wrong PINs, then the app quits while locked. PHASE "restart": a new
app on the same data dir: open the staff view and try the right PIN.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from kiosk.ui.app import configure_window
from layanan.config import load_settings
from layanan.security.pin import hash_pin
from tests.ui.tap_through import report, run, settled, tap

PIN, WRONG = "604719", "111111"


def main(data_dir: str, result_path: str, phase: str, lock_s: str) -> int:
    settings = load_settings(
        env={"KIOSK_DATA_DIR": data_dir},
        overrides={
            "kiosk": {"staff_pin_hash": hash_pin(PIN), "staff_pin_tries": "3", "staff_pin_lock_s": lock_s}
        },
    )
    configure_window(settings)
    from kivy.clock import Clock

    from kiosk.session import SilentSpeaker
    from kiosk.ui.app import make_app

    app = make_app(settings, voice=False)
    app.session.speaker = SilentSpeaker()
    result: dict[str, object] = {"log": []}
    log: list[dict[str, object]] = result["log"]  # type: ignore[assignment]

    def panel_status() -> str:
        return "" if app.staff is None else str(app.staff.status)

    def note(what: str) -> None:
        staff = app.staff
        log.append(
            {
                "step": what,
                "status": panel_status(),
                "display": "" if staff is None else staff.display.text,
                "title": "" if staff is None else staff.title,
                "at": time.monotonic(),
            }
        )

    def type_pin(pin: str) -> list[Callable[[], bool]]:
        return [lambda d=d: tap(f"pin:{d}") is not None for d in pin] + [lambda: tap("pin:ok") is not None]

    def until(status: str, timeout: float) -> Callable[[], bool | None]:
        started: list[float] = []  # the clock starts at the first look, not when the plan is written

        def check() -> bool | None:
            if panel_status() in status.split("|"):
                return True
            started[:] = started or [time.monotonic()]
            return False if time.monotonic() > started[0] + timeout else None  # None: not yet, look again

        return check

    def mark(what: str) -> Callable[[], bool]:
        return lambda: (note(what), True)[1]

    def hold(target: str, seconds: float) -> Callable[[], bool | None]:
        """A real touch held ``seconds`` (the staff badge opens the view after 3 s held)."""
        from kivy.tests.common import UnitTestTouch

        from tests.ui.tap_through import find

        touch: list[object] = []

        def check() -> bool | None:
            if not touch:
                widget = find(target)
                if widget is None:
                    return False
                touch.append(UnitTestTouch(*widget.to_window(*widget.center)))
                touch.append(time.monotonic() + seconds)
                touch[0].touch_down()  # type: ignore[attr-defined]
                return None
            if time.monotonic() < touch[1]:  # type: ignore[operator]
                return None
            touch[0].touch_up()  # type: ignore[attr-defined]
            return True

        return check

    plan: list[Callable[[], bool | None]] = [
        hold("staff", 3.3),
        until("ready|locked", 5),
        mark("opened"),
    ]
    if phase == "restart":
        plan += [mark("after restart"), *type_pin(PIN), mark("right pin after restart")]
    else:
        for n in range(1, 4):
            plan += [until("ready", 10), *type_pin(WRONG), mark(f"wrong {n}")]
        plan += [*type_pin(PIN), mark("right pin during lock")]
        if phase == "expire":
            plan += [
                until("ready", float(lock_s) + 10),
                mark("lock over"),
                *type_pin(PIN),
                mark("right pin after"),
            ]

    def step(dt: float) -> None:
        if not settled(app):
            Clock.schedule_once(step, 0.05)
            return
        if not plan:
            report(app, result_path, result)
            return
        outcome = plan[0]()
        if outcome is None:
            Clock.schedule_once(step, 0.1)
            return
        plan.pop(0)
        if outcome is False:
            result["error_step"] = f"{len(log)} ({len(plan)} left)"
            note("failed here")
            plan.clear()
        Clock.schedule_once(step, 0.15)

    return run(app, step)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
