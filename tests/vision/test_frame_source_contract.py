"""One contract for every FrameSource: the tests' fake camera, a still image file (``kiosk simulate``, the
screenshots) and the real OpenCV camera, on a Motion-JPEG clip read through VideoCapture (no camera here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.vision.camera import CameraError, FrameSource, OpenCVCamera, StillImageSource
from tests.support.frames import FakeCamera, record_clip
from tools.vision import synth

Make = Callable[[np.ndarray], FrameSource]
"""Make a source that shows this scene."""


def scene() -> np.ndarray:
    return synth.render("ktp", size=(640, 480), bg="wood", fill=0.4, seed=4).image


def looks_like(frame: np.ndarray, shown: np.ndarray) -> bool:
    """The same picture, give or take a camera's Motion-JPEG compression (no two of its frames are equal)."""
    return float(np.abs(frame.astype(np.int16) - shown).mean()) < 6


class TestFrameSourceContract:
    @pytest.fixture(params=["fake", "still image", "opencv clip"])
    def make(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
        made: list[FrameSource] = []

        def still(image: np.ndarray) -> FrameSource:
            cv2.imwrite(str(tmp_path / "scene.png"), image)
            return StillImageSource(tmp_path / "scene.png")

        def clip(image: np.ndarray) -> FrameSource:
            return OpenCVCamera(str(record_clip(tmp_path / "camera.avi", [image] * 5)))

        factory = {"fake": lambda image: FakeCamera([image]), "still image": still, "opencv clip": clip}

        def make(image: np.ndarray) -> FrameSource:
            made.append(factory[request.param](image))
            return made[-1]

        yield make
        for source in made:
            source.close()

    def test_a_frame_is_a_bgr_uint8_picture_of_the_scene(self, make: Make) -> None:
        shown = scene()
        frame = make(shown).read()
        assert frame.dtype == np.uint8 and frame.shape == shown.shape
        assert looks_like(frame, shown)

    def test_a_frame_changed_by_its_reader_leaves_the_next_frame_as_it_was(self, make: Make) -> None:
        shown = scene()
        source = make(shown)
        source.read()[:] = 0  # the capture loop draws the outline into the preview frame
        assert looks_like(source.read(), shown)


class TestEndOfFramesContract:
    """A source that stops delivering says so with a CameraError, never a None or an empty frame."""

    @pytest.fixture(params=["fake unplugged", "opencv clip ends"])
    def ending(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FrameSource]:
        frames = [scene()] * 3
        if request.param == "fake unplugged":
            source: FrameSource = FakeCamera(frames, unplug_after=3)
        else:
            source = OpenCVCamera(str(record_clip(tmp_path / "camera.avi", frames)))
        yield source
        source.close()

    def test_reading_past_the_last_frame_raises_a_camera_error_that_says_how_to_go_on(
        self, ending: FrameSource
    ) -> None:
        for _ in range(3):
            assert ending.read().size
        with pytest.raises(CameraError, match="continue without the photo") as info:
            ending.read()
        assert info.value.reason == "camera_lost"
