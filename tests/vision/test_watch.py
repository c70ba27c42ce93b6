"""Presence wake with the real BlazeFace model on real pixels: a face greets once, an empty table never does."""

from __future__ import annotations

import time

import cv2
from matplotlib import cbook

from kiosk.vision.camera import StillImageSource
from kiosk.vision.presence import PresenceDetector
from kiosk.vision.watch import PresenceWatch
from layanan.domain.events import Presence
from tools.vision import synth


def watch_for(path, seconds: float = 2.0) -> list:
    events: list = []
    watch = PresenceWatch(lambda: StillImageSource(path), PresenceDetector, events.append, interval_s=0.05)
    watch.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not events:
        time.sleep(0.05)
    time.sleep(0.3)  # a present face must not greet again and again
    watch.stop()
    assert not watch.running
    return events


def test_a_face_in_front_of_the_kiosk_greets_once(tmp_path):
    face = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    assert watch_for(str(face)) == [Presence()]


def test_an_empty_table_wakes_nothing(tmp_path):
    path = tmp_path / "table.png"
    cv2.imwrite(str(path), synth.background("wood", (640, 480), seed=1))
    assert watch_for(path, seconds=1.0) == []


def test_no_camera_turns_presence_off_without_crashing(tmp_path):
    events: list = []
    watch = PresenceWatch(lambda: StillImageSource(tmp_path / "missing.png"), PresenceDetector, events.append)
    watch.start()
    time.sleep(0.5)
    assert not watch.running and events == []
