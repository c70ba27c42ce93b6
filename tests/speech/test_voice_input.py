"""The app's voice input: hold to talk turns hands-free listening off until the next citizen, and the
``speech.hands_free`` setting decides where it starts. A real listener on a silent live-like source."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.speech.voice import VoiceInput


class Silence:
    """A live-like source: 20 ms of silence at a time until closed."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def blocks(self) -> Iterator[np.ndarray]:
        while not self.closed.wait(0.02):
            yield np.zeros(320, dtype=np.int16)

    def close(self) -> None:
        self.closed.set()


def started(hands_free: str) -> VoiceInput:
    settings = load_settings(env={"KIOSK_SPEECH_HANDS_FREE": hands_free})
    voice = VoiceInput(settings, lambda lang: None, Silence)
    voice.start(lambda text: None, lambda level: None)
    return voice


@pytest.mark.parametrize("setting", ["true", "false"])
def test_a_press_listens_to_held_words_only_until_the_next_citizen(setting: str) -> None:
    voice = started(setting)
    try:
        assert voice.listener.hands_free is (setting == "true")
        voice.hold()
        assert voice.listener.hands_free is False
        voice.release()
        voice.next_citizen()
        assert voice.listener.hands_free is (setting == "true")
    finally:
        voice.stop()


def test_without_a_microphone_the_button_does_nothing() -> None:
    settings = load_settings(env={})

    def no_mic() -> Silence:
        raise OSError("no input device")

    voice = VoiceInput(settings, lambda lang: None, no_mic)
    voice.start(lambda text: None, lambda level: None)
    assert "no input device" in voice.problem
    voice.hold()
    voice.release()
    voice.next_citizen()
    assert not voice.is_held


def test_a_bad_hands_free_value_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="hands_free"):
        load_settings(env={"KIOSK_SPEECH_HANDS_FREE": "sometimes"})
