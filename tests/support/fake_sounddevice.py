"""A stand-in for the ``sounddevice`` module, for what the real PortAudio and ALSA stack cannot be made to do on
this card-less machine."""

from __future__ import annotations

import numpy as np


class HdmiOnly:
    """A stand-in for ``sounddevice`` whose one output device takes only 48 kHz stereo, as HDMI outputs and
    many ``hw:`` devices do. (ALSA's plugins here cannot refuse a rate; a ``multi`` device that refuses mono
    hangs PortAudio on this card-less machine.) Its streams run the callback until it stops."""

    class PortAudioError(Exception):
        pass

    class CallbackStop(Exception):
        pass

    class CallbackAbort(Exception):
        pass

    def __init__(self) -> None:
        self.opened: list[tuple[int, int]] = []
        self.played: list[np.ndarray] = []

    def query_devices(self, device: object, kind: str) -> dict[str, object]:
        return {"name": "HDMI", "default_samplerate": 48000.0, "max_output_channels": 8}

    def OutputStream(
        self, samplerate: int, channels: int, dtype: str, device: object, callback, finished_callback
    ):  # type: ignore[no-untyped-def] # noqa: N802
        self.opened.append((samplerate, channels))
        if (samplerate, channels) != (48000, 2):
            raise self.PortAudioError(f"Invalid sample rate or channel count ({samplerate} Hz, {channels})")
        fake = self

        class Stream:
            def __enter__(self) -> Stream:
                while True:
                    out = np.zeros((1024, channels), dtype=np.int16)
                    try:
                        callback(out, 1024, None, None)
                    except (fake.CallbackStop, fake.CallbackAbort):
                        fake.played.append(out)
                        break
                    fake.played.append(out)
                finished_callback()
                return self

            def __exit__(self, *exc: object) -> None:
                pass

        return Stream()
