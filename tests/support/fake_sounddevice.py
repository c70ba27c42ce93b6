"""Stand-ins for the ``sounddevice`` module, for what the real PortAudio and ALSA stack cannot be made to do on
this card-less machine, and for the audio contracts, which drive the real microphone and prompt speaker in this
process. Put one in ``sys.modules["sounddevice"]`` (``monkeypatch.setitem``) before the adapter is made."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from kiosk.speech.audio import BLOCK_SAMPLES
from tests.support.audio import PACE_S, LiveSource


class SoundCard:
    """One output and one input device in memory.

    Output streams run their callback until it raises ``CallbackStop`` or ``CallbackAbort``: at once while the
    stream is entered, or with ``paced`` on a thread at the card's pace, as PortAudio does (then a prompt takes
    real time and can be cut). ``opened`` lists each output stream's (rate, channels) and ``played`` what it
    played. ``only`` (rate, channels): the one format the output takes; any other raises ``PortAudioError``.

    Input streams at 16 kHz deliver what the test says into :attr:`microphone` (a
    :class:`~tests.support.audio.LiveSource`), silence otherwise, one block every 20 ms, until stopped.
    """

    class PortAudioError(Exception):
        pass

    class CallbackStop(Exception):
        pass

    class CallbackAbort(Exception):
        pass

    def __init__(
        self, name: str = "fake card", only: tuple[int, int] | None = None, paced: bool = False
    ) -> None:
        self.name, self.only, self.paced = name, only, paced
        self.opened: list[tuple[int, int]] = []
        self.played: list[np.ndarray] = []
        self.microphone = LiveSource()

    def query_devices(self, device: object, kind: str) -> dict[str, object]:
        rate, channels = self.only or (48000, 2)
        return {
            "name": self.name,
            "default_samplerate": float(rate),
            "max_output_channels": 8 if kind == "output" else 0,
            "max_input_channels": 1 if kind == "input" else 0,
        }

    def OutputStream(  # noqa: N802
        self,
        samplerate: int,
        channels: int,
        dtype: str,
        device: object,
        callback: Callable[..., None],
        finished_callback: Callable[[], None],
    ) -> _OutputStream:
        self.opened.append((samplerate, channels))
        if self.only is not None and (samplerate, channels) != self.only:
            raise self.PortAudioError(f"Invalid sample rate or channel count ({samplerate} Hz, {channels})")
        return _OutputStream(self, samplerate, channels, callback, finished_callback)

    def InputStream(  # noqa: N802
        self,
        samplerate: int,
        channels: int,
        dtype: str,
        blocksize: int,
        device: object,
        callback: Callable[..., None],
    ) -> _InputStream:
        if samplerate != 16000 or channels != 1 or dtype != "int16":
            raise self.PortAudioError(f"Invalid sample rate or format ({samplerate} Hz, {channels}, {dtype})")
        return _InputStream(self.microphone, callback)


class HdmiOnly(SoundCard):
    """An output device that takes only 48 kHz stereo, as HDMI outputs and many ``hw:`` devices do. (ALSA's
    plugins here cannot refuse a rate; a ``multi`` device that refuses mono hangs PortAudio on this card-less
    machine.)"""

    def __init__(self) -> None:
        super().__init__("HDMI", only=(48000, 2))


class _OutputStream:
    BLOCK = 1024

    def __init__(
        self,
        card: SoundCard,
        rate: int,
        channels: int,
        callback: Callable[..., None],
        finished: Callable[[], None],
    ) -> None:
        self.card, self.rate, self.channels = card, rate, channels
        self.callback, self.finished = callback, finished
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                out = np.zeros((self.BLOCK, self.channels), dtype=np.int16)
                try:
                    self.callback(out, self.BLOCK, None, None)
                except (self.card.CallbackStop, self.card.CallbackAbort):
                    self.card.played.append(out)
                    break
                self.card.played.append(out)
                if self.card.paced:
                    self._stop.wait(self.BLOCK / self.rate)
        finally:
            self.finished()

    def __enter__(self) -> _OutputStream:
        if self.card.paced:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        else:
            self._run()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _InputStream:
    def __init__(self, microphone: LiveSource, callback: Callable[..., None]) -> None:
        self.microphone, self.callback = microphone, callback
        self.active = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            block = self.microphone.next_block()
            if block is None:
                block = np.zeros(BLOCK_SAMPLES, dtype=np.int16)
            self.callback(block[:, None], len(block), None, None)
            self._stop.wait(PACE_S)

    def stop(self) -> None:
        self._stop.set()
        self.active = False
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def close(self) -> None:
        self.stop()
