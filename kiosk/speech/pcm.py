"""Load WAV files as the recognizers want them: 16 kHz mono int16, converting rate and channels on the way.

The recognizers themselves refuse anything else (see :func:`check_pcm`), so resampling and mixing happen
once, here, at the edge.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from kiosk.speech.base import SAMPLE_RATE


class AudioFormatError(ValueError):
    """Audio that a recognizer cannot take, with what is wrong and what to do."""


def check_pcm(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Return ``samples`` if they are 16 kHz mono int16, else raise AudioFormatError saying how to fix it."""
    if sample_rate != SAMPLE_RATE:
        raise AudioFormatError(
            f"audio is {sample_rate} Hz but the recognizer needs {SAMPLE_RATE} Hz: "
            "resample first (kiosk.speech.pcm.load_wav_16k does it for WAV files)"
        )
    if not isinstance(samples, np.ndarray):
        raise AudioFormatError(f"audio must be a numpy array of int16 samples, got {type(samples).__name__}")
    if samples.ndim != 1:
        raise AudioFormatError(
            f"audio must be mono (one channel, 1-D array), got shape {samples.shape}: mix the channels down "
            "first (kiosk.speech.pcm.to_mono)"
        )
    if samples.dtype != np.int16:
        raise AudioFormatError(f"audio must be signed 16-bit PCM (int16), got {samples.dtype}")
    return samples


def to_mono(frames: np.ndarray) -> np.ndarray:
    """(n, channels) int16 -> (n,) int16 by averaging the channels."""
    if frames.ndim == 1:
        return frames
    return np.round(frames.astype(np.float32).mean(axis=1)).astype(np.int16)


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling by FFT (fine for utterance-length audio). int16 in, int16 out."""
    if rate_in == rate_out or len(samples) == 0:
        return samples
    n_out = int(round(len(samples) * rate_out / rate_in))
    spec = np.fft.rfft(samples.astype(np.float64))
    keep = min(len(spec), n_out // 2 + 1)
    out = np.fft.irfft(spec[:keep], n=n_out) * (n_out / len(samples))
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def load_wav_16k(path: str | Path) -> np.ndarray:
    """Read a PCM WAV file and return 16 kHz mono int16 samples.

    Raises AudioFormatError naming the file when it is missing, not a WAV, or not PCM 8/16/24/32-bit.
    """
    p = Path(path)
    if not p.is_file():
        raise AudioFormatError(f"{p}: no such audio file")
    try:
        with wave.open(str(p), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(
            f"{p}: not a PCM WAV file ({exc}); convert it, e.g. 'sox IN -r 16000 -c 1 -b 16 OUT.wav'"
        ) from exc
    if width == 2:
        data = np.frombuffer(raw, dtype="<i2")
    elif width == 1:
        data = ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        data = (b[:, 1].astype(np.int16) | (b[:, 2].astype(np.int16) << 8)).astype(np.int16)
    elif width == 4:
        data = (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    else:
        raise AudioFormatError(f"{p}: {8 * width}-bit samples are not supported; use 16-bit PCM")
    frames = data.reshape(-1, channels) if channels > 1 else data
    return resample(to_mono(frames).astype(np.int16), rate)
