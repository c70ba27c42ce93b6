"""Play prompts through the real PortAudio and ALSA stack on a machine without a sound card.

ALSA's ``file`` plugin writes what is played into a FIFO, and this script reads the FIFO at a sound card's pace
(mono 16-bit at the prompt's rate), so playback takes real time and can be cut short. ALSA reads
``$HOME/.asoundrc`` when PortAudio starts, so test_prompts.py runs this in a subprocess of its own:
``python -m tests.speech.paced_speaker HOME RESULT.json`` (HOME: a folder for the FIFO and the configuration,
tests/support/fifo_audio.py). It writes what it measured; the test judges it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.support.fifo_audio import PacedSink, sound_card

RATE = 22050
ECHO_GUARD_S = 0.5
"""Longer than the shipped 150 ms, so the test can tell "after the echo guard" from "at once"."""


class MuteLog:
    """The microphone's mute as the speaker sees it, with when each change happened."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        self.events.append(("mute", time.monotonic()))
        try:
            yield
        finally:
            self.events.append(("unmute", time.monotonic()))

    def last(self, kind: str) -> float:
        return max(t for k, t in self.events if k == kind)


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def main(home: str, result_path: str) -> int:
    sound_card(Path(home), speaker=Path(home) / "speaker.fifo")
    os.environ["HOME"] = home  # before PortAudio starts (the first play imports sounddevice)
    sink = PacedSink(Path(home) / "speaker.fifo", RATE * 2)

    from kiosk.speech.prompts import AudioPack, PromptSpeaker

    mutes = MuteLog()
    speaker = PromptSpeaker(AudioPack(Path(home) / "prompts"), guard=mutes.muted, echo_guard_s=ECHO_GUARD_S)
    result: dict[str, object] = {}

    # A whole prompt (1 s): muted from before the first sample to the end of the echo guard.
    start = time.monotonic()
    result["whole_played"] = speaker.play(tone(1.0), RATE)
    result["whole_s"] = time.monotonic() - start
    result["whole_muted_s"] = mutes.last("unmute") - mutes.last("mute")

    # The talk button: a long prompt is cut, and the microphone opens at once.
    player = threading.Thread(target=speaker.play, args=(tone(3.0), RATE))
    player.start()
    time.sleep(0.5)
    result["muted_while_playing"] = mutes.events[-1][0] == "mute"
    hushed_at, played_before = time.monotonic(), sink.read
    speaker.hush()
    player.join(timeout=5)
    result["hush_returned"] = not player.is_alive()
    result["hush_to_unmute_s"] = mutes.last("unmute") - hushed_at
    result["played_after_hush_s"] = (sink.read - played_before) / (RATE * 2)

    # A new prompt cuts the one playing, and the two never overlap.
    first = threading.Thread(target=speaker.play, args=(tone(3.0), RATE))
    first.start()
    time.sleep(0.4)
    cut_at = time.monotonic()
    result["next_played"] = speaker.play(tone(0.3), RATE)
    first.join(timeout=5)
    result["cut_to_first_unmute_s"] = min(t for k, t in mutes.events if k == "unmute" and t > cut_at) - cut_at
    kinds = [k for k, _ in mutes.events]
    result["mutes_balanced"] = kinds.count("mute") == kinds.count("unmute")
    result["mutes_nested"] = max(
        kinds[: i + 1].count("mute") - kinds[: i + 1].count("unmute") for i in range(len(kinds))
    )
    sink.stop.set()
    Path(result_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
