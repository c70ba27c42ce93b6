"""The listener: source + end-pointer + recognizer, muting while prompts play, robustness to failures.

The recognizer here is a test fake (the listener is what is under test); the real Vosk engine runs through the
listener in test_vosk_engine.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from kiosk.speech.audio import WavSource, split_blocks, write_wav_16k
from kiosk.speech.base import Transcript
from kiosk.speech.listener import Heard, Listener, ListenerEvent, RecognitionFailed
from kiosk.speech.vad import Level
from tests.speech.conftest import scale_to_dbfs, silence

Speak = Callable[[str, str], np.ndarray]


class CountingRecognizer:
    """Names each utterance by its order and records the vocabulary it was given."""

    name = "fake:counting"

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[int, tuple[str, ...] | None]] = []
        self.fail = fail

    def recognize(self, samples: np.ndarray, vocabulary: Sequence[str] | None = None) -> Transcript:
        if self.fail:
            raise RuntimeError("engine exploded")
        self.calls.append((len(samples), tuple(vocabulary) if vocabulary is not None else None))
        return Transcript(f"utt{len(self.calls)}", self.name)


class ListSource:
    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples

    def blocks(self) -> Iterator[np.ndarray]:
        yield from split_blocks(self.samples)

    def close(self) -> None:
        pass


def two_phrases(speak: Speak) -> np.ndarray:
    a = scale_to_dbfs(speak("satu dua", "id"), -20)
    b = scale_to_dbfs(speak("tiga empat", "id"), -20)
    return np.concatenate([silence(0.5), a, silence(1.5), b, silence(1.5)])


def test_a_wav_source_through_the_listener_gives_one_heard_event_per_utterance(
    tmp_path: Path, speak: Speak
) -> None:
    write_wav_16k(tmp_path / "two.wav", two_phrases(speak))
    events: list[ListenerEvent] = []
    listener = Listener(WavSource(tmp_path / "two.wav"), CountingRecognizer(), events.append)
    listener.run()
    heard = [e.transcript.text for e in events if isinstance(e, Heard)]
    assert heard == ["utt1", "utt2"]
    assert any(isinstance(e, Level) for e in events)


def test_the_screen_vocabulary_reaches_the_recognizer(speak: Speak) -> None:
    rec = CountingRecognizer()
    listener = Listener(ListSource(two_phrases(speak)), rec, lambda e: None, vocabulary=["ya", "tidak"])
    blocks = list(split_blocks(two_phrases(speak)))
    half = len(blocks) // 2
    for b in blocks[:half]:
        listener.feed(b)
    listener.set_vocabulary(["satu", "dua"])
    for b in blocks[half:]:
        listener.feed(b)
    assert [v for _, v in rec.calls] == [("ya", "tidak"), ("satu", "dua")]


def test_nothing_is_heard_while_muted_and_an_utterance_cut_by_muting_is_forgotten(speak: Speak) -> None:
    phrase = scale_to_dbfs(speak("satu dua tiga empat", "id"), -20)
    rec = CountingRecognizer()
    events: list[ListenerEvent] = []
    listener = Listener(ListSource(np.zeros(0, dtype=np.int16)), rec, events.append)
    blocks = list(split_blocks(np.concatenate([silence(0.5), phrase])))
    for b in blocks[: len(blocks) // 2]:  # the citizen starts talking...
        listener.feed(b)
    with listener.muted():  # ...and a prompt starts playing
        assert listener.is_muted
        for b in list(split_blocks(phrase)) + list(split_blocks(silence(2.0))):
            listener.feed(b)
    for b in split_blocks(silence(2.0)):
        listener.feed(b)
    assert not listener.is_muted
    assert rec.calls == []
    # after unmuting, speech is heard again
    for b in split_blocks(np.concatenate([phrase, silence(1.5)])):
        listener.feed(b)
    assert len(rec.calls) == 1


def test_mutes_nest_until_the_outermost_block_ends() -> None:
    listener = Listener(ListSource(silence(0.1)), None, lambda e: None)
    with listener.muted():
        with listener.muted():
            pass
        assert listener.is_muted
    assert not listener.is_muted


def test_a_failing_engine_becomes_a_recognition_failed_event_and_listening_goes_on(speak: Speak) -> None:
    events: list[ListenerEvent] = []
    Listener(ListSource(two_phrases(speak)), CountingRecognizer(fail=True), events.append).run()
    failures = [e for e in events if isinstance(e, RecognitionFailed)]
    assert len(failures) == 2 and "engine exploded" in failures[0].reason


def test_a_broken_ui_callback_does_not_stop_listening(speak: Speak) -> None:
    rec = CountingRecognizer()

    def explode(event: ListenerEvent) -> None:
        raise ValueError("ui bug")

    Listener(ListSource(two_phrases(speak)), rec, explode).run()
    assert len(rec.calls) == 2


def test_a_listener_in_a_thread_stops_when_asked(tmp_path: Path) -> None:
    class Endless:
        closed = False

        def blocks(self) -> Iterator[np.ndarray]:
            while not self.closed:
                yield silence(0.02)

        def close(self) -> None:
            self.closed = True

    listener = Listener(Endless(), None, lambda e: None)
    listener.start()
    assert listener.is_running
    listener.stop(timeout=5.0)
    assert not listener.is_running


def test_a_microphone_that_dies_mid_run_gives_audio_lost_and_the_listener_returns(speak: Speak) -> None:
    from kiosk.speech.audio import MicrophoneUnavailable
    from kiosk.speech.listener import AudioLost

    class Unplugged:
        def blocks(self) -> Iterator[np.ndarray]:
            yield from split_blocks(silence(0.5))
            raise MicrophoneUnavailable("the microphone stopped delivering audio (unplugged?)")

        def close(self) -> None:
            pass

    events: list[ListenerEvent] = []
    Listener(Unplugged(), CountingRecognizer(), events.append).run()
    lost = [e for e in events if isinstance(e, AudioLost)]
    assert len(lost) == 1 and "unplugged" in lost[0].reason
