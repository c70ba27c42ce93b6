"""PortAudio's device list, refreshed without pulling it from under an open stream.

PortAudio reads the list of sound devices once, when it starts. A USB microphone plugged back in after the kiosk
started is not in that list, so it cannot be opened until PortAudio starts again. :func:`refresh_devices`
restarts it, but restarting closes every stream open at that moment (and a Python object still holding one
would then call into freed memory), so it only runs while no stream is open. The microphone and the prompt
speaker say when they hold one: ``with portaudio.stream_open(): ...`` or :func:`opened` / :func:`closed`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_open = 0


def opened() -> None:
    """A stream is about to open: no refresh until :func:`closed` (waits for a refresh under way)."""
    global _open
    with _lock:
        _open += 1


def closed() -> None:
    global _open
    with _lock:
        _open = max(0, _open - 1)


@contextlib.contextmanager
def stream_open() -> Iterator[None]:
    opened()
    try:
        yield
    finally:
        closed()


def refresh_devices() -> bool:
    """Read the sound devices again (a microphone plugged in since start-up appears); False, doing nothing,
    while a stream is open or when PortAudio is missing."""
    try:
        import sounddevice as sd
    except OSError:
        return False
    with _lock:
        if _open:
            return False
        # sounddevice has no public call for this: its private _terminate/_initialize stop and start PortAudio
        # (and keep ALSA's start-up messages off stderr, as on import)
        with contextlib.suppress(sd.PortAudioError):  # not running (an earlier start failed): start it below
            sd._terminate()
        try:
            sd._initialize()
        except sd.PortAudioError:
            return False  # the next try starts it again
    return True
