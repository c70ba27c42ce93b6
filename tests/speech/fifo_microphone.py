"""A real microphone path on a machine without a sound card: PortAudio and ALSA capture from the default device,
which is ALSA's file plugin reading a FIFO that this script fills at a microphone's pace (16 kHz mono 16-bit).

Used by test_mic.py in a subprocess (ALSA reads ``$HOME/.asoundrc`` when PortAudio starts):
``python -m tests.speech.fifo_microphone HOME SPEECH.wav RESULT.json``. It writes what it measured:

- ``exact``: a known signal captured through ``MicrophoneSource`` arrives sample for sample;
- ``heard``/``partials``: the kiosk's own voice input (``compose.voice``: MicrophoneSource, the listener, the
  shipped Indonesian model) hearing SPEECH.wav spoken into the "microphone".

``python -m tests.speech.fifo_microphone --replug HOME SPEECH.wav RESULT.json`` starts the kiosk's voice input
with no sound card at all (a USB microphone not plugged in), then "plugs one in" (writes the ALSA
configuration) and says SPEECH.wav into it: ``before`` is what the voice input reported first, ``after`` once
the card is there, ``heard`` what it heard.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tests.support.fifo_audio import Talker, sound_card

RATE = 16000


def wait(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def main(home: str, speech_wav: str, result_path: str) -> int:
    fifo = Path(home) / "mic.fifo"
    sound_card(Path(home), microphone=fifo)
    os.environ["HOME"] = home  # before PortAudio starts
    talker = Talker(fifo)
    result: dict[str, object] = {}

    from kiosk.speech.mic import MicrophoneSource

    mic = MicrophoneSource("")
    ramp = (np.arange(RATE) % 2000 - 1000).astype(np.int16) * 8  # distinct values, easy to find again
    talker.say(ramp)
    got: list[np.ndarray] = []
    for block in mic.blocks():
        got.append(block)
        if sum(len(b) for b in got) >= 2 * RATE:
            break
    mic.close()
    captured = np.concatenate(got)
    start = int(np.argmax(captured != 0))
    result["exact"] = bool(np.array_equal(captured[start : start + RATE], ramp))
    wait(talker.quiet, 5)

    from kiosk import compose
    from kiosk.speech.audio import load_wav
    from layanan.config import load_settings

    voice = compose.voice(load_settings(env={"KIOSK_DATA_DIR": home}))
    heard: list[str] = []
    partials: list[str] = []
    voice.start(heard.append, lambda level: None, partials.append)
    result["problem"] = voice.problem
    talker.say(np.zeros(RATE // 2, dtype=np.int16))
    talker.say(load_wav(speech_wav).samples)
    result["heard_in_time"] = wait(lambda: bool(heard), 15)
    voice.stop()
    talker.stop.set()
    result["heard"], result["partials"] = heard, partials
    Path(result_path).write_text(json.dumps(result))
    return 0


def replug(home: str, speech_wav: str, result_path: str) -> int:
    os.environ["HOME"] = home  # no .asoundrc yet: ALSA finds no card, PortAudio no input device
    from kiosk import compose
    from kiosk.speech.audio import load_wav
    from layanan.config import load_settings

    voice = compose.voice(load_settings(env={"KIOSK_DATA_DIR": home}))
    voice.retry_s = 0.5
    heard: list[str] = []
    voice.start(heard.append, lambda level: None)
    result: dict[str, object] = {"before": voice.unavailable("id"), "problem_before": voice.problem}
    fifo = Path(home) / "mic.fifo"
    sound_card(Path(home), microphone=fifo)  # plugged in
    talker = Talker(fifo)
    result["back_in_time"] = wait(lambda: voice.unavailable("id") is None, 15)
    result["after"], result["problem_after"] = voice.unavailable("id"), voice.problem
    talker.say(np.zeros(RATE // 2, dtype=np.int16))
    talker.say(load_wav(speech_wav).samples)
    result["heard_in_time"] = wait(lambda: bool(heard), 15)
    result["heard"] = heard
    voice.stop()
    talker.stop.set()
    Path(result_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--replug":
        sys.exit(replug(*sys.argv[2:5]))
    sys.exit(main(*sys.argv[1:4]))
