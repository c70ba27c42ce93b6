"""The busy-room meter: the pure share-and-hysteresis rule, then the real end-pointer on synthesized babble
and fan noise (espeak-ng speech: it shows the end-pointer's behaviour, not accuracy; the figures on real
recordings are in docs/speech.md)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from kiosk.speech.room import RoomMeter
from kiosk.speech.vad import Endpointer, Level
from tests.speech.conftest import mix, noise, scale_to_dbfs
from tests.support.babble import babble
from tools.bench.vad import fan_noise


def test_busy_from_two_fifths_of_the_window_and_quiet_again_below_a_quarter() -> None:
    meter = RoomMeter(frame_ms=20, window_s=1.0)  # 50 frames
    changes = [meter.feed(i < 20) for i in range(49)]
    assert changes == [None] * 49 and not meter.busy  # no decision before a whole window
    assert meter.feed(False) is True and meter.busy  # 20 of 50
    for _ in range(7):  # the speech frames leave the window: 13 of 50 is still busy (hysteresis)
        assert meter.feed(False) is None
    assert meter.busy and meter.share == pytest.approx(0.26)
    assert meter.feed(False) is False and not meter.busy  # 12 of 50 < 25 %


def test_shares_that_cannot_work_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="quiet_share"):
        RoomMeter(busy_share=0.3, quiet_share=0.4)


def speech_share(audio: np.ndarray) -> float:
    """What the kiosk's meter sees: the real end-pointer's speech flags over the last 20 s of ``audio``."""
    endpointer, meter = Endpointer(), RoomMeter()
    for event in endpointer.process(audio) + endpointer.flush():
        if isinstance(event, Level):
            meter.feed(event.speech)
    return meter.share


def test_people_talking_make_the_room_busy_and_a_fan_does_not(
    speak: Callable[[str, str], np.ndarray],
) -> None:
    room_tone = noise(25, -70)
    assert speech_share(babble(speak, 25, -32)) >= 0.4
    fan = fan_noise(25 * 16000, np.random.default_rng(3))
    assert speech_share(mix(room_tone, scale_to_dbfs(fan, -25))) < 0.25
