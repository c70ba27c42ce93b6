"""The self-test's microphone and speaker checks through real PortAudio and ALSA: the default device is ALSA's
file plugin, capturing from a FIFO this test fills at 16 kHz and playing into a FIFO it drains at a sound card's
pace (tests/support/fifo_audio.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.fifo_audio import PacedSink, Talker, sound_card

ROOT = Path(__file__).resolve().parents[2]


def selftest(home: Path, config: Path) -> dict[str, dict[str, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "provisioning", "selftest", "--config", str(config), "--only", "microphone,speaker",
         "--json"],
        cwd=ROOT, env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


@pytest.mark.slow
def test_the_selftest_hears_the_microphone_and_plays_a_tone_as_prompts_play(tmp_path: Path) -> None:
    microphone, speaker = tmp_path / "mic.fifo", tmp_path / "speaker.fifo"
    sound_card(tmp_path, speaker=speaker, microphone=microphone)
    config = tmp_path / "kiosk.toml"
    config.write_text("")
    talker, sink = Talker(microphone), PacedSink(speaker, 22050 * 2)
    try:
        tone = (3000 * np.sin(np.arange(16000 * 30) / 3.0)).astype(np.int16)
        talker.say(tone)  # a steady tone at -24 dBFS
        level = 20 * np.log10(np.sqrt(np.mean((tone / 32768.0) ** 2)))
        checks = selftest(tmp_path, config)
        assert checks["microphone"]["status"] == "PASS", checks["microphone"]
        assert f"{level:.0f} dBFS over 1.0 s" in checks["microphone"]["detail"]
        assert checks["speaker"]["status"] == "PASS", checks["speaker"]
        assert "22050 Hz" in checks["speaker"]["detail"]
        assert sink.read >= 0.4 * 22050 * 2  # the half-second tone reached the "card"
    finally:
        talker.stop.set()
        sink.stop.set()


@pytest.mark.slow
def test_a_speaker_that_cannot_be_opened_fails_the_selftest_with_the_reason(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[speech]\noutput_device = "no-such-speaker"\n')
    checks = selftest(tmp_path, config)
    assert checks["speaker"]["status"] == "FAIL"
    assert "no-such-speaker" in checks["speaker"]["detail"] and "output_device" in checks["speaker"]["fix"]


def test_the_speaker_check_passes_on_a_device_that_wants_its_own_format_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An HDMI-like output that takes only 48 kHz stereo (a stand-in for sounddevice: see its docstring)."""
    from layanan.config import load_settings
    from provisioning.selftest import PASS, Context, check_speaker
    from tests.support.fake_sounddevice import HdmiOnly

    monkeypatch.setitem(sys.modules, "sounddevice", HdmiOnly())
    status, detail, fix = check_speaker(Context(load_settings(env={}), tmp_path / "kiosk.toml"))
    assert status == PASS, detail
    assert "on HDMI" in detail and "48000 Hz, 2 channel(s), converted from 22050 Hz mono" in detail
