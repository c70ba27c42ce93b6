"""Noise and room simulation in numpy, shared by training (augmentation) and the speech benchmark.

Four-talker babble is a sum of four utterances from different speakers; fan and traffic noise are synthetic
(coloured noise, hum harmonics, slow swells); rooms are exponentially decaying noise impulse responses.
Nothing here imports TensorFlow, so ``kiosk bench speech`` can use it on the kiosk. Where the talker is in a
recording (``speech_span``) is runtime code, in :mod:`kiosk.speech.span`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kiosk.speech.span import loud_span as loud_span
from kiosk.speech.span import speech_span as speech_span

SR = 16000


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


def active_rms(x: np.ndarray, frame: int = 400) -> float:
    """RMS over the loudest 50% of 25 ms frames, so leading/trailing silence does not bias the SNR."""
    n = len(x) // frame
    if n < 2:
        return rms(x)
    energies = np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    return float(np.sqrt(loudest_half_power(energies)))


def loudest_half_power(energies: np.ndarray) -> float:
    """Mean of the loudest half of per-frame powers: the active speech power (never zero). Training's
    mel-domain mixing uses it on feature frames, the time-domain mixing on 25 ms blocks."""
    if len(energies) < 2:
        return float(np.mean(energies)) + 1e-12
    return float(np.mean(np.sort(energies)[len(energies) // 2 :]) + 1e-12)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """speech + noise scaled so that active-speech power / noise power = snr_db. float32 in, float32 out."""
    noise = fit_length(noise, len(speech))
    gain = active_rms(speech) / (rms(noise) * 10 ** (snr_db / 20.0))
    return (speech + gain * noise).astype(np.float32)


def fit_length(x: np.ndarray, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Loop or crop ``x`` to exactly ``n`` samples (random offset when ``rng`` is given)."""
    if len(x) == 0:
        return np.zeros(n, dtype=np.float32)
    if len(x) < n:
        x = np.tile(x, n // len(x) + 1)
    start = int(rng.integers(0, len(x) - n + 1)) if rng is not None else 0
    return x[start : start + n]


def trim_silence(x: np.ndarray, lead_s: float, tail_s: float) -> np.ndarray:
    """``x`` with at most ``lead_s`` of its own silence before the speech and ``tail_s`` after it.

    The corpus recordings have about a second of silence around the digits; an end-pointed utterance at the
    kiosk has less. Training on both keeps the model from needing the long silence."""
    start, end = speech_span(x)
    return x[max(0, start - int(lead_s * SR)) : min(len(x), end + int(tail_s * SR))]


def change_speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``x`` ``factor`` times faster (tempo and pitch together, like a tape): linear resampling.

    Speed perturbation (0.9..1.1) makes a few dozen speakers sound like many more: vocal tract length and
    speaking rate both move.
    """
    if factor <= 0:
        raise ValueError(f"speed factor must be positive, got {factor}")
    n = max(1, int(round(len(x) / factor)))
    return np.interp(np.arange(n) * factor, np.arange(len(x)), x).astype(np.float32)


def babble(talkers: Sequence[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    """Sum of the given talkers (float32), each level-normalised and looped to ``n`` samples."""
    out = np.zeros(n, dtype=np.float32)
    for t in talkers:
        seg = fit_length(t, n, rng)
        out += seg / (active_rms(seg) + 1e-6) * float(rng.uniform(0.6, 1.0))
    return out


def _coloured(n: int, rng: np.random.Generator, slope: float) -> np.ndarray:
    """Noise with power spectrum ~ 1/f^slope (0 white, 1 pink, 2 brown)."""
    size = 1 << max(0, n - 1).bit_length()  # FFTs of awkward lengths are slow: make it a power of two
    spec = rng.standard_normal(size // 2 + 1) + 1j * rng.standard_normal(size // 2 + 1)
    f = np.maximum(np.arange(size // 2 + 1), 1.0)
    x = np.fft.irfft(spec / f ** (slope / 2.0), n=size)[:n]
    return (x / (rms(x) + 1e-12)).astype(np.float32)


def fan_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """A ceiling/desk fan or air conditioner: pinkish broadband noise, motor hum harmonics, blade flutter."""
    t = np.arange(n) / SR
    x = _coloured(n, rng, float(rng.uniform(0.5, 1.5)))
    f0 = float(rng.uniform(45, 130))
    hum = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.28)) / k for k in range(1, 5))
    flutter = 1.0 + 0.3 * np.sin(2 * np.pi * rng.uniform(3, 15) * t)
    return (x * flutter + float(rng.uniform(0.1, 0.6)) * hum).astype(np.float32)


def traffic_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Road traffic: brown-ish rumble with slow swells of passing vehicles and the odd motorbike whine."""
    t = np.arange(n) / SR
    x = _coloured(n, rng, float(rng.uniform(1.5, 2.2)))
    swell = np.ones(n)
    for _ in range(int(rng.integers(1, 4))):
        c, w = rng.uniform(0, n / SR), rng.uniform(0.5, 2.5)
        swell += float(rng.uniform(1, 4)) * np.exp(-0.5 * ((t - c) / w) ** 2)
    engine = np.sin(2 * np.pi * (rng.uniform(80, 250) + 30 * np.sin(2 * np.pi * 0.3 * t)) * t)
    return (x * swell + float(rng.uniform(0.0, 0.5)) * engine * swell).astype(np.float32)


def room_impulse(rng: np.random.Generator, rt60: float | None = None) -> np.ndarray:
    """A synthetic room impulse response: direct path plus exponentially decaying noise tail."""
    rt60 = float(rng.uniform(0.15, 0.7)) if rt60 is None else rt60
    n = int(SR * rt60)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(SR * 0.003)] = 0.0
    ir = np.concatenate([[1.0], tail * float(rng.uniform(0.05, 0.3))]).astype(np.float32)
    return ir / np.sqrt(np.sum(ir**2))


def reverberate(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    n = len(x) + len(ir) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)[: len(x)]
    return (y * (rms(x) / (rms(y) + 1e-12))).astype(np.float32)


def to_int16(x: np.ndarray) -> np.ndarray:
    """float in [-1, 1] to int16, clipping what overflows (as a real ADC would)."""
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)
