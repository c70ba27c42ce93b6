"""The live microphone as an :class:`~kiosk.speech.audio.AudioSource` (PortAudio through ``sounddevice``).

It asks the device for 16 kHz mono int16. Many USB microphones opened directly (``hw:`` devices) only offer
44.1 or 48 kHz; then it opens the device at its own default rate and converts with :class:`StreamResampler`
(logged once). No device, a busy device or no PortAudio: :class:`~kiosk.speech.audio.MicrophoneUnavailable`
with the reason, and the kiosk carries on by touch.
"""

from __future__ import annotations

import contextlib
import logging
import queue
from collections.abc import Iterator
from typing import Any

import numpy as np

from kiosk.speech import portaudio
from kiosk.speech.audio import BLOCK_SAMPLES, MicrophoneUnavailable, to_int16
from kiosk.speech.base import SAMPLE_RATE
from kiosk.speech.resample import StreamResampler

log = logging.getLogger(__name__)


class MicrophoneSource:
    """Yields int16 mono 16 kHz blocks from a PortAudio input device.

    ``device``: a PortAudio device name (substring) or index as text; empty is the system default.
    """

    def __init__(self, device: str = "", queue_blocks: int = 200) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:  # libportaudio missing
            raise MicrophoneUnavailable(
                f"PortAudio is not installed ({exc}); install libportaudio2"
            ) from None
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=queue_blocks)
        self._closed = False
        self.overflows = 0
        """Blocks lost because PortAudio or the consumer fell behind (logged at close)."""
        dev: str | int | None = (int(device) if device.isdigit() else device) if device else None
        where = f"input device {device!r}" if device else "the default input device"
        self._resampler: StreamResampler | None = None
        portaudio.opened()  # until close(): PortAudio's device list is not refreshed under this stream
        try:
            self._stream = self._open_any_rate(sd, dev, where)
        except BaseException:
            self._closed = True
            portaudio.closed()
            raise
        log.info("microphone open: %s", where)

    def _open_any_rate(self, sd: Any, dev: str | int | None, where: str) -> Any:
        try:
            return self._open(sd, dev, SAMPLE_RATE)
        except (sd.PortAudioError, ValueError) as first:
            rate = self._native_rate(sd, dev)
            if rate is None or rate == SAMPLE_RATE:
                raise self._unavailable(where, first) from None
            try:
                stream = self._open(sd, dev, rate)
            except (sd.PortAudioError, ValueError) as exc:
                raise self._unavailable(where, exc) from None
            self._resampler = StreamResampler(rate, SAMPLE_RATE)
            log.info("%s refuses %d Hz; recording at %d Hz and converting", where, SAMPLE_RATE, rate)
            return stream

    @staticmethod
    def _unavailable(where: str, exc: Exception) -> MicrophoneUnavailable:
        return MicrophoneUnavailable(
            f"cannot open {where} ({exc}); check that a microphone is plugged in and set speech.input_device "
            "(see 'python -m sounddevice' for the list); touch keeps working"
        )

    @staticmethod
    def _native_rate(sd: Any, dev: str | int | None) -> int | None:
        try:
            info = sd.query_devices(dev, "input")
        except (sd.PortAudioError, ValueError):
            return None
        return int(info["default_samplerate"])

    def _open(self, sd: Any, dev: str | int | None, rate: int) -> Any:
        block = int(round(BLOCK_SAMPLES * rate / SAMPLE_RATE))
        stream = sd.InputStream(
            samplerate=rate, channels=1, dtype="int16", blocksize=block, device=dev, callback=self._callback
        )
        stream.start()
        return stream

    def _callback(self, indata: np.ndarray, frames: int, time: object, status: object) -> None:
        if status:
            self.overflows += 1
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self.overflows += 1  # the consumer is stalled; dropping audio beats growing without bound

    def blocks(self) -> Iterator[np.ndarray]:
        while not self._closed:
            try:
                block = self._queue.get(timeout=0.5)
            except queue.Empty:
                if not self._closed and not self._stream.active:
                    raise MicrophoneUnavailable(
                        "the microphone stopped delivering audio (unplugged?); voice is off, "
                        "touch keeps working"
                    ) from None
                continue
            if block is None:
                return
            if self._resampler is not None:
                block = to_int16(self._resampler.process(block))
            yield block

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._stream.stop()
            self._stream.close()
        finally:
            portaudio.closed()
            if self.overflows:
                log.warning("microphone lost %d blocks (the machine was too busy)", self.overflows)
            with contextlib.suppress(queue.Full):  # blocks() also ends on the closed flag
                self._queue.put_nowait(None)
