"""Run the real kiosk app in a Kivy window where voice cannot work: the microphone button is grey, and pressing
it says (on screen and aloud) that voice is not available and touch works.

Used by test_app_window.py in a subprocess: ``python -m tests.ui.voice_off DATA_DIR RESULT.json CAUSE``.
CAUSE "model": the language's speech model did not load (on the NIK screen). CAUSE "microphone": there is no
microphone (on the attract screen); after the press one is plugged in, and the result says how the button looks
then.
"""

from __future__ import annotations

import sys

from kiosk.ui.app import configure_window
from kiosk.ui.screenshots import TO_NIK
from layanan.config import load_settings
from tests.support.audio import LiveSource
from tests.support.recognizers import FakeRecognizer
from tests.ui.tap_through import report, run, settled, tap


def main(data_dir: str, result_path: str, cause: str) -> int:
    settings = load_settings(env={"KIOSK_DATA_DIR": data_dir})
    configure_window(settings)
    from kivy.clock import Clock
    from kivy.uix.label import Label

    from kiosk.session import SilentSpeaker
    from kiosk.speech.audio import MicrophoneUnavailable
    from kiosk.speech.voice import VoiceInput
    from kiosk.ui import theme
    from kiosk.ui.app import make_app

    source = LiveSource()
    plugged = cause == "model"

    def microphone() -> LiveSource:
        if not plugged:
            raise MicrophoneUnavailable("cannot open the default input device")
        return source

    app = make_app(settings, voice=False)
    if cause == "model":
        app.listener = VoiceInput(settings, lambda lang: None, microphone)  # the model did not load
    else:
        app.listener = VoiceInput(
            settings, lambda lang: FakeRecognizer(name="test:any"), microphone, retry_s=0.2
        )
    speaker = SilentSpeaker()
    app.session.speaker = speaker
    # the microphone case stays on the attract screen, which nothing redraws by itself (elsewhere the
    # inactivity clock does every second)
    plan = [*TO_NIK, "mic", "done"] if cause == "model" else ["mic", "plug", "done"]
    result: dict[str, object] = {}

    def step(dt: float) -> None:
        nonlocal plugged
        if not settled(app):
            Clock.schedule_once(step, 0.05)
            return
        what = plan.pop(0)
        if what == "plug":
            result["error_after_press"], result["said_after_press"] = (
                app.session.state.error,
                speaker.said[-1],
            )
            plugged = True
            Clock.schedule_once(step, 1.0)  # the voice input looks every 0.2 s here
            return
        if what == "done":
            texts = [w.text for w in app.root_box.walk() if isinstance(w, Label)]
            result.update(
                error=app.session.state.error,
                said=list(speaker.said[-1]),
                on_screen=[t for t in texts if "layar sentuh" in t],
                mic_grey=list(app.mic.bg_color) == list(theme.MUTED),
                icon=app.mic.icon,
                screen=app.session.state.screen,
                held=app.talk_held,
            )
            report(app, result_path, result)
            return
        if what == "mic":
            result["grey_before_press"] = list(app.mic.bg_color) == list(theme.MUTED)
            result["icon_before_press"] = app.mic.icon
        if tap("talk" if what == "mic" else what) is None:
            result["error_step"] = what
            plan[:] = ["done"]
        Clock.schedule_once(step, 0.3)

    return run(app, step)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
