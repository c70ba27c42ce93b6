"""Camera edge: every failure is a clear CameraError; the capture loop turns it into 'go on without the
photo'."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.vision.camera import (
    ImageFileError,
    NoCameraError,
    OpenCVCamera,
    StillImageSource,
    frame_to_rgb_bytes,
    open_source,
)
from kiosk.vision.capture import CaptureSession, run_capture
from tests.support.frames import FakeCamera, record_clip
from tools.vision import synth


def test_no_camera_at_dev_video99_is_a_clear_error():
    with pytest.raises(NoCameraError) as info:
        OpenCVCamera("/dev/video99")
    assert "/dev/video99" in str(info.value)
    assert "continue without the photo" in str(info.value)
    assert info.value.reason == "no_camera"


def test_a_camera_index_that_opencv_cannot_open_is_a_clear_error():
    with pytest.raises(NoCameraError, match="could not be opened"):
        OpenCVCamera(99)


def test_a_missing_image_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ImageFileError, match="does not exist"):
        StillImageSource(tmp_path / "nope.jpg")


def test_a_corrupt_image_file_is_a_clear_error(tmp_path: Path):
    good = tmp_path / "card.jpg"
    cv2.imwrite(str(good), synth.render("ktp", size=(640, 480)).image)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good.read_bytes()[:200])  # a truncated download
    with pytest.raises(ImageFileError, match="not an image") as info:
        StillImageSource(broken)
    assert info.value.reason == "bad_image"
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageFileError, match="empty"):
        StillImageSource(empty)


def test_a_still_image_is_a_frame_source_of_copies(tmp_path: Path):
    path = tmp_path / "scene.png"
    scene = synth.render("ktp", size=(640, 480)).image
    cv2.imwrite(str(path), scene)
    source = open_source(str(path))
    first = source.read()
    first[:] = 0
    assert np.array_equal(source.read(), scene)


def test_a_camera_unplugged_mid_capture_ends_the_capture_with_a_notice_not_a_crash():
    blurred = synth.blur(synth.render("ktp", size=(640, 480)).image, 2)  # never good enough to auto-capture
    outcome = run_capture(FakeCamera([blurred], unplug_after=3), CaptureSession("ktp"), max_frames=50)
    assert outcome.capture is None
    assert outcome.frames == 3
    assert outcome.error is not None and outcome.error.reason == "camera_lost"
    assert "continue without the photo" in str(outcome.error)
    assert outcome.staff_notice and "camera_lost" in outcome.staff_notice
    assert outcome.last is not None and "blurry" in outcome.last.verdict.hints


def test_frame_to_rgb_bytes_gives_rgb_rows_bottom_up_for_a_kivy_texture():
    frame = np.zeros((2, 3, 3), np.uint8)
    frame[0, :, 2] = 255  # top row red (BGR)
    frame[1, :, 0] = 255  # bottom row blue
    w, h, data = frame_to_rgb_bytes(frame)
    assert (w, h) == (3, 2) and len(data) == 3 * 2 * 3
    assert data[:3] == bytes([0, 0, 255])  # first row in the buffer is the bottom (blue) one, as RGB
    assert data[-3:] == bytes([255, 0, 0])
    _, _, top_down = frame_to_rgb_bytes(frame, flip_for_texture=False)
    assert top_down[:3] == bytes([255, 0, 0])


def test_the_real_opencv_camera_that_stops_sending_mid_capture_raises_camera_lost(tmp_path: Path):
    blurred = synth.blur(synth.render("ktp", size=(640, 480)).image, 2)
    clip = record_clip(tmp_path / "camera.avi", [blurred] * 4)
    camera = open_source(str(clip))
    assert isinstance(camera, OpenCVCamera)
    try:
        outcome = run_capture(camera, CaptureSession("ktp"), max_frames=50)
    finally:
        camera.close()
    assert outcome.frames == 4
    assert outcome.capture is None
    assert outcome.error is not None and outcome.error.reason == "camera_lost"
    assert "stopped sending pictures" in str(outcome.error)


def test_the_real_opencv_camera_feeds_a_capture_session_to_an_automatic_capture(tmp_path: Path):
    scene = synth.render("ktp", size=(1280, 720), bg="cloth", fill=0.42, angle=-4, tilt=0.05, seed=12)
    clip = record_clip(tmp_path / "camera.avi", [scene.image] * 8)
    camera = OpenCVCamera(str(clip))
    try:
        outcome = run_capture(camera, CaptureSession("ktp", stable_frames=5), max_frames=8)
    finally:
        camera.close()
    assert outcome.error is None
    assert outcome.capture is not None and outcome.frames == 5
    corners = np.array(outcome.capture.detection.corners)
    assert np.abs(corners - scene.corners).max() <= 2.0  # through Motion-JPEG compression
    assert outcome.capture.encoded.size <= 60_000


def test_a_missing_clip_is_no_camera(tmp_path: Path):
    with pytest.raises(NoCameraError, match="could not be opened"):
        OpenCVCamera(str(tmp_path / "absent.avi"))
