"""Log-mel features in plain numpy, shared by training and the runtime so both see exactly the same numbers.

16 kHz mono input; 25 ms Hann windows every 10 ms; 512-point FFT; 40 mel bands from 60 Hz to 7.6 kHz;
natural log of the mel power plus a small floor. No TensorFlow here: the kiosk imports this at runtime.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class FeatureParams:
    """How audio becomes the model's input; stored in the model manifest."""

    sample_rate: int = SAMPLE_RATE
    """Input sample rate in Hz."""
    win_length: int = 400
    """Window length in samples (25 ms)."""
    hop_length: int = 160
    """Hop in samples (10 ms)."""
    n_fft: int = 512
    """FFT size."""
    n_mels: int = 40
    """Number of mel bands."""
    f_min: float = 60.0
    """Lowest mel band edge in Hz."""
    f_max: float = 7600.0
    """Highest mel band edge in Hz."""
    log_floor: float = 1e-6
    """Added to the mel power before the log, so silence stays finite."""
    level_channel: bool = False
    """Append one column: each frame's energy relative to the utterance's speech level (:func:`level`). The
    per-band normalisation hides how loud a frame is next to the rest of the utterance, which is what tells
    the citizen from the people talking behind them."""

    @property
    def n_inputs(self) -> int:
        """Columns of :func:`features`: the mel bands, plus the level column when there is one."""
        return self.n_mels + int(self.level_channel)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureParams:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def _vtlp(hz: np.ndarray, warp: float, nyquist: float, f_hi: float = 4800.0) -> np.ndarray:
    if warp == 1.0:
        return hz
    bend = f_hi * min(warp, 1.0) / warp
    above = nyquist - (nyquist - f_hi * min(warp, 1.0)) / (nyquist - bend) * (nyquist - hz)
    return np.where(hz <= bend, hz * warp, above)


@lru_cache(maxsize=64)
def mel_filterbank(params: FeatureParams, warp: float = 1.0) -> np.ndarray:
    """Triangular HTK-style mel filters, shape (n_fft // 2 + 1, n_mels).

    ``warp`` is for training only (vocal tract length perturbation, Jaitly and Hinton 2013): the filter edges
    move by that factor up to 4.8 kHz and piecewise linearly above it, so the top edge stays at or under the
    Nyquist frequency and no filter collapses to nothing. The bands then read a talker's spectrum as if the
    formants sat 1 / ``warp`` times as high. The kiosk always uses 1.0."""
    n_bins = params.n_fft // 2 + 1
    fft_hz = np.linspace(0.0, params.sample_rate / 2.0, n_bins)
    mel_points = np.linspace(_hz_to_mel(params.f_min), _hz_to_mel(params.f_max), params.n_mels + 2)
    hz_points = _vtlp(_mel_to_hz(mel_points), warp, params.sample_rate / 2.0)
    bank = np.zeros((n_bins, params.n_mels), dtype=np.float64)
    for m in range(params.n_mels):
        lo, mid, hi = hz_points[m], hz_points[m + 1], hz_points[m + 2]
        rising = (fft_hz - lo) / (mid - lo)
        falling = (hi - fft_hz) / (hi - mid)
        bank[:, m] = np.maximum(0.0, np.minimum(rising, falling))
    return bank.astype(np.float32)


@lru_cache(maxsize=8)
def _window(params: FeatureParams) -> np.ndarray:
    return np.hanning(params.win_length + 1)[:-1].astype(np.float32)


def to_float(samples: np.ndarray) -> np.ndarray:
    """int16 PCM (or float already in [-1, 1]) to float32 in [-1, 1]."""
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return np.asarray(samples, dtype=np.float32)


def num_frames(n_samples: int, params: FeatureParams = FeatureParams()) -> int:
    """Frames log_mel returns for ``n_samples`` samples (at least 1)."""
    if n_samples < params.win_length:
        return 1
    return 1 + (n_samples - params.win_length) // params.hop_length


def analysis_windows(x: np.ndarray, params: FeatureParams = FeatureParams()) -> np.ndarray:
    """The frames :func:`log_mel` analyses, shape (frames, win_length), a view of ``x`` (zero-padded to one
    window when shorter)."""
    if len(x) < params.win_length:
        x = np.pad(x, (0, params.win_length - len(x)))
    return np.lib.stride_tricks.sliding_window_view(x, params.win_length)[:: params.hop_length]


def log_mel(samples: np.ndarray, params: FeatureParams = FeatureParams(), warp: float = 1.0) -> np.ndarray:
    """Log-mel energies, shape (frames, n_mels), float32. ``samples``: int16 or float32 mono at 16 kHz.
    ``warp``: see :func:`mel_filterbank` (training only)."""
    x = to_float(samples)
    if x.ndim != 1:
        raise ValueError(f"log_mel expects mono samples (1-D), got shape {x.shape}")
    spec = np.fft.rfft(analysis_windows(x, params) * _window(params), n=params.n_fft, axis=1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)
    mel = power @ mel_filterbank(params, warp)
    return np.log(mel + params.log_floor).astype(np.float32)


def normalize(feats: np.ndarray) -> np.ndarray:
    """Per-utterance mean/variance normalisation per band (robust to microphone gain)."""
    mean = feats.mean(axis=0, keepdims=True)
    std = feats.std(axis=0, keepdims=True)
    return ((feats - mean) / (std + 1e-3)).astype(np.float32)


LEVEL_PERCENTILE = 90.0
"""The utterance's speech level: this percentile of its frame energies (the talker, not the pauses)."""
LEVEL_RANGE = (-4.0, 1.0)
"""The level column in tens of dB relative to the speech level, clipped: -40 dB .. +10 dB."""


def level(feats: np.ndarray) -> np.ndarray:
    """Each frame's energy relative to the utterance's speech level in tens of dB, shape (frames, 1).

    ``feats`` is :func:`log_mel` output. At 10 dB SNR the talkers behind the citizen sit around -1 (10 dB
    under the citizen's speech) while the citizen's own words reach 0; gain and microphone drop out."""
    peak = feats.max(axis=1, keepdims=True)
    energy = peak[:, 0] + np.log(np.exp(feats - peak).sum(axis=1))  # log of the summed mel power
    ref = float(np.percentile(energy, LEVEL_PERCENTILE))
    return np.clip((energy - ref) / np.log(10.0), *LEVEL_RANGE).astype(np.float32)[:, None]


def features(samples: np.ndarray, params: FeatureParams = FeatureParams(), warp: float = 1.0) -> np.ndarray:
    """What the model sees: normalised log-mel, shape (frames, params.n_inputs); with ``level_channel``
    the last column is :func:`level`. ``warp``: see :func:`mel_filterbank` (training only)."""
    mel = log_mel(samples, params, warp)
    if not params.level_channel:
        return normalize(mel)
    return np.concatenate([normalize(mel), level(mel)], axis=1)
