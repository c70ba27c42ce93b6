"""Presence wake: the real BlazeFace model on a real portrait, and the debounce."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.vision.presence import BlazeFaceDetector, FaceDetector, PresenceDetector, PresenceModelError
from tests.support.faces import ScriptedFaces
from tools.vision import synth


@pytest.fixture(scope="module")
def detector() -> BlazeFaceDetector:
    return BlazeFaceDetector()


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    # a real photograph of a face shipped inside a registry package (matplotlib's sample data, public domain)
    from matplotlib import cbook

    image = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    assert image is not None
    # put her in a 640x480 kiosk frame, a little off centre
    frame = np.full((480, 640, 3), 80, np.uint8)
    small = cv2.resize(image, (300, 352))
    frame[60:412, 250:550] = small
    return frame


def test_a_real_face_is_seen_and_a_document_or_a_table_is_not(detector, portrait):
    assert detector.max_score(portrait) > 0.8
    assert detector.max_score(synth.render("ktp", size=(640, 480)).image) < 0.3
    assert detector.max_score(synth.background("wood", (640, 480))) < 0.3


def test_presence_needs_two_face_frames_to_wake_and_several_empty_ones_to_sleep(detector, portrait):
    empty = synth.background("table", (640, 480))
    presence = PresenceDetector(detector, on_frames=2, off_frames=3)
    assert [presence.seen(f) for f in (portrait, empty, portrait, portrait)] == [False, False, False, True]
    assert [presence.seen(f) for f in (empty, portrait, empty, empty, empty)] == [
        True,
        True,
        True,
        True,
        False,
    ]


def test_a_single_glance_does_not_wake_the_kiosk_and_one_missed_frame_does_not_sleep_it():
    frame = np.zeros((4, 4, 3), np.uint8)
    presence = PresenceDetector(
        ScriptedFaces([0.9, 0.1, 0.9, 0.1, 0.9, 0.9, 0.9, 0.2, 0.9]), on_frames=2, off_frames=2
    )
    seen = [presence.seen(frame) for _ in range(9)]
    assert seen == [False, False, False, False, False, True, True, True, True]


def test_a_wrong_model_file_is_refused(tmp_path):
    fake = tmp_path / "face.tflite"
    fake.write_bytes(b"not a model")
    with pytest.raises(PresenceModelError, match="sha256"):
        BlazeFaceDetector(fake)
    with pytest.raises(PresenceModelError, match="missing"):
        BlazeFaceDetector(tmp_path / "absent.tflite")


class TestFaceDetectorContract:
    """What the presence debounce needs of a detector: a score from 0 to 1 for any BGR frame the camera gives,
    and the frame left as it was (it is also the preview)."""

    @pytest.fixture(params=["blazeface", "scripted"])
    def faces(self, request: pytest.FixtureRequest) -> FaceDetector:
        if request.param == "blazeface":
            return request.getfixturevalue("detector")  # type: ignore[no-any-return]
        return ScriptedFaces([0.9, 0.1] * 10)

    @pytest.mark.parametrize("size", [(640, 480), (1280, 720), (4, 4)])
    def test_any_frame_gets_a_score_from_0_to_1_and_is_left_as_it_was(
        self, faces: FaceDetector, portrait: np.ndarray, size: tuple[int, int]
    ) -> None:
        for frame in (cv2.resize(portrait, size), synth.background("table", size)):
            before = frame.copy()
            score = faces.max_score(frame)
            assert isinstance(score, float) and 0.0 <= score <= 1.0
            assert np.array_equal(frame, before)
