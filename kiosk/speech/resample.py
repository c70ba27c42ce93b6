"""Sample-rate conversion to the 16 kHz every engine takes: whole signals (WAV files) and live streams (a
microphone that only offers 44.1 or 48 kHz)."""

from __future__ import annotations

import numpy as np

from kiosk.speech.base import SAMPLE_RATE


def resample(samples: np.ndarray, source_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling of a whole signal (float in, float out) by cutting or zero-padding its
    spectrum."""
    if source_rate == target_rate or samples.size == 0:
        return samples
    n_out = int(round(samples.size * target_rate / source_rate))
    spectrum = np.fft.rfft(samples)
    n_bins = n_out // 2 + 1
    if n_bins <= spectrum.size:
        spectrum = spectrum[:n_bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(n_bins - spectrum.size, dtype=spectrum.dtype)])
    out: np.ndarray = np.fft.irfft(spectrum, n_out) * (n_out / samples.size)
    return out


class StreamResampler:
    """Windowed-sinc resampling of a stream in blocks of any size; the output does not depend on the block
    sizes.

    ``half_width`` input samples on each side of an output instant are weighted by a Kaiser-windowed sinc
    whose cut-off is 0.9 of the lower Nyquist frequency, so downsampling does not fold 8-24 kHz hiss into the
    speech band.
    """

    PHASES = 512
    """Fractional positions the kernel is tabulated at (1/512 of an input sample is far below audible
    error)."""

    def __init__(self, source_rate: int, target_rate: int = SAMPLE_RATE, half_width: int = 16) -> None:
        if source_rate <= 0 or target_rate <= 0:
            raise ValueError("sample rates must be positive")
        self.source_rate, self.target_rate = source_rate, target_rate
        self._step = source_rate / target_rate
        cutoff = 0.9 * min(1.0, target_rate / source_rate)
        self._half = int(np.ceil(half_width / cutoff))
        offsets = np.arange(-self._half + 1, self._half + 1)
        frac = np.arange(self.PHASES) / self.PHASES
        dist = frac[:, None] - offsets[None, :]  # output instant minus input index, per phase and tap
        ratio = np.clip(dist / (self._half + 1), -1.0, 1.0)
        window = np.i0(8.0 * np.sqrt(1.0 - ratio**2)) / np.i0(8.0)
        self._table = cutoff * np.sinc(cutoff * dist) * window
        self._offsets = offsets
        self._buf = np.zeros(self._half, dtype=np.float64)  # leading zeros: history before the first sample
        self._next = float(self._half)  # position of the next output instant in _buf coordinates

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed input samples (any dtype, int16 range); return the output samples that are now computable."""
        self._buf = np.concatenate([self._buf, np.asarray(block, dtype=np.float64)])
        last = len(self._buf) - self._half - 1  # an output needs _half samples after it
        if self._next > last:
            return np.zeros(0, dtype=np.float64)
        times = np.arange(self._next, last + 1e-9, self._step)
        base = np.floor(times).astype(np.int64)
        phase = np.minimum(np.round((times - base) * self.PHASES).astype(np.int64), self.PHASES - 1)
        out: np.ndarray = np.einsum(
            "ij,ij->i", self._buf[base[:, None] + self._offsets[None, :]], self._table[phase]
        )
        self._next = float(times[-1] + self._step)
        drop = max(0, int(np.floor(self._next)) - self._half)
        self._buf = self._buf[drop:]
        self._next -= drop
        return out
