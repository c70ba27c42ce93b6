"""One contract for the session's Camera, the documents step's camera, both ways it runs: on a worker thread
(the kiosk app) and synchronously (``kiosk simulate``). What the session relies on: a photo comes back as
``Captured`` with its bytes in ``photos``, the big button always takes one, a lost camera is ``CameraFailed``,
and a camera that cannot open raises from ``start`` (the session turns that into ``CameraFailed``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from kiosk.vision.camera import CameraError, FrameSource, NoCameraError
from kiosk.vision.step import CameraStep
from layanan.domain.events import CameraFailed, Captured, Event
from layanan.photo_review import read_review
from tests.support.frames import FakeCamera
from tests.support.waiting import wait_until
from tools.vision import synth


class Step:
    """A CameraStep and what it posted."""

    def __init__(self, open_source: Callable[[], FrameSource], synchronous: bool) -> None:
        self.posted: list[Event] = []
        self.photos: dict[str, bytes] = {}
        self.camera = CameraStep(open_source, self.posted.append, self.photos, synchronous=synchronous)

    def outcome(self) -> Event | None:
        return next((e for e in self.posted if isinstance(e, (Captured, CameraFailed))), None)


MakeStep = Callable[[Callable[[], FrameSource]], Step]
"""A camera step over the frame sources this opens."""


def sharp() -> np.ndarray:
    return synth.render("ktp", size=(1280, 720), fill=0.45, angle=4, seed=2).image


def blurred() -> np.ndarray:
    return synth.blur(synth.render("ktp", size=(640, 480)).image, 3)


class TestCameraContract:
    @pytest.fixture(params=["threaded", "synchronous"])
    def make(self, request: pytest.FixtureRequest) -> Iterator[MakeStep]:
        made: list[Step] = []

        def make(open_source: Callable[[], FrameSource]) -> Step:
            made.append(Step(open_source, synchronous=request.param == "synchronous"))
            return made[-1]

        yield make
        for step in made:
            step.camera.stop()

    def test_a_steady_sharp_card_is_captured_by_itself_and_its_photo_kept(self, make: MakeStep) -> None:
        step = make(lambda: FakeCamera([sharp()]))
        step.camera.start("ktp_scan", "ktp")
        captured = wait_until(step.outcome, 20, "a photo or a failure")
        assert isinstance(captured, Captured) and captured.document == "ktp_scan"
        assert step.photos[captured.attachment_id][:4] == b"RIFF"  # a WebP file
        assert step.camera.reviews == {}  # a sure outline: not flagged

    def test_the_big_button_takes_a_photo_even_of_a_blurred_card(self, make: MakeStep) -> None:
        step = make(lambda: FakeCamera([blurred()]))
        step.camera.start("ktp_scan", "ktp")
        step.camera.capture_now()
        captured = wait_until(step.outcome, 20, "a photo or a failure")
        assert isinstance(captured, Captured) and captured.attachment_id in step.photos

    def test_the_big_button_without_a_document_in_view_keeps_the_frame_whole_and_flags_it(
        self, make: MakeStep
    ) -> None:
        step = make(lambda: FakeCamera([synth.background("cloth", (640, 480), seed=4)]))
        step.camera.start("ktp_scan", "ktp")
        step.camera.capture_now()
        captured = wait_until(step.outcome, 20, "a photo or a failure")
        assert isinstance(captured, Captured)
        assert step.camera.reviews[captured.attachment_id] == "no_outline"
        assert read_review(step.photos[captured.attachment_id]) == "no_outline"

    def test_a_camera_pulled_out_mid_capture_is_camera_failed(self, make: MakeStep) -> None:
        step = make(lambda: FakeCamera([blurred()], unplug_after=3))
        step.camera.start("ktp_scan", "ktp")
        assert wait_until(step.outcome, 20, "a failure") == CameraFailed("camera_lost")
        assert step.photos == {}

    def test_a_camera_that_cannot_open_raises_a_camera_error_from_start(self, make: MakeStep) -> None:
        def absent() -> FrameSource:
            raise NoCameraError("No camera at /dev/video0: the device does not exist (is it plugged in?).")

        step = make(absent)
        with pytest.raises(CameraError):
            step.camera.start("ktp_scan", "ktp")
        assert step.posted == []

    def test_stop_before_start_and_twice_is_harmless(self, make: MakeStep) -> None:
        step = make(lambda: FakeCamera([blurred()]))
        step.camera.stop()
        step.camera.start("ktp_scan", "ktp")
        step.camera.stop()
        step.camera.stop()
        assert not any(isinstance(e, Captured) for e in step.posted)
