"""Sample-rate conversion: whole files and live streams keep the tone, its level, and do not fold hiss
down."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.speech.resample import StreamResampler, resample


def tone(freq: float, seconds: float, rate: int, amplitude: float = 10000.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def level_at(samples: np.ndarray, freq: float, rate: int = 16000) -> float:
    """Amplitude of the component at ``freq`` (Hann-windowed spectrum)."""
    w = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * w)) * 2 / w.sum()
    return float(spectrum[int(round(freq * len(samples) / rate))])


def streamed(x: np.ndarray, source_rate: int, block_sizes: list[int]) -> np.ndarray:
    r = StreamResampler(source_rate)
    out, i, k = [], 0, 0
    while i < len(x):
        n = block_sizes[k % len(block_sizes)]
        out.append(r.process(x[i : i + n]))
        i, k = i + n, k + 1
    return np.concatenate(out)


@pytest.mark.parametrize("rate", [44100, 48000, 8000, 22050])
def test_a_streamed_tone_keeps_its_frequency_and_level(rate: int) -> None:
    y = streamed(tone(1000, 2.0, rate), rate, [882])
    assert abs(len(y) - 32000) < 100
    middle = y[4000:28000]
    assert level_at(middle, 1000) == pytest.approx(10000, rel=0.02)


def test_the_stream_output_does_not_depend_on_block_sizes() -> None:
    x = np.random.default_rng(3).standard_normal(48000) * 5000
    a = streamed(x, 48000, [960])
    b = streamed(x, 48000, [17, 1000, 333])
    n = min(len(a), len(b))
    assert n > 15000
    assert np.allclose(a[:n], b[:n])


def test_downsampling_does_not_fold_high_hiss_into_the_speech_band() -> None:
    y = streamed(tone(12000, 2.0, 48000), 48000, [960])  # 12 kHz would alias to 4 kHz without filtering
    assert level_at(y[4000:28000], 4000) < 10000 * 0.01


def test_whole_file_resampling_keeps_length_tone_and_level() -> None:
    y = resample(tone(440, 1.0, 44100), 44100)
    assert len(y) == 16000
    assert level_at(y, 440) == pytest.approx(10000, rel=0.02)
