"""Run the real kiosk app in a Kivy window, go to the NIK field by touch, then dictate digits by holding the
microphone button with real touches, through a real listener and the shipped Indonesian model.

Used by test_app_window.py in a subprocess: ``python -m tests.ui.hold_talk DATA_DIR RESULT.json SPEECH.wav
OTHER.wav``. The microphone is an in-memory one the script talks into as a citizen would: SPEECH.wav
while the button is held, then OTHER.wav with nobody holding it (talk behind the kiosk, which must not count
once the citizen has used the button).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from kiosk.speech.audio import load_wav
from kiosk.ui.app import configure_window
from kiosk.ui.screenshots import TO_NIK
from layanan.config import load_settings
from tests.support.audio import LiveSource
from tests.ui.tap_through import find, report, run, settled, tap


def main(data_dir: str, result_path: str, speech_wav: str, other_wav: str) -> int:
    settings = load_settings(env={"KIOSK_DATA_DIR": data_dir})
    configure_window(settings)
    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch

    from kiosk.session import SilentSpeaker
    from kiosk.speech import engines
    from kiosk.speech.voice import VoiceInput
    from kiosk.ui.app import make_app

    source = LiveSource()
    app = make_app(settings, voice=False)
    app.listener = VoiceInput(settings, lambda lang: engines.recognizer_for(lang, settings), lambda: source)
    app.session.speaker = SilentSpeaker()
    speech, other = load_wav(speech_wav).samples, load_wav(other_wav).samples
    captions: list[str] = []  # what the top of the screen said while the citizen spoke
    show = app.show_heard_so_far

    def show_and_note(text: str) -> None:
        show(text)
        captions.append(app.top_label.text)

    app.show_heard_so_far = show_and_note
    quiet = np.zeros(16000, dtype=np.int16)
    log: list[dict[str, object]] = []
    # last, the citizen holds the button and says nothing the model knows (here: nothing at all)
    plan: list[str] = [
        *TO_NIK,
        "hold",
        "release",
        "wait",
        "other",
        "wait",
        "hold_quiet",
        "release",
        "wait",
        "done",
    ]

    def heard_all() -> bool:
        return source.quiet() and not app.listener.is_held

    held_touch: list[UnitTestTouch] = []
    waits: list[int] = []

    def step(dt: float) -> None:
        if not settled(app):
            Clock.schedule_once(step, 0.05)
            return
        what = plan.pop(0)
        state = app.session.state
        log.append({"step": what, "screen": state.screen, "entry_digits": len(state.entry)})
        if what in ("hold", "hold_quiet"):
            mic = find("talk")
            touch = UnitTestTouch(*mic.to_window(*mic.center))
            touch.touch_down()
            held_touch.append(touch)
            log[-1]["held"] = app.talk_held
            log[-1]["hushed"] = app.session.speaker.hushed  # the press cut the prompt playing
            source.say(np.concatenate([quiet[:4800], speech, quiet[:3200]]) if what == "hold" else quiet)
        elif what == "release":
            deadline = time.monotonic() + 30
            while not source.quiet():  # the citizen talks as long as the audio lasts
                if time.monotonic() > deadline:
                    log[-1]["error"] = "the listener took no audio for 30 s"
                    break
                time.sleep(0.02)
            held_touch.pop().touch_up()
            log[-1]["held_after"] = app.talk_held
            source.say(quiet)
        elif what == "other":
            log[-1]["entry"] = state.entry  # what the held words gave, before the talk behind
            source.say(np.concatenate([quiet, other, quiet]))
        elif (
            what == "wait"
        ):  # until the listener has taken all the audio, then a second for the words to land
            if not heard_all():
                waits.append(1)
                if len(waits) > 100:  # 30 s
                    log[-1]["error"] = "the listener did not take all the audio in 30 s"
                    plan[:] = ["done"]
                else:
                    plan.insert(0, "wait")
            Clock.schedule_once(step, 0.3 if plan[0] == "wait" else 1.0)
            return
        elif what == "done":
            said = app.session.speaker.said
            result = {"log": log, "entry": state.entry, "captions": captions, "said_last": list(said[-1])}
            report(app, result_path, result)
            return
        elif tap(what) is None:
            log[-1]["error"] = "not on screen"
            plan[:] = ["done"]
        Clock.schedule_once(step, 0.05)

    return run(app, step)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
