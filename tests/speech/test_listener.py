"""The listener: source + end-pointer + recognizer, muting while prompts play, robustness to failures.

The recognizer here is a test fake (the listener is what is under test); the real Vosk engine runs through the
listener in test_vosk_engine.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from kiosk.speech.audio import ArraySource, WavSource, split_blocks, write_wav_16k
from kiosk.speech.listener import Heard, Listener, ListenerEvent, RecognitionFailed
from kiosk.speech.vad import Level
from tests.speech.conftest import scale_to_dbfs, silence
from tests.support.audio import LiveSource
from tests.support.recognizers import FakeRecognizer

Speak = Callable[[str, str], np.ndarray]


def two_phrases(speak: Speak) -> np.ndarray:
    a = scale_to_dbfs(speak("satu dua", "id"), -20)
    b = scale_to_dbfs(speak("tiga empat", "id"), -20)
    return np.concatenate([silence(0.5), a, silence(1.5), b, silence(1.5)])


def test_a_wav_source_through_the_listener_gives_one_heard_event_per_utterance(
    tmp_path: Path, speak: Speak
) -> None:
    write_wav_16k(tmp_path / "two.wav", two_phrases(speak))
    events: list[ListenerEvent] = []
    listener = Listener(WavSource(tmp_path / "two.wav"), FakeRecognizer(), events.append)
    listener.run()
    heard = [e.transcript.text for e in events if isinstance(e, Heard)]
    assert heard == ["utt1", "utt2"]
    assert any(isinstance(e, Level) for e in events)


def test_the_screen_vocabulary_reaches_the_recognizer(speak: Speak) -> None:
    rec = FakeRecognizer()
    listener = Listener(ArraySource(two_phrases(speak)), rec, lambda e: None, vocabulary=["ya", "tidak"])
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
    rec = FakeRecognizer()
    events: list[ListenerEvent] = []
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, events.append)
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
    listener = Listener(ArraySource(silence(0.1)), None, lambda e: None)
    with listener.muted():
        with listener.muted():
            pass
        assert listener.is_muted
    assert not listener.is_muted


def test_a_failing_engine_becomes_a_recognition_failed_event_and_listening_goes_on(speak: Speak) -> None:
    events: list[ListenerEvent] = []
    Listener(ArraySource(two_phrases(speak)), FakeRecognizer(fail=True), events.append).run()
    failures = [e for e in events if isinstance(e, RecognitionFailed)]
    assert len(failures) == 2 and "engine exploded" in failures[0].reason


def test_a_broken_ui_callback_does_not_stop_listening(speak: Speak) -> None:
    rec = FakeRecognizer()

    def explode(event: ListenerEvent) -> None:
        raise ValueError("ui bug")

    Listener(ArraySource(two_phrases(speak)), rec, explode).run()
    assert len(rec.calls) == 2


def test_a_listener_in_a_thread_stops_when_asked(tmp_path: Path) -> None:
    listener = Listener(LiveSource(), None, lambda e: None)  # a quiet room: it never ends by itself
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
    Listener(Unplugged(), FakeRecognizer(), events.append).run()
    lost = [e for e in events if isinstance(e, AudioLost)]
    assert len(lost) == 1 and "unplugged" in lost[0].reason


# -- hold to talk ----------------------------------------------------------------------------------------------


def feed_seconds(listener: Listener, samples: np.ndarray) -> None:
    for block in split_blocks(samples):
        listener.feed(block)


def test_a_held_utterance_runs_from_the_preroll_before_the_press_to_the_tail_after_the_release(
    speak: Speak,
) -> None:
    """Two phrases with a pause longer than the hangover: the end-pointer would make two utterances, the
    button makes one, with 0.8 s from before the press and 0.7 s after the release."""
    rec = FakeRecognizer()
    events: list[ListenerEvent] = []
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, events.append)
    feed_seconds(listener, silence(1.5))
    listener.hold()
    assert not listener.is_held  # the listener thread takes the press with the next frame
    audio = two_phrases(speak)[8000:]  # phrase, 1.5 s pause, phrase, 1.5 s silence
    pressed_for = len(audio) - 16000
    feed_seconds(listener, audio[:pressed_for])
    assert listener.is_held
    listener.release()
    feed_seconds(listener, audio[pressed_for:])
    feed_seconds(listener, silence(1.0))
    heard = [e for e in events if isinstance(e, Heard)]
    assert [h.held for h in heard] == [True]
    assert not listener.is_held
    expected = pressed_for + int(0.8 * 16000) + int(0.7 * 16000)
    assert abs(len(rec.utterances[0]) - expected) <= 320, (len(rec.utterances[0]), expected)
    assert heard[0].duration_s == len(rec.utterances[0]) / 16000
    assert any(isinstance(e, Level) for e in events[-10:])  # the meter goes on after the release


def test_with_hands_free_off_only_held_utterances_are_recognized(speak: Speak) -> None:
    rec = FakeRecognizer()
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, lambda e: None, hands_free=False)
    feed_seconds(listener, two_phrases(speak))  # talk behind the kiosk, nobody pressing
    assert rec.utterances == []
    listener.hold()
    feed_seconds(listener, scale_to_dbfs(speak("satu dua", "id"), -20))
    listener.release()
    feed_seconds(listener, silence(1.0))
    assert len(rec.utterances) == 1
    listener.hands_free = True  # and back: the end-pointer's utterances count again
    feed_seconds(listener, two_phrases(speak))
    assert len(rec.utterances) == 3


def test_the_end_pointers_open_utterance_is_dropped_by_a_press_and_hands_free_ones_before_count(
    speak: Speak,
) -> None:
    rec = FakeRecognizer()
    events: list[ListenerEvent] = []
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, events.append)
    phrase = scale_to_dbfs(speak("satu dua tiga empat", "id"), -20)
    feed_seconds(listener, np.concatenate([silence(0.5), phrase, silence(1.5)]))  # heard hands-free
    feed_seconds(listener, phrase[: len(phrase) // 2])  # the end-pointer opens an utterance ...
    listener.hold()  # ... and the citizen presses the button halfway through
    feed_seconds(listener, phrase[len(phrase) // 2 :])
    listener.release()
    feed_seconds(listener, silence(2.0))
    assert [e.held for e in events if isinstance(e, Heard)] == [False, True]


def test_pressing_again_before_the_tail_ends_goes_on_with_the_same_utterance_and_a_lone_release_is_ignored(
    speak: Speak,
) -> None:
    rec = FakeRecognizer()
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, lambda e: None, hands_free=False)
    listener.release()
    feed_seconds(listener, silence(1.0))
    listener.hold()
    feed_seconds(listener, silence(1.0))
    listener.release()
    feed_seconds(listener, silence(0.3))  # less than the 0.7 s tail
    listener.hold()
    feed_seconds(listener, silence(1.0))
    listener.release()
    feed_seconds(listener, silence(1.0))
    assert len(rec.utterances) == 1
    assert abs(len(rec.utterances[0]) - int((0.8 + 1.0 + 0.3 + 1.0 + 0.7) * 16000)) <= 320


def test_a_button_held_too_long_is_cut_at_the_limit_and_starts_nothing_until_released() -> None:
    from kiosk.speech.vad import Endpointer, VadConfig

    rec = FakeRecognizer()
    events: list[ListenerEvent] = []
    listener = Listener(
        ArraySource(np.zeros(0, dtype=np.int16)),
        rec,
        events.append,
        endpointer=Endpointer(VadConfig(max_utterance_s=2.0)),
        hands_free=False,
    )
    feed_seconds(listener, silence(1.0))
    listener.hold()  # a child leaning on the button
    feed_seconds(listener, silence(5.0))
    heard = [e for e in events if isinstance(e, Heard)]
    assert [(h.held, h.forced_end) for h in heard] == [(True, True)]
    assert len(rec.utterances[0]) == 2 * 16000
    listener.release()
    feed_seconds(listener, silence(0.5))
    listener.hold()
    feed_seconds(listener, silence(0.5))
    listener.release()
    feed_seconds(listener, silence(1.0))
    assert len(rec.utterances) == 2


def test_a_prompt_starting_during_a_hold_forgets_it(speak: Speak) -> None:
    rec = FakeRecognizer()
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, lambda e: None, hands_free=False)
    phrase = scale_to_dbfs(speak("satu dua", "id"), -20)
    listener.hold()
    feed_seconds(listener, phrase)
    with listener.muted():
        feed_seconds(listener, phrase)
    assert not listener.is_held
    listener.release()
    feed_seconds(listener, silence(1.0))
    assert rec.utterances == []


def test_hear_presses_and_releases_the_button_at_the_given_times(tmp_path: Path, speak: Speak) -> None:
    from kiosk.speech.listener import hear

    write_wav_16k(tmp_path / "two.wav", two_phrases(speak))
    rec = FakeRecognizer()
    assert [t.text for t in hear(WavSource(tmp_path / "two.wav"), rec)] == ["utt1", "utt2"]
    rec = FakeRecognizer()
    texts = hear(WavSource(tmp_path / "two.wav"), rec, holds=[(0.4, 3.0)], hands_free=False)
    assert [t.text for t in texts] == ["utt1"]
    assert abs(len(rec.utterances[0]) - int((0.4 + 2.6 + 0.7) * 16000)) <= 320  # 0.4 s of pre-roll there was


def test_a_tap_hears_the_next_utterance_even_with_hands_free_off(speak: Speak) -> None:
    rec = FakeRecognizer()
    events: list[ListenerEvent] = []
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, events.append, hands_free=False)
    feed_seconds(listener, silence(1.0))
    listener.hold()
    feed_seconds(listener, silence(0.2))
    listener.release()  # a tap: "listen to me now"
    feed_seconds(listener, silence(0.1))
    assert not listener.is_held and listener.is_listening
    phrase = scale_to_dbfs(speak("satu dua tiga", "id"), -20)
    feed_seconds(listener, np.concatenate([silence(1.0), phrase, silence(1.5)]))  # end-pointed as usual
    heard = [e for e in events if isinstance(e, Heard)]
    assert [h.held for h in heard] == [False] and len(rec.utterances) == 1
    assert not listener.is_listening
    # ... once: the next utterance without a tap is not heard
    feed_seconds(listener, np.concatenate([phrase, silence(1.5)]))
    assert len(rec.utterances) == 1


def test_after_a_tap_nobody_talking_for_five_seconds_ends_the_listening(speak: Speak) -> None:
    rec = FakeRecognizer()
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, lambda e: None, hands_free=False)
    feed_seconds(listener, silence(0.5))
    listener.hold()
    feed_seconds(listener, silence(0.1))
    listener.release()
    feed_seconds(listener, silence(4.8))
    assert listener.is_listening
    feed_seconds(listener, silence(0.4))
    assert not listener.is_listening
    feed_seconds(listener, np.concatenate([scale_to_dbfs(speak("satu dua", "id"), -20), silence(1.5)]))
    assert rec.utterances == []


def test_talking_through_a_tap_is_one_utterance_not_two(speak: Speak) -> None:
    """The citizen taps while already talking: the end-pointer gets the audio from before the tap."""
    rec = FakeRecognizer()
    listener = Listener(ArraySource(np.zeros(0, dtype=np.int16)), rec, lambda e: None)
    phrase = scale_to_dbfs(speak("satu dua tiga empat lima", "id"), -20)
    feed_seconds(listener, np.concatenate([silence(0.5), phrase[:8000]]))
    listener.hold()
    feed_seconds(listener, phrase[8000:12800])
    listener.release()
    feed_seconds(listener, np.concatenate([phrase[12800:], silence(1.5)]))
    assert len(rec.utterances) == 1
    assert len(rec.utterances[0]) >= len(phrase)
