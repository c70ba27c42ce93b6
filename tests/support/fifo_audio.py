"""A sound card made of FIFOs, for testing the real PortAudio and ALSA path on a machine without one.

``sound_card(home, speaker=..., microphone=...)`` writes ``home/.asoundrc`` so that ALSA's default device is the
``file`` plugin: what is played goes into the speaker FIFO, what is captured comes from the microphone FIFO.
ALSA reads ``$HOME/.asoundrc`` when PortAudio starts, so the code under test runs in a process whose HOME is
``home``. A :class:`PacedSink` drains the speaker FIFO at a card's pace; a :class:`Talker` fills the microphone
FIFO at 16 kHz in real time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from pathlib import Path

import numpy as np

from tests.support.audio import LiveSource


def sound_card(home: Path, speaker: Path | None = None, microphone: Path | None = None) -> None:
    """Make the FIFOs that do not exist yet and the ALSA configuration that uses them."""
    lines = ["pcm.!default {", "  type file", '  slave.pcm "null"', f'  file "{speaker or "/dev/null"}"']
    if microphone is not None:
        lines.append(f'  infile "{microphone}"')
    lines += ['  format "raw"', '  hint { show on description "a sound card made of FIFOs" }', "}", ""]
    for fifo in (speaker, microphone):
        if fifo is not None and not fifo.exists():
            os.mkfifo(fifo)
    (home / ".asoundrc").write_text("\n".join(lines))


class PacedSink:
    """Drains the FIFO at a sound card's pace for as long as the script runs (each prompt opens and closes
    it), and counts the bytes."""

    def __init__(self, fifo: Path, bytes_per_s: int) -> None:
        self.fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # before any writer, so the pipe can be small
        fcntl.fcntl(self.fd, fcntl.F_SETPIPE_SZ, 4096)  # a pipe holds 64 KiB by default: 0.7 s at once
        self.chunk = bytes_per_s // 50
        self.read = 0
        self.stop = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(BlockingIOError):  # empty, or no prompt playing (b"")
                self.read += len(os.read(self.fd, self.chunk))
            time.sleep(0.02)


class Talker:
    """Writes what is said into the FIFO in 20 ms pieces at real-time pace, silence when there is nothing to
    say: the tests' in-memory microphone (:class:`tests.support.audio.LiveSource`) behind a FIFO. A reader that
    closes (PortAudio probing the device) is waited for again."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.voice = LiveSource()
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def say(self, samples: np.ndarray) -> None:
        self.voice.say(samples)

    def quiet(self) -> bool:
        return self.voice.quiet()

    def _next(self) -> bytes:
        block = self.voice.next_block()
        return bytes(640) if block is None else np.asarray(block, dtype="<i2").tobytes()

    def _run(self) -> None:
        while not self.stop.is_set():
            fd = os.open(self.fifo, os.O_WRONLY)
            try:
                while not self.stop.is_set():
                    os.write(fd, self._next())
                    time.sleep(0.02)
            except BrokenPipeError:
                pass
            finally:
                os.close(fd)
