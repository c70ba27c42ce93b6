"""One contract for every AudioSource: the in-memory recording and WAV file the simulator reads, the talk button
that presses between blocks, the real PortAudio microphone adapter (on a stand-in ``sounddevice``: no sound card
here; tests/speech/test_mic.py runs it on real PortAudio and ALSA), and the tests' own live microphone."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import BLOCK_SAMPLES, ArraySource, AudioSource, WavSource, write_wav_16k
from kiosk.speech.base import SAMPLE_RATE
from kiosk.speech.listener import PressingSource
from tests.support.audio import LiveSource
from tests.support.fake_sounddevice import SoundCard

Make = Callable[[np.ndarray], AudioSource]
"""Make a source that will deliver these samples (said into it, or recorded in it)."""


def signal(seconds: float) -> np.ndarray:
    """Distinct values, none of them zero: found again sample for sample behind any silence."""
    n = int(seconds * SAMPLE_RATE) + 100  # not a whole number of blocks
    return ((np.arange(n) % 2000 + 1) * 8).astype(np.int16)


class Button:
    """What a PressingSource presses: the listener's talk button."""

    def __init__(self) -> None:
        self.presses: list[bool] = []

    def hold(self) -> None:
        self.presses.append(True)

    def release(self) -> None:
        self.presses.append(False)


def pressing(samples: np.ndarray) -> AudioSource:
    source = PressingSource(ArraySource(samples), [(0.5, 1.0)])
    source.listener = Button()  # type: ignore[assignment]
    return source


def live(samples: np.ndarray) -> AudioSource:
    source = LiveSource()
    source.say(samples)
    return source


def read(
    source: AudioSource, enough: Callable[[list[np.ndarray]], bool], timeout: float = 10.0
) -> list[np.ndarray]:
    """Blocks read on a thread until ``enough`` of them came or the source ended; fails after ``timeout``."""
    got: list[np.ndarray] = []
    done = threading.Event()

    def run() -> None:
        try:
            for block in source.blocks():
                got.append(block)
                if enough(got):
                    return
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(timeout), f"the source neither ended nor gave enough audio in {timeout} s"
    return got


def holds(samples: np.ndarray) -> Callable[[list[np.ndarray]], bool]:
    """Enough once the blocks hold as many non-silent samples as ``samples``."""
    return lambda got: sum(int(np.count_nonzero(b)) for b in got) >= len(samples)


class TestAudioSourceContract:
    @pytest.fixture(params=["array", "wav", "pressing", "microphone", "live"])
    def make(
        self, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[Make]:
        made: list[AudioSource] = []

        def wav(samples: np.ndarray) -> AudioSource:
            write_wav_16k(tmp_path / "said.wav", samples)
            return WavSource(tmp_path / "said.wav")

        def microphone(samples: np.ndarray) -> AudioSource:
            from kiosk.speech.mic import MicrophoneSource

            card = SoundCard()
            monkeypatch.setitem(sys.modules, "sounddevice", card)
            card.microphone.say(samples)
            return MicrophoneSource("")

        factory = {
            "array": ArraySource,
            "wav": wav,
            "pressing": pressing,
            "microphone": microphone,
            "live": live,
        }[request.param]

        def make(samples: np.ndarray) -> AudioSource:
            made.append(factory(samples))
            return made[-1]

        yield make
        for source in made:
            source.close()

    def test_every_block_is_int16_mono_and_at_most_20_ms(self, make: Make) -> None:
        said = signal(1.0)
        blocks = read(make(said), holds(said))
        assert blocks
        for block in blocks:
            assert block.dtype == np.int16 and block.ndim == 1
            assert 1 <= len(block) <= BLOCK_SAMPLES

    def test_what_is_said_comes_out_sample_for_sample_and_in_order(self, make: Make) -> None:
        said = signal(1.5)
        heard = np.concatenate(read(make(said), holds(said)))
        start = int(np.argmax(heard != 0))  # a source may give silence first (a microphone is open before)
        assert np.array_equal(heard[start : start + len(said)], said)

    def test_a_source_closed_twice_before_it_is_read_gives_nothing(self, make: Make) -> None:
        source = make(signal(0.5))
        source.close()
        source.close()  # safe to call twice, as the protocol says
        assert read(source, lambda got: False) == []

    def test_a_reader_stops_soon_after_close_and_gets_no_more_audio(self, make: Make) -> None:
        said = signal(60.0)
        source = make(said)
        got: list[np.ndarray] = []
        first = threading.Event()

        def slow_reader() -> None:
            for block in source.blocks():
                got.append(block)
                first.set()
                time.sleep(0.01)

        reader = threading.Thread(target=slow_reader, daemon=True)
        reader.start()
        assert first.wait(5), "no audio within 5 s"
        source.close()
        reader.join(timeout=2)
        assert not reader.is_alive(), "the reader still waits for audio 2 s after close"
        assert sum(len(b) for b in got) < len(said)
