"""The tests' one in-memory microphone: a live :class:`~kiosk.speech.audio.AudioSource` the test talks into.

A finite recording in memory is the kiosk's own :class:`~kiosk.speech.audio.ArraySource`; this is the live kind,
which never runs out by itself (tests/speech/test_audio_source_contract.py holds both to the same contract).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np

from kiosk.speech.audio import BLOCK_SAMPLES, split_blocks

PACE_S = BLOCK_SAMPLES / 16000
"""20 ms: how often a block of silence comes while nobody talks, as from a real microphone."""


class LiveSource:
    """What the test says (:meth:`say`) comes out in 20 ms blocks, as fast as the reader takes them; while
    nothing is left to say, a block of silence every 20 ms, until :meth:`close`."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self._pending: list[np.ndarray] = []
        self._lock = threading.Lock()

    def say(self, samples: np.ndarray) -> None:
        """Queue int16 16 kHz samples behind what is still to be said."""
        blocks = list(split_blocks(np.asarray(samples, dtype=np.int16)))
        with self._lock:
            self._pending += blocks

    def quiet(self) -> bool:
        """True once everything said has been taken by the reader."""
        with self._lock:
            return not self._pending

    def next_block(self) -> np.ndarray | None:
        """The next block said, or None when there is nothing to say."""
        with self._lock:
            return self._pending.pop(0) if self._pending else None

    def blocks(self) -> Iterator[np.ndarray]:
        while not self.closed.is_set():
            block = self.next_block()
            if block is not None:
                yield block
            elif not self.closed.wait(PACE_S):
                yield np.zeros(BLOCK_SAMPLES, dtype=np.int16)

    def close(self) -> None:
        self.closed.set()
