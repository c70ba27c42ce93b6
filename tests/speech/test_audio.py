"""WAV reading and conversion, clipping detection, and the audio sources."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import (
    AudioFormatError,
    MicrophoneUnavailable,
    WavSource,
    clipped_fraction,
    load_wav,
    read_wav_16k,
    write_wav_16k,
)
from kiosk.speech.mic import MicrophoneSource


def write_pcm(path: Path, frames: np.ndarray, rate: int, width: int = 2) -> None:
    """frames: float array (n, channels) in the int16 range."""
    frames = np.atleast_2d(frames.T).T
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(frames.shape[1])
        wf.setsampwidth(width)
        wf.setframerate(rate)
        if width == 2:
            wf.writeframes(np.round(frames).astype("<i2").tobytes())
        elif width == 1:
            wf.writeframes((np.round(frames / 256) + 128).astype(np.uint8).tobytes())
        elif width == 3:
            v = np.round(frames * 256).astype(np.int32).reshape(-1)
            b = np.stack([v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF], axis=1).astype(np.uint8)
            wf.writeframes(b.tobytes())


def sine(freq: float, seconds: float, rate: int, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * 16000 / len(samples))


def test_a_16k_mono_wav_is_read_back_sample_for_sample(tmp_path: Path) -> None:
    samples = np.random.default_rng(1).integers(-20000, 20000, 16000).astype(np.int16)
    write_wav_16k(tmp_path / "a.wav", samples)
    audio = load_wav(tmp_path / "a.wav")
    assert np.array_equal(audio.samples, samples)
    assert audio.warnings == ()
    assert np.array_equal(read_wav_16k(tmp_path / "a.wav"), samples)


def test_a_44k_stereo_wav_is_mixed_to_mono_16k_and_the_conversion_is_reported(tmp_path: Path) -> None:
    tone = sine(1000, 2.0, 44100)
    write_pcm(tmp_path / "s.wav", np.stack([tone, tone], axis=1), 44100)
    audio = load_wav(tmp_path / "s.wav")
    assert len(audio.samples) == 32000
    assert abs(dominant_hz(audio.samples) - 1000) < 2
    assert abs(np.abs(audio.samples).max() - 8000) < 200
    assert (audio.source_rate, audio.source_channels) == (44100, 2)
    assert any("mono" in w for w in audio.warnings) and any("44100" in w for w in audio.warnings)


def test_an_8k_telephone_wav_is_upsampled_to_16k(tmp_path: Path) -> None:
    write_pcm(tmp_path / "t.wav", sine(440, 1.0, 8000), 8000)
    audio = load_wav(tmp_path / "t.wav")
    assert len(audio.samples) == 16000
    assert abs(dominant_hz(audio.samples) - 440) < 2


@pytest.mark.parametrize("width", [1, 3])
def test_8_and_24_bit_pcm_are_scaled_to_the_int16_range(tmp_path: Path, width: int) -> None:
    write_pcm(tmp_path / "w.wav", sine(500, 0.5, 16000, 16000), 16000, width)
    peak = np.abs(load_wav(tmp_path / "w.wav").samples).max()
    assert 15500 < peak < 16500


def test_a_sample_rate_below_8k_is_refused_naming_the_rate(tmp_path: Path) -> None:
    write_pcm(tmp_path / "low.wav", sine(300, 0.5, 4000), 4000)
    with pytest.raises(AudioFormatError, match="4000 Hz"):
        load_wav(tmp_path / "low.wav")


def test_a_float_wav_is_refused_with_the_sox_command_that_fixes_it(tmp_path: Path) -> None:
    data = np.zeros(1600, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    riff = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    (tmp_path / "f.wav").write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    with pytest.raises(AudioFormatError, match="sox"):
        load_wav(tmp_path / "f.wav")


def riff(fmt: bytes, data: bytes, data_size: int | None = None, extra: bytes = b"") -> bytes:
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + extra
        + b"data"
        + struct.pack("<I", len(data) if data_size is None else data_size)
        + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def extensible_fmt(tag: int, channels: int, rate: int, width: int) -> bytes:
    """WAVE_FORMAT_EXTENSIBLE, as phones and sox write for 24-bit or multichannel audio."""
    guid_tail = bytes.fromhex("000000001000800000aa00389b71")
    return (
        struct.pack(
            "<HHIIHHHHI",
            0xFFFE,
            channels,
            rate,
            rate * channels * width,
            channels * width,
            8 * width,
            22,
            8 * width,
            3,
        )
        + struct.pack("<H", tag)
        + guid_tail
    )


def test_a_24_bit_stereo_extensible_wav_from_a_phone_is_read_and_converted(tmp_path: Path) -> None:
    tone = np.round(sine(440, 0.5, 44100)).astype("<i2")
    as24 = (tone.astype("<i4") << 8).view(np.uint8).reshape(-1, 4)[:, :3]
    stereo = np.repeat(as24, 2, axis=0).reshape(-1)  # the same tone on both channels
    # a LIST chunk before the data, as recorders write
    info = b"LIST" + struct.pack("<I", 4) + b"INFO"
    (tmp_path / "phone.wav").write_bytes(riff(extensible_fmt(1, 2, 44100, 3), stereo.tobytes(), extra=info))
    audio = load_wav(tmp_path / "phone.wav")
    assert audio.source_rate == 44100 and audio.source_channels == 2
    expected = load_wav_from(tone, 44100, tmp_path)
    assert len(audio.samples) == len(expected)
    assert np.max(np.abs(audio.samples.astype(int) - expected.astype(int))) <= 1


def load_wav_from(samples: np.ndarray, rate: int, folder: Path) -> np.ndarray:
    write_pcm(folder / "ref.wav", samples, rate)
    return load_wav(folder / "ref.wav").samples


def test_an_extensible_float_wav_is_refused_with_the_sox_command(tmp_path: Path) -> None:
    data = np.zeros(1600, dtype="<f4").tobytes()
    (tmp_path / "f.wav").write_bytes(riff(extensible_fmt(3, 1, 16000, 4), data))
    with pytest.raises(AudioFormatError, match="floating point.*sox"):
        load_wav(tmp_path / "f.wav")


def test_a_recording_cut_short_by_a_power_cut_gives_what_was_written(tmp_path: Path) -> None:
    tone = np.round(sine(440, 1.0, 16000)).astype("<i2")
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    # the header still promises 2 s; only the first half second reached the card
    (tmp_path / "cut.wav").write_bytes(riff(fmt, tone[:8000].tobytes(), data_size=64000))
    assert load_wav(tmp_path / "cut.wav").samples.tolist() == tone[:8000].tolist()


def test_missing_empty_and_garbage_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="no such file"):
        load_wav(tmp_path / "nothing.wav")
    write_wav_16k(tmp_path / "empty.wav", np.zeros(0, dtype=np.int16))
    with pytest.raises(AudioFormatError, match="no audio"):
        load_wav(tmp_path / "empty.wav")
    (tmp_path / "junk.wav").write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(AudioFormatError, match="not a PCM WAV"):
        load_wav(tmp_path / "junk.wav")
    with pytest.raises(AudioFormatError, match="directory"):
        load_wav(tmp_path)


def test_clipped_audio_is_detected_and_reported(tmp_path: Path) -> None:
    clipped = np.clip(sine(300, 1.0, 16000, 60000), -32768, 32767)
    write_pcm(tmp_path / "c.wav", clipped, 16000)
    audio = load_wav(tmp_path / "c.wav")
    assert audio.clipped_fraction > 0.3
    assert any("clipped" in w for w in audio.warnings)


def test_a_loud_but_unclipped_signal_is_not_reported_as_clipped(tmp_path: Path) -> None:
    write_pcm(tmp_path / "l.wav", sine(300, 1.0, 16000, 31000), 16000)
    audio = load_wav(tmp_path / "l.wav")
    assert audio.clipped_fraction == 0.0
    assert not any("clipped" in w for w in audio.warnings)
    single_peaks = np.zeros(1000, dtype=np.int16)
    single_peaks[::100] = 32767
    assert clipped_fraction(single_peaks) == 0.0


def test_a_wav_source_yields_20ms_blocks_then_trailing_silence(tmp_path: Path) -> None:
    samples = np.arange(1000, dtype=np.int16)
    write_wav_16k(tmp_path / "a.wav", samples)
    source = WavSource(tmp_path / "a.wav", trailing_silence_s=0.5, leading_silence_s=0)
    blocks = list(source.blocks())
    assert all(len(b) == 320 for b in blocks[:-1])
    joined = np.concatenate(blocks)
    assert len(joined) == 1000 + 8000
    assert np.array_equal(joined[:1000], samples) and not joined[1000:].any()


def test_a_closed_wav_source_stops_yielding(tmp_path: Path) -> None:
    write_wav_16k(tmp_path / "a.wav", np.zeros(16000, dtype=np.int16))
    source = WavSource(tmp_path / "a.wav", trailing_silence_s=0, leading_silence_s=0)
    it = source.blocks()
    next(it)
    source.close()
    assert list(it) == []


def test_a_microphone_that_does_not_exist_raises_a_clear_error_for_touch_only_mode() -> None:
    with pytest.raises(MicrophoneUnavailable, match="no-such-microphone.*touch keeps working"):
        MicrophoneSource("no-such-microphone")


def test_a_corrupt_wav_never_crashes_the_reader_it_is_refused_by_name(tmp_path: Path) -> None:
    """Flipped, cut and garbage bytes anywhere in the file (an SD card after a power cut): every result is
    either audio or an AudioFormatError naming the file."""
    write_pcm(tmp_path / "good.wav", sine(440, 0.2, 16000), 16000)
    good = (tmp_path / "good.wav").read_bytes()
    rng = np.random.default_rng(3)
    bad = tmp_path / "bad.wav"
    for _ in range(400):
        data = bytearray(good[: int(rng.integers(0, len(good) + 1))])
        for _ in range(int(rng.integers(0, 6))):
            if data:  # mostly in the 44-byte header, where a wrong byte changes what the file claims
                where = (
                    int(rng.integers(min(len(data), 48)))
                    if rng.random() < 0.8
                    else int(rng.integers(len(data)))
                )
                data[where] = int(rng.integers(256))
        bad.write_bytes(bytes(data))
        try:
            audio = load_wav(bad)
        except AudioFormatError as exc:
            assert str(exc).startswith(str(bad))
        else:
            assert audio.samples.dtype == np.int16
