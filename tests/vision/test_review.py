"""The review flag travels inside the photo's own file: written into WebP and JPEG, read back, image unchanged."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from layanan.photo_review import add_review, read_review
from tools.vision import synth


@pytest.mark.parametrize(
    ("ext", "flag"), [(".webp", cv2.IMWRITE_WEBP_QUALITY), (".jpg", cv2.IMWRITE_JPEG_QUALITY)]
)
def test_a_flag_written_into_the_file_reads_back_and_the_picture_decodes_the_same(ext, flag):
    gray = cv2.cvtColor(synth.render("ktp", size=(640, 480), seed=3).image, cv2.COLOR_BGR2GRAY)
    data = cv2.imencode(ext, gray, [flag, 60])[1].tobytes()
    flagged = add_review(data, "low_confidence")
    assert read_review(data) is None
    assert read_review(flagged) == "low_confidence"
    before = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    after = cv2.imdecode(np.frombuffer(flagged, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert after is not None and np.array_equal(before, after)


def test_flagging_twice_keeps_one_flag_the_last():
    gray = np.full((40, 60), 128, np.uint8)
    data = cv2.imencode(".webp", gray, [cv2.IMWRITE_WEBP_QUALITY, 60])[1].tobytes()
    twice = add_review(add_review(data, "no_outline"), "low_confidence")
    assert read_review(twice) == "low_confidence"
    assert twice.count(b"layanan:review") == 1
    assert cv2.imdecode(np.frombuffer(twice, np.uint8), cv2.IMREAD_GRAYSCALE).shape == (40, 60)


def test_only_short_ids_are_written_and_only_into_webp_or_jpeg():
    with pytest.raises(ValueError, match="snake_case"):
        add_review(b"RIFF....WEBP", 'bad" reason')
    with pytest.raises(ValueError, match="WebP or JPEG"):
        add_review(b"\x89PNG\r\n\x1a\n", "low_confidence")
