"""Prompt playback: play a WAV file through PortAudio with the listener muted, or nothing at all (headless).

``SoundDevicePlayer.play(path)`` blocks until the prompt has played and returns True; with no output device, a
missing file or a broken WAV it logs why and returns False, never raising, so the flow carries on (the prompt
text is on screen anyway). The listener stays muted ``echo_guard_s`` after the end so the room's echo is not
heard either.
"""

from __future__ import annotations

import contextlib
import logging
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Mutable(Protocol):
    """What the player mutes while it plays (a :class:`~kiosk.speech.listener.Listener`)."""

    def muted(self) -> contextlib.AbstractContextManager[None]: ...


class PromptPlayer(Protocol):
    def play(self, path: str | Path) -> bool:
        """Play a prompt to the end; False when it could not be played (the reason is logged)."""
        ...

    def stop(self) -> None:
        """Cut the prompt short (the citizen touched the screen)."""
        ...


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def read_prompt(path: str | Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV prompt as (int16 array frames x channels, sample rate); raises ValueError naming the
    file."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wf:
            if wf.getsampwidth() != 2:
                raise ValueError(
                    f"{path}: prompts must be 16-bit PCM; convert with 'sox {path} -b 16 out.wav'"
                )
            rate, channels = wf.getframerate(), wf.getnchannels()
            data = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    except FileNotFoundError:
        raise ValueError(
            f"{path}: prompt file missing; run 'kiosk prompts' to render the prompt pack"
        ) from None
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path}: not a PCM WAV file ({exc})") from None
    return data.reshape(-1, channels), rate


class SoundDevicePlayer:
    """Plays prompts on a PortAudio output device (``device``: name or index as text; empty is the
    default)."""

    def __init__(self, listener: Mutable | None = None, device: str = "", echo_guard_s: float = 0.15) -> None:
        self.listener = listener
        self.device: str | int | None = (int(device) if device.isdigit() else device) if device else None
        self.echo_guard_s = echo_guard_s

    def play(self, path: str | Path) -> bool:
        try:
            data, rate = read_prompt(path)
        except ValueError as exc:
            log.warning("prompt not played: %s", exc)
            return False
        try:
            import sounddevice as sd
        except OSError as exc:
            log.warning("prompt not played: PortAudio is not installed (%s)", exc)
            return False
        guard = self.listener.muted() if self.listener is not None else _nothing()
        with guard:
            try:
                sd.play(data, rate, device=self.device, blocking=True)
            except (sd.PortAudioError, ValueError) as exc:
                log.warning(
                    "prompt not played: no usable output device (%s); the prompt text stays on screen", exc
                )
                return False
            time.sleep(self.echo_guard_s)
        return True

    def stop(self) -> None:
        try:
            import sounddevice as sd

            sd.stop()
        except (OSError, Exception) as exc:  # noqa: BLE001 - stopping must never fail the caller
            log.debug("stop: %s", exc)


class NullPlayer:
    """Plays nothing (headless runs, tests, kiosks without a speaker); still mutes the listener for the
    prompt's duration when ``simulate_duration`` is True, so timing in simulations matches a real kiosk."""

    def __init__(self, listener: Mutable | None = None, simulate_duration: bool = False) -> None:
        self.listener = listener
        self.simulate_duration = simulate_duration
        self.played: list[Path] = []

    def play(self, path: str | Path) -> bool:
        self.played.append(Path(path))
        if not self.simulate_duration:
            return True
        try:
            data, rate = read_prompt(path)
        except ValueError as exc:
            log.warning("prompt not played: %s", exc)
            return False
        guard = self.listener.muted() if self.listener is not None else _nothing()
        with guard:
            time.sleep(len(data) / rate)
        return True

    def stop(self) -> None:
        pass
