"""Spoken prompts: the audio pack (espeak-ng clips, staff recordings over them) and the speaker that plays them
with the microphone muted, through the real PortAudio and ALSA stack."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import ArraySource, load_wav
from kiosk.speech.listener import capture_utterance
from kiosk.speech.prompts import PACK_RATE, AudioPack, PromptSpeaker, key_file
from kiosk.speech.prompts_cli import PROMPT_VAD
from tests.support.cli import kiosk, run_module
from tests.support.fake_sounddevice import HdmiOnly


def write_clip(path: Path, samples: np.ndarray, rate: int = PACK_RATE, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return path


def level(value: int, n: int = 2205) -> np.ndarray:
    return np.full(n, value, dtype=np.int16)


def test_a_staff_recording_is_played_instead_of_the_synthesized_clip(tmp_path: Path) -> None:
    key = "camera.ok"
    write_clip(tmp_path / "id" / key_file(key), level(100))
    write_clip(tmp_path / "id" / "recorded" / key_file(key), level(7000))
    samples = AudioPack(tmp_path).samples("id", [key])
    assert samples[:2205].tolist() == [7000] * 2205
    assert AudioPack(tmp_path).clip("id", key) == tmp_path / "id" / "recorded" / key_file(key)


def test_an_unreadable_staff_recording_is_named_in_the_log_and_the_synthesized_clip_plays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "svc:ktp_new:title"
    write_clip(tmp_path / "id" / key_file(key), level(100))
    broken = tmp_path / "id" / "recorded" / key_file(key)
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt cut short by a power cut")
    with caplog.at_level(logging.WARNING):
        samples = AudioPack(tmp_path).samples("id", [key])
    assert samples[:2205].tolist() == [100] * 2205
    assert key_file(key) in caplog.text and "record it again" in caplog.text


def test_a_24_bit_phone_recording_is_converted_to_the_pack_rate(tmp_path: Path) -> None:
    n = 44100 // 2
    value = 1000 * 256  # 1000 in 16-bit terms
    frames = np.full(n, value, dtype="<i4").view(np.uint8).reshape(-1, 4)[:, :3].reshape(-1)
    path = tmp_path / "id" / "recorded" / key_file("ya")
    path.parent.mkdir(parents=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(3)
        w.setframerate(44100)
        w.writeframes(frames.tobytes())
    samples = AudioPack(tmp_path).samples("id", ["ya"])
    assert len(samples) == PACK_RATE // 2 + int(PACK_RATE * 0.12)
    assert np.all(np.abs(samples[100 : PACK_RATE // 2 - 100] - 1000) <= 1)


def test_a_stereo_recording_at_another_rate_is_mixed_to_mono_at_the_pack_rate(tmp_path: Path) -> None:
    stereo = np.column_stack([level(1000, 44100), level(3000, 44100)]).reshape(-1)
    write_clip(tmp_path / "id" / "recorded" / key_file("ya"), stereo, rate=44100, channels=2)
    samples = AudioPack(tmp_path).samples("id", ["ya"])
    pause = int(PACK_RATE * 0.12)
    assert len(samples) == PACK_RATE + pause  # one second of it, then the pause between clips
    assert np.all(samples[:PACK_RATE] == 2000)


def test_missing_clips_are_skipped_with_the_command_that_makes_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_clip(tmp_path / "id" / key_file("ya"), level(100))
    with caplog.at_level(logging.WARNING):
        samples = AudioPack(tmp_path).samples("id", ["ya", "no.such.key"])
    assert len(samples) == 2205 + int(PACK_RATE * 0.12)
    assert "1 prompt clip(s) missing" in caplog.text and "kiosk prompts" in caplog.text


@pytest.mark.slow
def test_kiosk_prompts_renders_every_clip_once_and_again_only_what_is_missing(tmp_path: Path) -> None:
    first = kiosk("prompts", "--only", "id", "--data-dir", str(tmp_path), timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    folder = tmp_path / "prompts" / "id"
    clips = sorted(folder.glob("*.wav"))
    assert f"id: {len(clips)} clip(s) made" in first.stderr and len(clips) > 100
    clip = load_wav(folder / key_file("svc:ktp_new:title"), rate=PACK_RATE)
    assert (
        clip.source_rate == PACK_RATE and np.abs(clip.samples).max() > 3000
    )  # espeak-ng speech, not silence

    again = kiosk("prompts", "--only", "id", "--data-dir", str(tmp_path), timeout=300)
    assert "id: 0 clip(s) made" in again.stderr
    (folder / key_file("camera.ok")).unlink()
    once_more = kiosk("prompts", "--only", "id", "--data-dir", str(tmp_path), timeout=300)
    assert "id: 1 clip(s) made" in once_more.stderr and (folder / key_file("camera.ok")).exists()


class MuteLog:
    def __init__(self) -> None:
        self.events: list[str] = []

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        self.events.append("mute")
        try:
            yield
        finally:
            self.events.append("unmute")


def test_with_no_output_device_the_speaker_logs_once_and_unmutes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mutes = MuteLog()
    speaker = PromptSpeaker(AudioPack(tmp_path), guard=mutes.muted, device="no-such-speaker")
    with caplog.at_level(logging.WARNING):
        assert speaker.play(level(1000), PACK_RATE) is False
        assert speaker.play(level(1000), PACK_RATE) is False
    assert caplog.text.count("cannot play prompts") == 1
    assert "screens still show every prompt" in caplog.text
    assert mutes.events == ["mute", "unmute", "mute", "unmute"]
    speaker.hush()  # nothing playing: never raises, never waits


@pytest.mark.slow
def test_prompts_play_in_real_time_muted_and_the_talk_button_cuts_them(tmp_path: Path) -> None:
    """Real PortAudio and ALSA, into a FIFO drained at a sound card's pace (tests/speech/paced_speaker.py)."""
    proc = run_module("tests.speech.paced_speaker", str(tmp_path), str(tmp_path / "r.json"), timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["whole_played"] is True
    # 1 s of prompt, then the 0.5 s echo guard: the microphone is muted for all of it
    assert 1.5 <= r["whole_muted_s"] < 4.0
    assert r["muted_while_playing"] is True
    # hush: the 3 s prompt stops (of its last 2.5 s, under 0.5 s still reach the card) and the
    # microphone opens at once, without the echo guard
    assert r["hush_returned"] is True
    assert r["played_after_hush_s"] < 0.5
    assert r["hush_to_unmute_s"] < 0.4
    # the next prompt cuts the one playing: it ends without its echo guard, and the two never overlap
    assert r["next_played"] is True and r["cut_to_first_unmute_s"] < 0.4
    assert r["mutes_balanced"] is True and r["mutes_nested"] == 1


@pytest.mark.slow
def test_staff_add_a_phone_recording_of_a_prompt_and_the_list_shows_it(tmp_path: Path) -> None:
    spoken = tmp_path / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", "id", "-w", str(spoken), "Selamat datang"], check=True, timeout=30)
    phone = tmp_path / "phone.wav"  # 1 s of silence around it, 44.1 kHz stereo 24-bit, as a phone saves it
    subprocess.run(
        ["sox", str(spoken), "-r", "44100", "-c", "2", "-b", "24", str(phone), "pad", "1", "1"], check=True
    )
    data = ("--data-dir", str(tmp_path / "data"))
    added = kiosk("prompts", "--only", "id", "--record", "screen.attract", "--from", str(phone), *data)
    assert added.returncode == 0, added.stderr[-2000:]
    assert "is now the staff recording" in added.stderr

    clip = load_wav(
        tmp_path / "data" / "prompts" / "id" / "recorded" / key_file("screen.attract"), rate=PACK_RATE
    )
    assert clip.source_rate == PACK_RATE and clip.source_channels == 1
    speech_s = load_wav(spoken).duration_s
    assert speech_s <= clip.duration_s <= speech_s + 0.5  # the phone's silence is cut, 0.2 s kept each side
    assert 0.65 <= np.abs(clip.samples).max() / 32767 <= 0.75  # brought to a steady level

    listed = kiosk("prompts", "--list", "--only", "id", *data)
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    sources = {row[1]: row[2] for row in rows}
    assert sources["screen.attract"] == "recorded" and sources["camera.ok"] == "missing"
    assert "1 recorded" in listed.stderr


@pytest.mark.slow
def test_a_wrong_key_or_a_silent_recording_is_refused_and_the_old_recording_stays(tmp_path: Path) -> None:
    data = ("--data-dir", str(tmp_path / "data"))
    pack = AudioPack(tmp_path / "data" / "prompts")
    speech = tmp_path / "speech.wav"
    write_clip(speech, (8000 * np.sin(np.arange(PACK_RATE) / 5)).astype(np.int16))
    assert kiosk("prompts", "--only", "id", "--record", "ya", "--from", str(speech), *data).returncode == 2
    wrong = kiosk("prompts", "--only", "id", "--record", "screen.nope", "--from", str(speech), *data)
    assert wrong.returncode == 2 and "kiosk prompts --list --only id" in wrong.stderr

    assert (
        kiosk("prompts", "--only", "id", "--record", "camera.ok", "--from", str(speech), *data).returncode
        == 0
    )
    kept = (tmp_path / "data" / "prompts" / "id" / "recorded" / key_file("camera.ok")).read_bytes()
    silent = write_clip(tmp_path / "silent.wav", np.zeros(PACK_RATE, dtype=np.int16))
    refused = kiosk("prompts", "--only", "id", "--record", "camera.ok", "--from", str(silent), *data)
    assert refused.returncode == 2 and "no speech" in refused.stderr
    assert (tmp_path / "data" / "prompts" / "id" / "recorded" / key_file("camera.ok")).read_bytes() == kept
    assert pack.source("id", "camera.ok") == "recorded"
    missing_from = kiosk("prompts", "--only", "id", "--record", "camera.ok", *data)
    assert missing_from.returncode == 2 and "--from FILE.wav" in missing_from.stderr


def test_a_prompt_spoken_into_the_microphone_is_captured_whole_and_saved_at_the_pack_rate(
    tmp_path: Path, speak: Callable[[str, str], np.ndarray]
) -> None:
    """The microphone path of 'kiosk prompts --record': the real end-pointer with the prompt settings, fed the
    way a microphone feeds it; a sentence with a pause at its comma stays one recording."""
    words = speak("Selamat datang", "id")
    rest = speak("sentuh layar untuk mulai", "id")
    pause = np.zeros(int(0.9 * 16000), dtype=np.int16)  # longer than the 700 ms that ends a dictated group
    quiet = np.zeros(16000, dtype=np.int16)
    source = ArraySource(np.concatenate([quiet, words, pause, rest, quiet, quiet]))
    samples = capture_utterance(source, timeout_s=5.0, config=PROMPT_VAD)
    assert samples is not None
    spoken_s = (len(words) + len(pause) + len(rest)) / 16000
    assert spoken_s <= len(samples) / 16000 <= spoken_s + 2.0

    target = AudioPack(tmp_path).save_recording("id", "camera.ok", samples, 16000)
    clip = load_wav(target, rate=PACK_RATE)
    assert clip.source_rate == PACK_RATE
    assert 0.65 <= np.abs(clip.samples).max() / 32767 <= 0.75


def test_when_nobody_speaks_the_capture_gives_up_after_its_timeout_and_closes_the_microphone() -> None:
    source = ArraySource(np.zeros(16000 * 30, dtype=np.int16))
    assert capture_utterance(source, timeout_s=3.0, config=PROMPT_VAD) is None
    assert list(source.blocks()) == []  # closed: the microphone was let go


@pytest.mark.slow
def test_recording_a_prompt_without_a_microphone_says_to_use_a_phone_recording(tmp_path: Path) -> None:
    proc = kiosk(
        "prompts",
        "--only",
        "id",
        "--record",
        "camera.ok",
        "--data-dir",
        str(tmp_path),
        "--set",
        "speech.input_device=no-such-microphone",
    )
    assert proc.returncode == 2
    assert "no microphone" in proc.stderr and "--from FILE.wav" in proc.stderr
    assert not (tmp_path / "prompts" / "id" / "recorded").exists()


def test_a_device_that_refuses_the_prompt_rate_in_mono_gets_it_at_its_own_rate_in_stereo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = HdmiOnly()
    monkeypatch.setitem(__import__("sys").modules, "sounddevice", fake)
    speaker = PromptSpeaker(AudioPack(tmp_path), echo_guard_s=0.0)
    t = np.arange(PACK_RATE) / PACK_RATE
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)  # 1 s
    assert speaker.play(tone, PACK_RATE) is True
    assert fake.opened == [(PACK_RATE, 1), (48000, 2)]
    out = np.concatenate(fake.played)
    assert np.array_equal(out[:, 0], out[:, 1])  # the same sound on both channels
    sound = out[:48000, 0].astype(np.float64)
    assert abs(np.count_nonzero(np.abs(out[:, 0]) > 100) - 48000) < 600  # 1 s long at 48 kHz
    crossings = np.count_nonzero(np.diff(np.signbit(sound[1000:47000])))
    assert abs(crossings / (46000 / 48000) / 2 - 440) < 5  # still 440 Hz, not sped up or slowed down
    fake.opened.clear()
    assert speaker.play(tone, PACK_RATE) is True
    assert fake.opened == [(48000, 2)]  # remembered: the next prompt goes straight to the device's format


def test_a_key_with_a_language_is_said_from_that_language_s_clips(tmp_path: Path) -> None:
    write_clip(tmp_path / "id" / key_file("screen.language"), level(1000))
    write_clip(tmp_path / "en" / key_file("screen.language"), level(3000))
    samples = AudioPack(tmp_path).samples("id", ["screen.language", "screen.language@en"])
    assert samples[:2205].tolist() == [1000] * 2205
    assert 3000 in samples[2205:].tolist()


def test_digits_in_a_row_are_cut_to_their_speech_and_said_in_groups_of_four(tmp_path: Path) -> None:
    quiet = np.zeros(int(0.3 * PACK_RATE), dtype=np.int16)
    for d in "0123456789":
        write_clip(
            tmp_path / "id" / key_file(f"digit:{d}"), np.concatenate([quiet, level(5000, 4410), quiet])
        )
    eight = AudioPack(tmp_path).samples("id", [f"digit:{d}" for d in "32010145"])
    # 8 x 0.2 s of speech, gaps of 0.06 s inside a group and 0.35 s between the two groups, 0.12 s at the end
    assert abs(len(eight) / PACK_RATE - (8 * 0.2 + 6 * 0.06 + 0.35 + 0.12)) < 0.05
