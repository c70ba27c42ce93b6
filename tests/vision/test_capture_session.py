"""The capture session: guidance per frame, automatic capture of a still sharp document, the big button."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.vision.camera import OUTLINE_FIX, OUTLINE_OK, draw_outline
from kiosk.vision.capture import CaptureSession, run_capture
from kiosk.vision.detect import ID1_RATIO
from tests.support.frames import FakeCamera
from tools.vision import synth


def test_a_steady_sharp_card_is_captured_by_itself_after_n_good_frames():
    frame = synth.render("ktp", size=(1280, 720), fill=0.45, angle=4, seed=2).image
    session = CaptureSession("ktp", stable_frames=4)
    results = [session.feed(frame) for _ in range(4)]
    assert [r.capture is None for r in results] == [True, True, True, False]
    assert results[-1].progress == 1.0
    capture = results[-1].capture
    assert capture is not None and capture.verdict.ok
    assert abs(capture.encoded.width / capture.encoded.height - ID1_RATIO) < 0.02
    attachment = capture.attachment()
    assert attachment.mime == "image/webp" and len(attachment.data) <= 60_000
    assert attachment.meta()["sha256"] == capture.encoded.sha256


def test_a_shaking_card_is_never_captured_by_itself_and_hears_dont_shake():
    base = synth.render("ktp", size=(640, 480), fill=0.4, seed=2).image
    frames = [synth.shifted(base, 20 * (i % 2), 8 * (i % 2)) for i in range(12)]
    outcome = run_capture(FakeCamera(frames), CaptureSession("ktp", stable_frames=3), max_frames=12)
    assert outcome.capture is None and outcome.error is None
    assert outcome.last is not None and "motion" in outcome.last.verdict.hints


def test_a_blurred_frame_resets_the_streak():
    good = synth.render("ktp", size=(640, 480), fill=0.4, seed=2).image
    bad = synth.blur(good, 3)
    session = CaptureSession("ktp", stable_frames=3)
    assert session.feed(good).good_streak == 1
    assert session.feed(good).good_streak == 2
    result = session.feed(bad)
    assert result.good_streak == 0 and result.verdict.hints[0] == "blurry"


def test_the_big_button_captures_even_a_poor_frame_and_keeps_its_verdict():
    frame = synth.exposure(synth.render("kk", size=(1280, 720), fill=0.3, seed=2).image, 0.25)
    session = CaptureSession("kk")
    session.feed(frame)
    capture = session.capture_now()
    assert capture.verdict.hints[0] == "too_dark"
    assert capture.encoded.size <= 150_000
    assert session.captured is capture


def test_the_big_button_before_any_frame_says_what_is_missing():
    with pytest.raises(ValueError, match="feed a frame"):
        CaptureSession("ktp").capture_now()


def test_the_outline_for_the_preview_is_in_the_fed_frames_pixels_and_drawn_green_when_good():
    scene = synth.render("ktp", size=(1280, 720), fill=0.42, angle=3, seed=4)
    session = CaptureSession("ktp", stable_frames=100, analysis_width=640)
    result = session.feed(scene.image)
    assert result.verdict.ok and result.corners is not None
    assert np.abs(np.array(result.corners) - scene.corners).max() <= 3.0  # found at half size, scaled back
    drawn = draw_outline(scene.image, result.corners, result.verdict.ok)
    x, y = np.round(np.mean([result.corners[0], result.corners[1]], axis=0)).astype(
        int
    )  # middle of the top side
    assert tuple(drawn[y, x]) == OUTLINE_OK
    assert not np.array_equal(drawn, scene.image) and not np.shares_memory(drawn, scene.image)
    assert tuple(draw_outline(scene.image, result.corners, False)[y, x]) == OUTLINE_FIX
