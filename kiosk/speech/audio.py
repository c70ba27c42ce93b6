"""Audio input: the ``AudioSource`` edge (microphone or WAV file) and WAV reading at 16 kHz mono int16.

Every source yields blocks of int16 mono samples at 16 kHz (:data:`kiosk.speech.base.SAMPLE_RATE`), which is
what the VAD and every recognizer take.

WAV policy (decided here, documented in docs/speech.md):

- 16-bit (also 8-, 24- and 32-bit integer) PCM is read; float WAV and compressed formats are refused with
  the sox command that converts them.
- Any sample rate from 8 kHz to 192 kHz is converted to 16 kHz (band-limited FFT resampling) with a logged
  note. 8 kHz telephone audio loses nothing it had; below 8 kHz the speech band is gone, so it is refused.
- Stereo (or more channels) is mixed down to mono by averaging, with a logged note.
- Clipping (runs of samples at full scale) is detected and reported in :attr:`WavAudio.warnings`; the audio is
  still used, because a clipped "satu" is often still recognisable, but the note tells staff the microphone
  gain is too high.
"""

from __future__ import annotations

import logging
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from kiosk.speech.base import SAMPLE_RATE
from kiosk.speech.resample import resample

log = logging.getLogger(__name__)

BLOCK_SAMPLES = 320
"""20 ms at 16 kHz: the block size every source yields and the VAD frame."""
MIN_SOURCE_RATE = 8000
MAX_SOURCE_RATE = 192000
CLIP_LEVEL = 32000
"""|sample| at or above this counts as full scale (int16 max is 32767; converters round a little below it)."""
CLIP_REPORT_FRACTION = 0.001
"""Report clipping when at least this fraction of samples sit at full scale in runs of 3 or more."""


class AudioFormatError(ValueError):
    """The audio cannot be used; the message names the file, what is wrong and what to do."""


class MicrophoneUnavailable(RuntimeError):
    """No usable microphone; the kiosk keeps working by touch."""


class AudioSource(Protocol):
    """Something that yields int16 mono 16 kHz blocks until it is closed or runs out."""

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield int16 arrays of :data:`BLOCK_SAMPLES` samples (the last block of a file may be shorter)."""
        ...

    def close(self) -> None:
        """Stop yielding; safe to call twice."""
        ...


@dataclass(frozen=True)
class WavAudio:
    """A WAV file converted to what the engines take, and what the conversion noticed."""

    samples: np.ndarray
    """int16 mono at :attr:`rate`."""
    source_rate: int
    source_channels: int
    clipped_fraction: float
    warnings: tuple[str, ...] = field(default=())
    rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate


def to_int16(x: np.ndarray) -> np.ndarray:
    """Float samples (after resampling or mixing) rounded and clipped to int16."""
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def clipped_fraction(samples: np.ndarray) -> float:
    """Fraction of samples at full scale that sit in runs of at least 3 (a lone loud peak is not clipping)."""
    if samples.size == 0:
        return 0.0
    at_full = np.abs(samples.astype(np.int32)) >= CLIP_LEVEL
    if not at_full.any():
        return 0.0
    run3 = at_full[:-2] & at_full[1:-1] & at_full[2:]
    in_run = np.zeros_like(at_full)
    for shift in range(3):
        in_run[shift : shift + run3.size] |= run3
    return float(in_run.sum()) / samples.size


def _decode_frames(raw: bytes, width: int, channels: int, path: Path) -> np.ndarray:
    """PCM bytes -> float64 array (frames, channels) scaled to the int16 range."""
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        data = v.astype(np.float64) / 256.0
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 65536.0
    else:
        raise AudioFormatError(
            f"{path}: {8 * width}-bit samples are not supported; convert with 'sox {path} -b 16 out.wav'"
        )
    return data.reshape(-1, channels)


WAVE_FORMAT_PCM, WAVE_FORMAT_EXTENSIBLE = 1, 0xFFFE


def _read_pcm_wav(data: bytes) -> tuple[int, int, int, bytes]:
    """(rate, channels, bytes per sample, PCM bytes) of a RIFF/WAVE file; raises ValueError saying why not.
    Reads WAVE_FORMAT_EXTENSIBLE too, which phones and sox write for 24-bit or multichannel audio (Python's
    ``wave`` refuses it before 3.12). A data chunk cut short by a power cut gives what is there."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("no RIFF/WAVE header")
    pos, fmt, raw = 12, b"", None
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt ":
            fmt = data[pos + 8 : pos + 8 + size]
        elif chunk == b"data":
            raw = data[pos + 8 : pos + 8 + size]
            break
        pos += 8 + size + (size & 1)
    if len(fmt) < 16:
        raise ValueError("no format chunk")
    tag, channels, rate, _, block_align, _ = struct.unpack_from("<HHIIHH", fmt)
    if tag == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]  # the first two bytes of the sub-format GUID
    if tag != WAVE_FORMAT_PCM:
        raise ValueError(f"format {tag}: floating point or compressed audio, not integer PCM")
    if raw is None:
        raise ValueError("no data chunk")
    if channels < 1:
        return rate, channels, 0, raw
    if block_align < channels:
        raise ValueError(f"the header says {block_align} bytes a frame for {channels} channels")
    return rate, channels, block_align // channels, raw


