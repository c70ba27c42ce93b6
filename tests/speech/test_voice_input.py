"""The app's voice input: hold to talk turns hands-free listening off until the next citizen, and the
``speech.hands_free`` setting decides where it starts. A real listener on a silent live-like source."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.voice import VoiceInput
from layanan.config import ConfigError, load_settings
from tests.support.audio import LiveSource
from tests.support.recognizers import FakeRecognizer


class Unplugged(LiveSource):
    """A microphone pulled out after its first block."""

    def blocks(self) -> Iterator[np.ndarray]:
        yield np.zeros(320, dtype=np.int16)
        raise OSError("device unplugged")


def hears_nothing() -> FakeRecognizer:
    return FakeRecognizer("", "fake:empty")


def started(hands_free: str) -> VoiceInput:
    settings = load_settings(env={"KIOSK_SPEECH_HANDS_FREE": hands_free})
    voice = VoiceInput(settings, lambda lang: hears_nothing(), LiveSource)
    voice.start(lambda text: None, lambda level: None)
    return voice


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the listener thread did not get there"
        time.sleep(0.02)


@pytest.mark.parametrize("setting", ["true", "false"])
def test_a_hold_listens_to_held_words_only_until_the_next_citizen(setting: str) -> None:
    voice = started(setting)
    try:
        assert voice.listener.hands_free is (setting == "true")
        voice.hold()
        wait_until(lambda: voice.is_held and voice.is_listening)
        time.sleep(0.7)  # longer than a tap
        voice.release()
        wait_until(lambda: not voice.is_held)
        # the held utterance ends tail_ms after the release, on the listener's thread (on a busy machine, later)
        wait_until(lambda: voice.listener.hands_free is False)
        voice.next_citizen()
        assert voice.listener.hands_free is (setting == "true")
    finally:
        voice.stop()


def test_a_tap_listens_once_and_leaves_hands_free_listening_as_it_was() -> None:
    voice = started("true")
    try:
        voice.hold()
        wait_until(lambda: voice.is_held)
        voice.release()
        wait_until(lambda: not voice.is_held)
        assert voice.is_listening  # waiting for the citizen to talk
        assert voice.listener.hands_free is True
    finally:
        voice.stop()


def test_without_a_microphone_the_button_does_nothing() -> None:
    settings = load_settings(env={})

    def no_mic() -> LiveSource:
        raise OSError("no input device")

    voice = VoiceInput(settings, lambda lang: None, no_mic)
    voice.start(lambda text: None, lambda level: None)
    voice.stop()
    assert "no input device" in voice.problem
    voice.hold()
    voice.release()
    voice.next_citizen()
    assert not voice.is_held


def test_a_bad_hands_free_value_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="hands_free"):
        load_settings(env={"KIOSK_SPEECH_HANDS_FREE": "sometimes"})


def test_the_words_heard_so_far_reach_the_screen_while_the_citizen_speaks(
    speak: Callable[[str, str], np.ndarray],
) -> None:
    """The real listener and the shipped Indonesian model: partials come before the final words."""
    from kiosk.speech.audio import ArraySource
    from kiosk.speech.litert import LiteRTRecognizer

    quiet = np.zeros(16000, dtype=np.int16)
    audio = np.concatenate([quiet, speak("tujuh delapan sembilan nol", "id"), quiet, quiet])
    settings = load_settings(env={})
    model = LiteRTRecognizer(Path(__file__).resolve().parents[2] / "models" / "digits-id.tflite")
    voice = VoiceInput(settings, lambda lang: model, lambda: ArraySource(audio))
    said: list[tuple[str, str]] = []
    voice.start(
        lambda text: said.append(("heard", text)),
        lambda level: None,
        lambda text: said.append(("partial", text)),
    )
    try:
        wait_until(lambda: ("heard", "tujuh delapan sembilan nol") in said)
    finally:
        voice.stop()
    partials = [text for kind, text in said if kind == "partial"]
    assert partials and said.index(("partial", partials[0])) < said.index(
        ("heard", "tujuh delapan sembilan nol")
    )


def test_talking_in_a_language_without_a_speech_model_is_reported_so_the_screen_can_say_so(
    speak: Callable[[str, str], np.ndarray],
) -> None:
    quiet = np.zeros(16000, dtype=np.int16)
    audio = np.concatenate([quiet, speak("satu dua", "id"), quiet])

    class Talking(LiveSource):  # a live microphone: the citizen talks, then the room is quiet
        def __init__(self) -> None:
            super().__init__()
            self.say(audio)

    voice = VoiceInput(load_settings(env={}), lambda lang: None, Talking)
    problems: list[str] = []
    voice.start(lambda text: None, lambda level: None, None, problems.append)
    try:
        wait_until(lambda: problems == ["model"])
        assert voice.status("id").startswith("voice off in 'id': no speech model")
    finally:
        voice.stop()


def test_no_microphone_or_a_lost_one_is_reported_as_the_microphone() -> None:
    from kiosk.speech.audio import MicrophoneUnavailable

    def no_microphone() -> LiveSource:
        raise MicrophoneUnavailable("no input device")

    voice = VoiceInput(load_settings(env={}), lambda lang: hears_nothing(), no_microphone)
    voice.start(lambda text: None, lambda level: None)
    voice.stop()
    assert voice.unavailable("id") == "microphone"
    assert voice.status("id") == "voice off: no input device"  # what the staff panel shows

    lost = VoiceInput(load_settings(env={}), lambda lang: hears_nothing(), Unplugged)
    problems: list[str] = []
    lost.start(lambda text: None, lambda level: None, None, problems.append)
    try:
        wait_until(lambda: problems == ["microphone"])
        assert lost.unavailable("id") == "microphone"
    finally:
        lost.stop()


def test_voice_works_when_the_microphone_runs_and_the_language_has_a_model() -> None:
    voice = started("true")
    try:
        assert voice.unavailable("id") is None
        assert voice.status("id") == "voice on: fake:empty"
    finally:
        voice.stop()


def test_a_clipped_utterance_tells_staff_to_lower_the_microphone_gain_until_one_is_clean(
    speak: Callable[[str, str], np.ndarray],
) -> None:
    from kiosk.speech.audio import ArraySource

    speech = speak("satu dua", "id")
    overdriven = np.clip(speech.astype(np.int32) * 20, -32768, 32767).astype(np.int16)
    quiet = np.zeros(16000, dtype=np.int16)
    gate = threading.Event()

    class TwoUtterances(LiveSource):  # overdriven first; the clean one once the test has looked
        def blocks(self) -> Iterator[np.ndarray]:
            yield from ArraySource(np.concatenate([quiet, overdriven, quiet, quiet])).blocks()
            gate.wait(5)
            yield from ArraySource(np.concatenate([speech, quiet, quiet])).blocks()
            yield from super().blocks()

    voice = VoiceInput(load_settings(env={}), lambda lang: hears_nothing(), TwoUtterances)
    voice.start(lambda text: None, lambda level: None)
    try:
        wait_until(lambda: voice.too_loud)
        assert "too loud (clipping): lower its gain" in voice.status("id")
        gate.set()
        wait_until(lambda: not voice.too_loud)
        assert voice.status("id") == "voice on: fake:empty"
    finally:
        gate.set()
        voice.stop()


def test_the_other_languages_models_load_on_a_thread_and_never_hold_up_the_screen() -> None:
    """The greeting language's model loads in start(); the others on the voice-models thread, and while one of
    them is still loading, asking about a loaded language does not wait for it."""
    settings = load_settings(env={"KIOSK_LANGUAGES": "id,en", "KIOSK_LANG": "id"})
    release_en = threading.Event()
    loaded_on: dict[str, str] = {}

    def load(lang: str) -> FakeRecognizer:
        loaded_on[lang] = threading.current_thread().name
        if lang == "en":
            release_en.wait(10)
        return hears_nothing()

    voice = VoiceInput(settings, load, LiveSource)
    voice.start(lambda text: None, lambda level: None)
    try:
        assert loaded_on["id"] == threading.current_thread().name
        wait_until(lambda: "en" in loaded_on)
        answers: list[str | None] = []
        asking = threading.Thread(target=lambda: answers.append(voice.unavailable("id")))
        asking.start()
        asking.join(5)
        assert answers == [None]  # answered while "en" was still loading
        release_en.set()
        voice.follow("en", ("ya", "tidak"))
        assert loaded_on == {"id": "MainThread", "en": "voice-models"}
        assert voice.listener.recognizer is voice._recognizers["en"]
    finally:
        release_en.set()
        voice.stop()


def test_a_lost_microphone_is_looked_for_again_and_voice_comes_back_with_the_screen_words() -> None:
    from kiosk.speech.audio import MicrophoneUnavailable

    plugged = threading.Event()
    opened: list[object] = []

    def microphone() -> LiveSource:
        if not opened:
            opened.append(Unplugged())
        elif not plugged.is_set():
            raise MicrophoneUnavailable("no input device")
        else:
            opened.append(LiveSource())
        return opened[-1]  # type: ignore[return-value]

    voice = VoiceInput(load_settings(env={}), lambda lang: hears_nothing(), microphone, retry_s=0.05)
    problems: list[str] = []
    voice.start(lambda text: None, lambda level: None, None, problems.append)
    try:
        voice.follow("id", ("satu", "dua"))
        wait_until(lambda: problems == ["microphone"])
        wait_until(lambda: voice.problem == "no input device")  # looked for, not there yet
        assert voice.unavailable("id") == "microphone"
        assert opened[0].closed.is_set()  # what was left of the lost one is closed
        plugged.set()
        wait_until(lambda: voice.unavailable("id") is None)
        assert len(opened) == 2 and voice.listener.source is opened[1]
        assert voice.listener.vocabulary == ("satu", "dua")
        assert voice.status("id") == "voice on: fake:empty"
    finally:
        voice.stop()


def test_a_lost_microphone_that_hangs_in_close_does_not_stop_the_search_for_one(monkeypatch) -> None:
    """A driver may block for ever in closing an unplugged device; the kiosk waits CLOSE_WAIT_S, then looks for
    a microphone anyway, and voice comes back when one is plugged in."""
    from kiosk.speech import voice as voice_module

    monkeypatch.setattr(voice_module, "CLOSE_WAIT_S", 0.1)
    stuck = threading.Event()
    opened: list[object] = []

    class HangsInClose(Unplugged):
        def close(self) -> None:
            stuck.wait(30)

    def microphone() -> LiveSource:
        opened.append(HangsInClose() if not opened else LiveSource())
        return opened[-1]  # type: ignore[return-value]

    voice = VoiceInput(load_settings(env={}), lambda lang: hears_nothing(), microphone, retry_s=0.05)
    problems: list[str] = []
    voice.start(lambda text: None, lambda level: None, None, problems.append)
    try:
        wait_until(lambda: problems == ["microphone"])
        wait_until(lambda: len(opened) == 2 and voice.unavailable("id") is None)
        assert voice.listener.source is opened[1] and not stuck.is_set()  # back while the old one still hangs
    finally:
        stuck.set()
        voice.stop()


def test_the_device_list_is_not_read_again_under_an_open_stream() -> None:
    from kiosk.speech import portaudio

    with portaudio.stream_open():
        assert portaudio.refresh_devices() is False
    assert portaudio.refresh_devices() is True


def test_an_asked_for_utterance_with_no_word_is_reported_and_hands_free_noise_is_not(
    speak: Callable[[str, str], np.ndarray],
) -> None:
    """The real listener: on_missed (the screen asks again) for an utterance with no recognized word that the
    citizen asked for, by a tap on the talk button just before it or by holding the button over it; not for
    one the end-pointer found hands-free."""
    from kiosk.speech.audio import ArraySource

    quiet = np.zeros(16000, dtype=np.int16)
    cough = speak("satu", "id")  # heard by the end-pointer; this recognizer finds no word in anything
    tapped = threading.Event()

    class Room(LiveSource):
        def blocks(self) -> Iterator[np.ndarray]:
            yield from ArraySource(np.concatenate([quiet, cough, quiet, quiet])).blocks()
            while not tapped.is_set() and not self.closed.wait(0.02):  # a quiet room, until the tap
                yield np.zeros(320, dtype=np.int16)
            yield from ArraySource(np.concatenate([quiet[:4000], cough, quiet, quiet])).blocks()
            yield from super().blocks()

    voice = VoiceInput(
        load_settings(env={"KIOSK_SPEECH_HANDS_FREE": "true"}), lambda lang: hears_nothing(), Room
    )
    heard: list[str] = []
    missed: list[str] = []
    voice.start(heard.append, lambda level: None, None, None, lambda: missed.append("asked"))
    try:
        time.sleep(2.5)  # the first sound went by hands-free and was end-pointed: no word, no answer
        assert missed == []
        voice.hold()  # a tap: "listen to me now"
        wait_until(lambda: voice.is_held)
        voice.release()
        tapped.set()
        wait_until(lambda: missed == ["asked"])
        voice.hold()  # a hold over silence
        wait_until(lambda: voice.is_held)
        time.sleep(0.7)
        voice.release()
        wait_until(lambda: missed == ["asked", "asked"])
        assert heard == []
    finally:
        tapped.set()
        voice.stop()


def test_a_busy_room_turns_hands_free_off_asks_the_citizen_once_and_gives_it_back_when_quiet(
    speak: Callable[[str, str], np.ndarray],
) -> None:
    """Four synthesized talkers while citizens queue: 12 s on the attract screen, 10 s of a session, 12 s on the
    attract screen again. Only the time between citizens counts, and it adds up: after the second wait the room
    is busy, hands-free listening goes off and nobody is told; the citizen who arrives is asked once to hold the
    button. It stays off for the next citizen, and comes back between citizens after 25 s of room tone."""
    from kiosk.speech.audio import split_blocks
    from tests.speech.conftest import noise
    from tests.support.babble import babble

    talk = babble(speak, 34, -32)
    parts = [talk[: 12 * 16000], talk[12 * 16000 : 22 * 16000], talk[22 * 16000 :], noise(25, -70, seed=5)]
    go_on = [threading.Event() for _ in parts]
    done = [threading.Event() for _ in parts]

    class Room(LiveSource):
        def blocks(self) -> Iterator[np.ndarray]:
            for part, go, finished in zip(parts, go_on, done, strict=True):
                go.wait(10)
                yield from split_blocks(part)
                yield np.zeros(320, dtype=np.int16)
                finished.set()  # the listener has asked for the block after this part's last one
            yield from super().blocks()

    def play(i: int) -> None:
        go_on[i].set()
        assert done[i].wait(20), f"the listener did not work through part {i}"

    told: list[str] = []
    voice = VoiceInput(load_settings(env={}), lambda lang: hears_nothing(), Room)
    voice.start(lambda text: None, lambda level: None, on_busy=lambda: told.append("hold the button"))
    try:
        play(0)  # 12 s between citizens: not yet a whole window
        assert not voice.room.busy and voice.listener.hands_free is True
        voice.citizen_arrived()
        play(1)  # a citizen's session: not counted
        assert not voice.room.busy and told == []
        voice.next_citizen()
        play(2)  # 12 s more between citizens: 24 s of chatter
        assert voice.room.busy and voice.listener.hands_free is False and told == []  # nobody to tell
        assert voice.status("id").endswith(
            "the room is busy: only words said while the talk button is held count"
        )
        voice.citizen_arrived()
        voice.citizen_arrived()  # the next screen of the same citizen
        assert told == ["hold the button"]
        voice.next_citizen()
        assert voice.listener.hands_free is False  # still busy
        play(3)
        assert not voice.room.busy and voice.listener.hands_free is True
        voice.citizen_arrived()
        assert told == ["hold the button"]  # a quiet room asks nothing
    finally:
        for event in go_on:
            event.set()
        voice.stop()
