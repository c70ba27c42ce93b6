"""The noise and speed augmentation shared by training and the speech benchmark (tools/speech/augment.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tools.speech import augment

SR = augment.SR


def tone(hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def peak_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * SR / len(x))


@pytest.mark.parametrize("factor", [0.88, 1.0, 1.12])
def test_change_speed_moves_pitch_and_length_together(factor: float) -> None:
    x = tone(440.0, 1.0)
    y = augment.change_speed(x, factor)
    assert y.dtype == np.float32
    assert len(y) == round(len(x) / factor)
    assert peak_hz(y) == pytest.approx(440.0 * factor, abs=3.0)


def test_change_speed_refuses_a_factor_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        augment.change_speed(tone(440.0, 0.1), 0.0)


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_mix_at_snr_sets_the_active_speech_to_noise_ratio(snr_db: float) -> None:
    rng = np.random.default_rng(1)
    speech = np.concatenate([np.zeros(SR // 2, np.float32), tone(300.0, 1.0)])
    noise = rng.standard_normal(len(speech)).astype(np.float32)
    mixed = augment.mix_at_snr(speech, noise, snr_db)
    added = mixed - speech
    measured = 20 * np.log10(augment.active_rms(speech) / augment.rms(added))
    assert measured == pytest.approx(snr_db, abs=0.05)


def test_babble_sums_every_talker_at_comparable_level() -> None:
    rng = np.random.default_rng(2)
    talkers = [tone(200.0 + 100 * i, 0.5) * (10.0**-i) for i in range(4)]
    out = augment.babble(talkers, SR, rng)
    assert len(out) == SR
    spec = np.abs(np.fft.rfft(out))
    levels = [spec[int(round((200 + 100 * i) * len(out) / SR))] for i in range(4)]
    # Talkers 1000 times quieter than the first still come through at a similar level.
    assert max(levels) / min(levels) < 3.0


def test_speech_span_finds_the_talker_between_silences() -> None:
    x = np.concatenate([np.zeros(SR, np.float32), tone(300.0, 0.5), np.zeros(SR // 2, np.float32)])
    start, end = augment.speech_span(x)
    assert abs(start - SR) <= 320 and abs(end - int(1.5 * SR)) <= 320


def test_trim_silence_keeps_the_asked_silence_around_the_speech() -> None:
    x = np.concatenate([np.zeros(SR, np.float32), tone(300.0, 0.5), np.zeros(SR, np.float32)])
    y = augment.trim_silence(x, 0.2, 0.1)
    assert len(y) == pytest.approx(int(0.8 * SR), abs=2 * 320)
    assert augment.rms(y) > augment.rms(x)  # same speech, less silence
    assert len(augment.trim_silence(x, 5.0, 5.0)) == len(x)  # never more than the recording has
