"""End-pointing on real (synthesized) speech, silence, steady noise, clicks and endless sound."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from kiosk.speech.vad import Endpointer, Level, SpeechStart, Utterance, VadConfig
from tests.speech.conftest import mix, noise, scale_to_dbfs, silence

Speak = Callable[[str, str], np.ndarray]


def run(signal: np.ndarray, config: VadConfig | None = None, block: int = 320) -> list[object]:
    ep = Endpointer(config)
    events: list[object] = []
    for start in range(0, len(signal), block):
        events += ep.process(signal[start : start + block])
    return events + ep.flush()


def utterances(events: list[object]) -> list[Utterance]:
    return [e for e in events if isinstance(e, Utterance)]


def test_silence_yields_no_utterance() -> None:
    assert utterances(run(silence(5.0))) == []


def test_steady_noise_yields_no_utterance() -> None:
    assert utterances(run(noise(8.0, -30.0))) == []


def test_one_spoken_phrase_yields_one_utterance_with_preroll_and_a_short_tail(speak: Speak) -> None:
    phrase = scale_to_dbfs(speak("satu dua tiga", "id"), -20)
    signal = mix(np.concatenate([silence(1.0), phrase, silence(2.0)]), noise(4.0 + len(phrase) / 16000, -60))
    events = run(signal)
    found = utterances(events)
    assert len(found) == 1
    assert not found[0].forced_end
    speech_s = len(phrase) / 16000
    # espeak pads its output with a little silence, so the utterance may be a bit shorter than the file.
    config = VadConfig()
    assert speech_s - 0.4 < found[0].duration_s < speech_s + (config.preroll_ms + config.tail_ms) / 1000 + 0.1
    assert sum(isinstance(e, SpeechStart) for e in events) == 1


def test_two_phrases_with_a_long_pause_yield_two_utterances(speak: Speak) -> None:
    a = scale_to_dbfs(speak("satu", "id"), -20)
    b = scale_to_dbfs(speak("dua", "id"), -20)
    signal = np.concatenate([silence(0.5), a, silence(1.5), b, silence(1.5)])
    assert len(utterances(run(signal))) == 2


def test_speech_ten_db_above_a_fan_is_still_found(speak: Speak) -> None:
    phrase = scale_to_dbfs(speak("empat lima enam", "id"), -20)
    speech = np.concatenate([silence(1.5), phrase, silence(2.0)])
    found = utterances(run(mix(speech, noise(len(speech) / 16000, -32))))
    assert len(found) == 1


def test_a_click_is_dropped() -> None:
    signal = np.concatenate([silence(1.0), noise(0.08, -10), silence(2.0)])
    events = run(signal)
    assert utterances(events) == []


def test_endless_sound_is_cut_at_the_maximum_length_and_marked_forced() -> None:
    config = VadConfig(max_utterance_s=2.0)
    signal = np.concatenate([silence(1.0), noise(5.0, -15)])
    found = utterances(run(signal, config))
    assert found and found[0].forced_end
    assert found[0].duration_s == pytest.approx(2.0, abs=0.05)


def test_after_a_forced_cut_the_floor_learns_the_new_noise_and_stops_hearing_it() -> None:
    config = VadConfig(max_utterance_s=2.0)
    signal = np.concatenate([silence(1.0), noise(12.0, -25)])
    found = utterances(run(signal, config))
    assert len(found) == 1


def test_level_meter_is_between_0_and_1_and_rises_with_loudness() -> None:
    quiet = [e.value for e in run(noise(1.0, -50)) if isinstance(e, Level)]
    loud = [e.value for e in run(noise(1.0, -10)) if isinstance(e, Level)]
    assert all(0.0 <= v <= 1.0 for v in quiet + loud)
    assert np.mean(loud) > np.mean(quiet) + 0.4
    assert len(quiet) == 50  # one value per 20 ms frame


def test_odd_block_sizes_give_the_same_result_as_frames(speak: Speak) -> None:
    phrase = scale_to_dbfs(speak("tujuh delapan", "id"), -20)
    signal = np.concatenate([silence(1.0), phrase, silence(1.5)])
    a = utterances(run(signal, block=320))
    b = utterances(run(signal, block=777))
    assert len(a) == len(b) == 1
    assert np.array_equal(a[0].samples, b[0].samples)


def test_bad_vad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="frame_ms"):
        VadConfig(frame_ms=25)
    with pytest.raises(ValueError, match="hangover"):
        VadConfig(hangover_ms=0)


def test_an_utterance_knows_where_it_started_and_when_its_end_was_decided(speak: Speak) -> None:
    phrase = scale_to_dbfs(speak("satu dua", "id"), -20)
    signal = np.concatenate([silence(1.0), phrase, silence(2.0)])
    (utt,) = utterances(run(signal))
    assert np.array_equal(signal[utt.start_sample : utt.start_sample + len(utt.samples)], utt.samples)
    kept_until = utt.start_sample + len(utt.samples)
    assert kept_until <= utt.detected_sample <= kept_until + 2 * 320
