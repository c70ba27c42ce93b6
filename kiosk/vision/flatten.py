"""Flatten a detected document: perspective warp to the kind's proportions, and a KTP turned the right way up.

The warp keeps the orientation photographed, never upsamples past what the camera saw, and is capped at the
kind's nominal size (856 px for a card at 10 px/mm, 1754 px for A4 at 150 dpi). With no outline the whole
frame is used and ``Warped.warning`` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.vision.detect import DOCUMENT_KINDS, Detection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Warped:
    """The flattened document and how it was obtained."""

    image: np.ndarray
    corners: tuple[tuple[float, float], ...]
    """The corners used (the whole frame when the outline was not found)."""
    warning: str | None
    """Set when the whole frame was used instead of an outline."""


def output_size(corners: np.ndarray, document_kind: str) -> tuple[int, int]:
    """(width, height) of the warp: the document's ratio, its orientation as photographed, no upsampling past
    the resolution the camera actually saw, capped at the kind's nominal size."""
    if document_kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {document_kind!r}; use one of {', '.join(DOCUMENT_KINDS)}")
    ratio, long_max = DOCUMENT_KINDS[document_kind]
    c = corners
    width = max(np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[2] - c[3]))
    height = max(np.linalg.norm(c[3] - c[0]), np.linalg.norm(c[2] - c[1]))
    landscape = width >= height
    long_side = min(long_max, int(round(max(width, height, 64))))
    short_side = int(round(long_side / ratio))
    return (long_side, short_side) if landscape else (short_side, long_side)


def warp(image: np.ndarray, detection: Detection, document_kind: str) -> Warped:
    """Flatten the document; the whole frame (with a warning) when no outline was found."""
    h, w = image.shape[:2]
    warning = None
    corners = detection.corners_array()
    if corners is None:
        corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
        warning = "no document outline found; the whole picture is used"
        log.info("warp: %s", warning)
    size = output_size(corners, document_kind)
    dst = np.array([[0, 0], [size[0] - 1, 0], [size[0] - 1, size[1] - 1], [0, size[1] - 1]], np.float32)
    m = cv2.getPerspectiveTransform(corners, dst)
    flat = cv2.warpPerspective(image, m, size, flags=cv2.INTER_AREA)
    if document_kind == "ktp" and warning is None:
        flat = orient_ktp(flat)
    return Warped(flat, tuple((float(x), float(y)) for x, y in corners), warning)


def _photo_side(flat: np.ndarray) -> float:
    """Saturated pixels in the right third minus those in the left third, over the card's area: a KTP's photo
    (on a red or blue background) sits on the right."""
    if flat.ndim == 2:
        return 0.0
    sat = cv2.cvtColor(flat, cv2.COLOR_BGR2HSV)[..., 1] > 90
    third = flat.shape[1] // 3
    return float(sat[:, -third:].sum() - sat[:, :third].sum()) / sat.size


def orient_ktp(flat: np.ndarray) -> np.ndarray:
    """Turn a flattened KTP the right way up: landscape, photo on the right. A card photographed on its side
    or upside down comes out readable; when the photo cannot be told apart, the warp is left as it is."""
    candidates = (
        [flat]
        if flat.shape[1] >= flat.shape[0]
        else [
            cv2.rotate(flat, cv2.ROTATE_90_CLOCKWISE),
            cv2.rotate(flat, cv2.ROTATE_90_COUNTERCLOCKWISE),
        ]
    )
    candidates += [cv2.rotate(c, cv2.ROTATE_180) for c in candidates]
    scores = [_photo_side(c) for c in candidates]
    best = int(np.argmax(scores))
    if scores[best] < PHOTO_SIDE_MIN:
        return candidates[0]
    return candidates[best]


PHOTO_SIDE_MIN = 0.03
"""How much more of the card's area must be saturated in one outer third than the other to trust the photo
cue."""
