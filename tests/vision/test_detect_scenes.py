"""Detection on the wider generated scenes (tools/vision/families.py): a card with a dark header band, a card
on a noisy textured background with lines crossing it, and what the capture does when the detector is not sure.
Real OpenCV on real generated pixels. A scene's outcome is right, unsure (the whole frame is kept and flagged
for the clerk) or wrong (a sure outline that is off: what must not happen); the scenes the shipped detector still
gets wrong are marked as known misses, so a fix shows up as an unexpected pass."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kiosk.vision.detect import CONFIDENCE_MIN, find_document, order_corners
from kiosk.vision.pipeline import capture_document
from kiosk.vision.quality import assess
from layanan.photo_review import read_review
from tools.vision import families, synth, textures


def corner_error(found, scene) -> float:
    """Largest corner error over the frame diagonal."""
    assert found.corners is not None, "no outline found"
    h, w = scene.image.shape[:2]
    return float(
        np.linalg.norm(np.array(found.corners) - order_corners(scene.corners), axis=1).max() / np.hypot(w, h)
    )


KNOWN_BAND_MISSES = {("speckle", (640, 480)), ("blob_noise", (640, 480)), ("blob_noise", (1280, 720))}
"""Scenes of the band test the shipped detector gets wrong with confidence (measured when it was written)."""


def outcome(found, scene, tolerance: float = 0.02) -> str:
    """``right`` (sure, every corner within ``tolerance`` of the diagonal), ``unsure`` (flagged: the whole frame
    is kept for the clerk), or ``wrong`` (sure and off: what a capture must not produce)."""
    if found.corners is None or found.unsure:
        return "unsure"
    return "right" if corner_error(found, scene) <= tolerance else "wrong"


def sure_and_right_or_unsure(found, scene, tolerance: float = 0.02) -> str:
    result = outcome(found, scene, tolerance)
    assert result != "wrong", (
        f"a sure outline {100 * corner_error(found, scene):.1f} % of the diagonal off "
        f"(confidence {found.confidence:.2f})"
    )
    return result


KNOWN_MISS = pytest.mark.xfail(
    strict=True,
    reason="known miss (issue 37): the outline on the band's lower edge or a printed frame is taken with "
    "confidence; docs/benchmarks.md has the rate per held-out family",
)
BAND_SCENES = [
    pytest.param(bg, seed, size, marks=[KNOWN_MISS] if (bg, size) in KNOWN_BAND_MISSES else [])
    for bg, seed in (("dark_tray", 1), ("speckle", 2), ("blob_noise", 3), ("wood", 4))
    for size in ((640, 480), (1280, 720))
]


@pytest.mark.parametrize(("background", "seed", "size"), BAND_SCENES)
def test_a_card_with_a_dark_header_band_is_never_cut_at_the_band_with_confidence(background, seed, size):
    # the band's lower edge lies 13-22 % of the card's height inside: 2-9 % of the diagonal at these fills
    scene = families.compose("band_dark", background, size, seed, clutter=("lines",))
    sure_and_right_or_unsure(find_document(scene.image, "ktp"), scene)


def test_most_cards_with_a_header_band_are_found_to_their_true_top_edge():
    outcomes = [
        outcome(find_document((scene := families.compose(design, bg, size, seed)).image, "ktp"), scene)
        for design, bg in (("band_dark", "dark_tray"), ("band_colour", "wood"), ("band_colour", "cloth"))
        for seed, size in ((10, (640, 480)), (11, (1280, 720)), (12, (640, 480)))
    ]
    # measured when this test was written: 4 right, 5 unsure (kept whole and flagged), none wrong
    assert outcomes.count("right") >= 4 and outcomes.count("wrong") == 0, outcomes


TEXTURED_SCENES = [
    pytest.param(d, seed, size, marks=[KNOWN_MISS] if (d, size) == ("bordered", (640, 480)) else [])
    for d, seed in (("pale", 4), ("band_dark", 5), ("white", 6), ("bordered", 7))
    for size in ((640, 480), (1280, 720))
]


@pytest.mark.parametrize(("design", "seed", "size"), TEXTURED_SCENES)
def test_a_card_on_a_noisy_textured_background_with_lines_crossing_is_right_or_flagged(design, seed, size):
    scene = families.compose(design, "speckle", size, seed, clutter=("lines", "objects"))
    sure_and_right_or_unsure(find_document(scene.image, "ktp"), scene)


def test_most_cards_on_noisy_textured_backgrounds_are_found():
    outcomes = [
        outcome(
            find_document((scene := families.compose(d, bg, size, seed, clutter=("lines",))).image, "ktp"),
            scene,
        )
        for d, bg in (("pale", "speckle"), ("pale", "blob_noise"), ("white", "blob_noise"))
        for seed, size in ((20, (640, 480)), (21, (1280, 720)), (22, (640, 480)))
    ]
    # measured when this test was written: 8 right, 1 unsure, none wrong
    assert outcomes.count("right") >= 7 and outcomes.count("wrong") == 0, outcomes


def test_an_unsure_outline_keeps_the_whole_frame_at_higher_quality_flagged_for_the_clerk():
    scene = synth.render("ktp", size=(1280, 720), bg="wood", fill=0.4, angle=5, tilt=0.05, seed=8)
    sure = find_document(scene.image, "ktp")
    unsure = replace(sure, confidence=CONFIDENCE_MIN / 2)
    assert unsure.unsure and not sure.unsure
    capture = capture_document(scene.image, "ktp", assess(scene.image, "ktp", unsure))
    assert capture.review == "low_confidence"
    assert "flagged for the clerk" in (capture.warning or "")
    assert "no_document" in capture.verdict.hints  # the live screen never auto-captures an unsure outline
    # the whole frame, not a card cut out of it, and legible to a higher standard than a cut-out card
    assert (capture.encoded.width, capture.encoded.height) == (1280, 720)
    assert capture.encoded.text_ssim >= 0.95 and capture.encoded.quality >= 50
    attachment = capture.attachment()
    assert attachment.review == "low_confidence" == attachment.meta()["review"]
    assert read_review(attachment.data) == "low_confidence"
    assert capture.to_dict()["review"] == "low_confidence"
    # the same frame with a sure outline is cut out and not flagged
    normal = capture_document(scene.image, "ktp", assess(scene.image, "ktp", sure))
    assert normal.review is None and read_review(normal.attachment().data) is None
    assert normal.encoded.width < 1280


def test_a_frame_with_no_document_is_kept_whole_and_flagged():
    plain = textures.cloth((640, 480), np.random.default_rng(9))
    capture = capture_document(plain, "kk")
    assert capture.detection.corners is None
    assert capture.review == "no_outline"
    assert read_review(capture.attachment().data) == "no_outline"
