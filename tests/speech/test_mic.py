"""The real microphone adapter: PortAudio and ALSA capturing from a FIFO fed at a microphone's pace
(tests/speech/fifo_microphone.py), since this machine has no sound card."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_module


@pytest.mark.slow
def test_the_kiosk_hears_digits_spoken_into_a_real_portaudio_microphone(tmp_path: Path) -> None:
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "id", "-w", str(speech), "tiga dua nol satu"], check=True, timeout=30)
    proc = run_module(
        "tests.speech.fifo_microphone", str(tmp_path), str(speech), str(tmp_path / "r.json"), timeout=90
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["exact"] is True  # MicrophoneSource delivers what the device captured, sample for sample
    assert result["problem"] == ""
    # compose.voice: the microphone, the listener and the shipped model, as the app wires them
    assert result["heard_in_time"] is True and result["heard"] == ["tiga dua nol satu"]
    assert result["partials"] and result["partials"][-1] == "tiga dua nol satu"


@pytest.mark.slow
def test_a_microphone_plugged_in_after_start_is_picked_up_without_a_restart(tmp_path: Path) -> None:
    """PortAudio reads its device list once; the voice input reads it again while it looks for a microphone."""
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "id", "-w", str(speech), "lima enam"], check=True, timeout=30)
    proc = run_module(
        "tests.speech.fifo_microphone",
        "--replug",
        str(tmp_path),
        str(speech),
        str(tmp_path / "r.json"),
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "r.json").read_text())
    assert (
        result["before"] == "microphone"
        and "cannot open the default input device" in result["problem_before"]
    )
    assert result["back_in_time"] is True and result["after"] is None and result["problem_after"] == ""
    assert result["heard_in_time"] is True and result["heard"] == ["lima enam"]
