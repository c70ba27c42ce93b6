"""Prompt playback: mutes the listener, survives a machine without speakers or a missing prompt."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import write_wav_16k
from kiosk.speech.player import NullPlayer, SoundDevicePlayer, read_prompt


class MuteRecorder:
    def __init__(self) -> None:
        self.log: list[str] = []

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        self.log.append("mute")
        try:
            yield
        finally:
            self.log.append("unmute")


def test_without_an_output_device_a_prompt_is_logged_not_raised_and_the_listener_is_unmuted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_wav_16k(tmp_path / "p.wav", np.zeros(1600, dtype=np.int16))
    recorder = MuteRecorder()
    player = SoundDevicePlayer(recorder, device="no-such-speaker")
    with caplog.at_level(logging.WARNING):
        assert player.play(tmp_path / "p.wav") is False
    assert "no usable output device" in caplog.text
    assert recorder.log == ["mute", "unmute"]


def test_a_missing_prompt_file_is_logged_with_the_command_that_renders_prompts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert SoundDevicePlayer().play(tmp_path / "nope.wav") is False
    assert "kiosk prompts" in caplog.text


def test_the_null_player_mutes_the_listener_for_the_prompt_when_simulating_duration(tmp_path: Path) -> None:
    write_wav_16k(tmp_path / "p.wav", np.zeros(800, dtype=np.int16))
    recorder = MuteRecorder()
    player = NullPlayer(recorder, simulate_duration=True)
    assert player.play(tmp_path / "p.wav")
    assert recorder.log == ["mute", "unmute"]
    assert player.played == [tmp_path / "p.wav"]


def test_a_prompt_that_is_not_16_bit_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(ValueError, match="bad.wav"):
        read_prompt(tmp_path / "bad.wav")
