"""Run the real kiosk app in a Kivy window in a busy room: four synthesized talkers reach the microphone while
the kiosk waits on the attract screen. Hands-free listening goes off and nothing is said to the empty room;
the citizen who touches the screen is asked, aloud and on a banner with the microphone pictogram, to hold the
talk button.

Used by test_app_window.py in a subprocess: ``python -m tests.ui.busy_room DATA_DIR RESULT.json``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from kiosk.ui.app import configure_window
from layanan.config import load_settings
from tests.support.audio import LiveSource
from tests.support.babble import babble, espeak
from tests.support.recognizers import FakeRecognizer
from tests.ui.tap_through import report, run, settled, tap


def main(data_dir: str, result_path: str) -> int:
    settings = load_settings(env={"KIOSK_DATA_DIR": data_dir})
    configure_window(settings)
    from kivy.clock import Clock
    from kivy.uix.label import Label

    from kiosk.session import SilentSpeaker
    from kiosk.speech.voice import VoiceInput
    from kiosk.ui.app import make_app

    source = LiveSource()
    with tempfile.TemporaryDirectory() as tmp:
        source.say(babble(lambda text, voice: espeak(text, voice, Path(tmp) / "say.wav"), 25, -32))
    app = make_app(settings, voice=False)
    app.listener = VoiceInput(settings, lambda lang: FakeRecognizer("", "test:none"), lambda: source)
    speaker = SilentSpeaker()
    app.session.speaker = speaker
    result: dict[str, object] = {}
    waited = 0

    def step(dt: float) -> None:
        nonlocal waited
        if "busy_on_attract" not in result:
            # the listener works through the 25 s; the attract screen must be laid out before the touch
            if (not app.listener.room.busy or not settled(app)) and waited < 200:
                waited += 1
                Clock.schedule_once(step, 0.1)
                return
            result.update(
                busy_on_attract=app.listener.room.busy,
                hands_free_on_attract=app.listener.listener.hands_free,
                said_on_attract=[list(s) for s in speaker.said],
            )
            if tap("start") is None:
                result["error_step"] = "start"
            Clock.schedule_once(step, 0.5)
            return
        if not settled(app):
            Clock.schedule_once(step, 0.05)
            return
        texts = [w.text for w in app.root_box.walk() if isinstance(w, Label)]
        result.update(
            screen=app.session.state.screen,
            said=[list(s) for s in speaker.said],
            banner=[t for t in texts if "tombol mikrofon" in t],
        )
        report(app, result_path, result)

    return run(app, step)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
