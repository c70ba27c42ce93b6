"""Run the real kiosk app in a Kivy window and follow a plan of real touches, timers and notes.

Used by the usability window tests in a subprocess: ``python -m tests.ui.drive DATA_DIR RESULT.json PLAN.json
[SETTINGS.json]``. The plan is a list of steps:

- ``"TARGET"``: a real touch, down and up, on the widget carrying that element id (the run stops if it is not drawn);
- ``{"press": TARGET, "hold_s": S}``: a touch held S seconds, then lifted;
- ``{"idle": S}``: the last input is set S seconds back, then the app's own one-second timer runs once;
- ``{"speaking": true|false}``: the speaker says a prompt is playing (or has ended);
- ``{"status": TEXT}``: central's status for the last queued request arrives (as the uploader stores it);
- ``{"wait": S}``; ``{"note": NAME}``: a snapshot of the state, what was said since the last note and what is drawn.

SETTINGS.json holds ``--set``-style overrides (``{"kiosk": {"printer": ""}}``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.ui.app import configure_window
from layanan.config import load_settings
from tests.ui.tap_through import drawn, find, report, run, settled, tap


class RecordingSpeaker:
    """Remembers every prompt; ``speaking`` is what a test says the loudspeaker is doing."""

    def __init__(self) -> None:
        self.said: list[tuple[str, ...]] = []
        self.langs: list[str] = []
        self.speaking = False
        self.hushed = 0

    def say(self, keys: tuple[str, ...], lang: str) -> None:
        self.said.append(keys)
        self.langs.append(lang)

    def hush(self) -> None:
        self.hushed += 1

    def busy(self) -> bool:
        return self.speaking


def widget_info(widget: Any) -> dict[str, Any]:
    x, y = widget.to_window(widget.x, widget.y)
    return {
        "target": widget.target,
        "rect": [round(x), round(y), round(widget.width), round(widget.height)],
        "highlighted": bool(getattr(widget, "highlighted", False)),
        "marked": bool(getattr(widget, "marked", False)),
        "icon": getattr(widget, "icon", ""),
        "text": getattr(widget, "text", ""),
        "line_width": float(getattr(widget, "line_width", 0)),
        "border_color": list(getattr(widget, "border_color", ())),
        "bg_color": list(getattr(widget, "bg_color", ())),
    }


def texts_under(root: Any) -> list[str]:
    from kivy.uix.label import Label

    return [w.text for w in root.walk(restrict=True) if isinstance(w, Label) and w.text]


def main(data_dir: str, result_path: str, plan_path: str, settings_path: str = "") -> int:
    overrides = json.loads(Path(settings_path).read_text()) if settings_path else {}
    settings = load_settings(env={"KIOSK_DATA_DIR": data_dir}, overrides=overrides)
    configure_window(settings)
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    from kiosk.ui.app import make_app

    app = make_app(settings, voice=False)
    app.session.strict = True
    speaker = RecordingSpeaker()
    app.session.speaker = speaker
    plan: list[Any] = json.loads(Path(plan_path).read_text())
    result: dict[str, Any] = {"notes": {}, "taps": 0, "log": []}
    heard_from = [0]

    def snapshot(name: str) -> None:
        state = app.session.state
        said = speaker.said[heard_from[0] :]
        langs = speaker.langs[heard_from[0] :]
        heard_from[0] = len(speaker.said)
        staff = app.staff
        slips = app.session.slips
        printed = getattr(slips.last_printer, "output", b"") if slips is not None else b""
        if printed:
            Path(result_path).with_name(f"printed-{name}.bin").write_bytes(printed)
        from kivy.uix.image import Image

        slip_shown = any(
            getattr(w, "slip", False) for w in app.content.walk(restrict=True) if isinstance(w, Image)
        )
        result["notes"][name] = {
            "printed_bytes": len(printed),
            "slip_shown": slip_shown,
            "screen": state.screen,
            "lang": state.lang,
            "entry": state.entry,
            "values": dict(state.values),
            "documents": list(state.documents),
            "highlighted": state.highlighted,
            "armed": getattr(state, "armed", None),
            "error": state.error,
            "warning": state.warning,
            "ticket": state.ticket,
            "field": app.session.flow.current_field(state).id if state.screen == "field" else None,
            "said": [list(s) for s in said],
            "said_langs": langs,
            "drawn": [widget_info(w) for w in drawn()],
            "banner": texts_under(app.banner),
            "content": texts_under(app.content),
            "top": app.top_label.text,
            "staff": None if staff is None else {"status": staff.status, "title": staff.title},
            "taps": result["taps"],
            "window": list(Window.size),
        }

    held: list[Any] = []

    def do(item: Any) -> float:
        """Carry out one step; how long to wait before the next."""
        if isinstance(item, str):
            if tap(item) is None:
                raise LookupError(f"'{item}' is not drawn on the {app.session.state.screen} screen")
            result["taps"] += 1
            return 0.05
        if "press" in item:
            widget = find(item["press"])
            if widget is None:
                raise LookupError(f"'{item['press']}' is not drawn")
            touch = UnitTestTouch(*widget.to_window(*widget.center))
            touch.touch_down()
            held.append((touch, time.monotonic() + float(item["hold_s"])))
            return float(item["hold_s"])
        if "idle" in item:
            app.last_input = time.monotonic() - float(item["idle"])
            return 1.3
        if "speaking" in item:
            speaker.speaking = bool(item["speaking"])
            return 0.05
        if "status" in item:
            queued = app.session.last_queued
            app.queue.set_status(queued.msg_id, item["status"])
            return 0.05
        if "wait" in item:
            return float(item["wait"])
        if "note" in item:
            snapshot(item["note"])
            return 0.05
        raise ValueError(f"unknown plan step {item!r}")

    def step(dt: float) -> None:
        if held and time.monotonic() >= held[0][1]:
            held.pop(0)[0].touch_up()
        if not settled(app):
            Clock.schedule_once(step, 0.05)
            return
        if not plan:
            report(app, result_path, result)
            return
        item = plan.pop(0)
        try:
            wait = do(item)
        except Exception as exc:  # noqa: BLE001 - the test reads it
            result["error"] = f"{type(exc).__name__}: {exc}"
            snapshot("failed")
            report(app, result_path, result)
            return
        result["log"].append({"step": item, "screen": app.session.state.screen})
        Clock.schedule_once(step, wait)

    return run(app, step)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