def load_wav(path: str | Path, rate: int = SAMPLE_RATE) -> WavAudio:
    """Read a WAV file as int16 mono at ``rate`` (16 kHz, what the engines take; prompts play at their
    pack's rate), converting rate, channels and sample width; raise AudioFormatError when it cannot."""
    path = Path(path)
    fix = f"convert it with 'sox \"{path}\" -r 16000 -c 1 -b 16 out.wav'"
    try:
        source_rate, channels, width, raw = _read_pcm_wav(path.read_bytes())
    except FileNotFoundError:
        raise AudioFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioFormatError(f"{path}: is a directory, not a WAV file") from None
    except (ValueError, struct.error) as exc:
        reason = str(exc) or "a broken or truncated header"
        raise AudioFormatError(f"{path}: not a PCM WAV file ({reason}); {fix}") from None
    if channels < 1:
        raise AudioFormatError(f"{path}: the header says {channels} channels; {fix}")
    if not MIN_SOURCE_RATE <= source_rate <= MAX_SOURCE_RATE:
        raise AudioFormatError(
            f"{path}: sample rate {source_rate} Hz is outside {MIN_SOURCE_RATE}-{MAX_SOURCE_RATE} Hz; "
            "record at 16000 Hz (below 8000 Hz the speech band is lost)"
        )
    usable = len(raw) - len(raw) % (width * channels)
    if usable == 0:
        raise AudioFormatError(f"{path}: contains no audio (0 samples); record again")
    frames = _decode_frames(raw[:usable], width, channels, path)
    warnings: list[str] = []
    if channels > 1:
        log.info("%s: %d channels mixed down to mono", path.name, channels)
        warnings.append(f"{channels} channels mixed down to mono")
    mono = frames.mean(axis=1)
    raw_clipped = clipped_fraction(np.clip(mono, -32768, 32767).astype(np.int16))
    if source_rate != rate:
        log.info("%s: resampled from %d Hz to %d Hz", path.name, source_rate, rate)
        warnings.append(f"resampled from {source_rate} Hz to {rate} Hz")
        mono = resample(mono, source_rate, rate)
    samples = to_int16(mono)
    if raw_clipped >= CLIP_REPORT_FRACTION:
        note = f"clipped: {100 * raw_clipped:.1f}% of samples at full scale; lower the microphone gain"
        log.warning("%s: %s", path.name, note)
        warnings.append(note)
    return WavAudio(samples, source_rate, channels, raw_clipped, tuple(warnings), rate)


def check_pcm(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Return ``samples`` if they are 16 kHz mono int16, what every recognizer takes, else raise
    AudioFormatError saying how to fix it."""
    if sample_rate != SAMPLE_RATE:
        raise AudioFormatError(
            f"audio is {sample_rate} Hz but the recognizer needs {SAMPLE_RATE} Hz: "
            "resample first (kiosk.speech.audio.load_wav does it for WAV files)"
        )
    if not isinstance(samples, np.ndarray):
        raise AudioFormatError(f"audio must be a numpy array of int16 samples, got {type(samples).__name__}")
    if samples.ndim != 1:
        raise AudioFormatError(
            f"audio must be mono (one channel, 1-D array), got shape {samples.shape}: mix the channels down "
            "first (kiosk.speech.audio.load_wav does it for WAV files)"
        )
    if samples.dtype != np.int16:
        raise AudioFormatError(f"audio must be signed 16-bit PCM (int16), got {samples.dtype}")
    return samples


def read_wav_16k(path: str | Path) -> np.ndarray:
    """The samples of a WAV file as int16 mono at 16 kHz (see :func:`load_wav` for the conversions)."""
    return load_wav(path).samples


def write_wav_16k(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write int16 mono samples as a 16-bit PCM WAV file."""
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def split_blocks(samples: np.ndarray, block: int = BLOCK_SAMPLES) -> Iterator[np.ndarray]:
    """Cut a signal into blocks of ``block`` samples (the last may be shorter)."""
    for start in range(0, len(samples), block):
        yield samples[start : start + block]


class ArraySource:
    """An :class:`AudioSource` over int16 16 kHz samples already in memory (simulations, benchmarks)."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = np.asarray(samples, dtype=np.int16)
        self._closed = False

    def blocks(self) -> Iterator[np.ndarray]:
        for block in split_blocks(self.samples):
            if self._closed:
                return
            yield block

    def close(self) -> None:
        self._closed = True


class WavSource:
    """An :class:`AudioSource` reading a WAV file (converted on load). ``leading_silence_s`` of zeros comes
    first, as a live microphone is open before the citizen speaks (the end-pointer learns the floor from its
    first ``calibrate_ms``: a file that starts with the word would teach it the word); ``trailing_silence_s``
    of zeros is appended so that end-pointing can close an utterance that runs to the end of the file."""

    def __init__(
        self, path: str | Path, trailing_silence_s: float = 1.0, leading_silence_s: float = 0.5
    ) -> None:
        self.audio = load_wav(path)
        self._head = np.zeros(int(leading_silence_s * SAMPLE_RATE), dtype=np.int16)
        self._tail = np.zeros(int(trailing_silence_s * SAMPLE_RATE), dtype=np.int16)
        self._closed = False

    def blocks(self) -> Iterator[np.ndarray]:
        for block in split_blocks(np.concatenate([self._head, self.audio.samples, self._tail])):
            if self._closed:
                return
            yield block

    def close(self) -> None:
        self._closed = True
