"""One still picture -> quality verdict, outline, flat document, compact bytes: what ``kiosk capture`` prints
and what the outbox attaches to a request (``Capture.attachment()``; the outbox seals and chunks it).

When the detector is not sure of the outline (``Detection.unsure``) or found none, the document is not cut out:
the whole frame is kept, grey, at a higher quality (text SSIM ``REVIEW_TEXT_SSIM``, quality floor
``REVIEW_QUALITY_FLOOR``, a page's byte budget), and the photo is flagged for the clerk (``Capture.review``,
``Attachment.review`` and the file's own metadata, :mod:`layanan.photo_review`). A card with its top cut off is
worse than a whole photo the clerk has to look at.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

import cv2
import numpy as np

from kiosk.vision.detect import Detection, find_document
from kiosk.vision.encode import Encoded, encode_document
from kiosk.vision.flatten import warp
from kiosk.vision.quality import Verdict, assess, family
from layanan.photo_review import add_review

log = logging.getLogger(__name__)

REVIEW_TEXT_SSIM = 0.95
"""Legibility kept for a whole frame sent for review (a cut-out document needs 0.90)."""
REVIEW_QUALITY_FLOOR = 50
"""Lowest quality used for a whole frame sent for review."""
REVIEW_MAX_SIDE = 1600
"""A whole frame sent for review is scaled down to this long side at most."""


@dataclass(frozen=True)
class Attachment:
    """The bytes the outbox sends for one document photo, and what may be said of them (no personal data)."""

    data: bytes
    mime: str
    sha256: str
    document_kind: str
    width: int
    height: int
    review: str | None = None
    """Why the clerk should check this photo (``low_confidence``, ``no_outline``), or None. Also written into
    the file's metadata."""

    def meta(self) -> dict[str, object]:
        return {
            "mime": self.mime,
            "sha256": self.sha256,
            "document_kind": self.document_kind,
            "width": self.width,
            "height": self.height,
            "bytes": len(self.data),
            "review": self.review,
        }


@dataclass(frozen=True)
class Capture:
    """The result of capturing one document."""

    document_kind: str
    verdict: Verdict
    detection: Detection
    warning: str | None
    """Set when the whole picture was kept instead of a cut-out document."""
    encoded: Encoded
    review: str | None = None
    """Set when the photo is flagged for the clerk: ``low_confidence`` or ``no_outline``."""

    def attachment(self) -> Attachment:
        e = self.encoded
        return Attachment(e.data, e.mime, e.sha256, self.document_kind, e.width, e.height, self.review)

    def to_dict(self, sentences: Mapping[str, str] | None = None) -> dict[str, object]:
        """What ``kiosk capture`` prints; ``sentences`` (a language pack's prompts) adds each hint's text."""
        return {
            "document_kind": self.document_kind,
            "verdict": self.verdict.to_dict(sentences),
            "corners": self.detection.to_dict()["corners"],
            "confidence": round(self.detection.confidence, 3),
            "detector": self.detection.method,
            "cut_off": self.detection.cut_off,
            "warning": self.warning,
            "review": self.review,
            "encoded": self.encoded.to_dict(),
        }


def capture_document(image: np.ndarray, document_kind: str, verdict: Verdict | None = None) -> Capture:
    """Run detection, quality, warp and encoding on one frame (the full-resolution one when capturing)."""
    fam = family(document_kind)
    detection = (
        verdict.detection
        if verdict is not None and verdict.detection is not None
        else find_document(image, document_kind)
    )
    if verdict is None:
        verdict = assess(image, document_kind, detection)
    review = "no_outline" if detection.corners is None else "low_confidence" if detection.unsure else None
    if review is None:
        flat = warp(image, detection, document_kind)
        return Capture(document_kind, verdict, detection, flat.warning, encode_document(flat.image, fam))
    return Capture(document_kind, verdict, detection, *_whole_frame(image, review), review=review)


def _whole_frame(image: np.ndarray, review: str) -> tuple[str, Encoded]:
    """The whole frame, grey, legible at a higher standard, flagged for the clerk."""
    h, w = image.shape[:2]
    if max(h, w) > REVIEW_MAX_SIDE:
        k = REVIEW_MAX_SIDE / max(h, w)
        image = cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    encoded = encode_document(
        image, "frame", min_text_ssim=REVIEW_TEXT_SSIM, quality_floor=REVIEW_QUALITY_FLOOR
    )
    encoded = replace(encoded, data=add_review(encoded.data, review))
    what = "no document outline found" if review == "no_outline" else "the document's outline is uncertain"
    warning = f"{what}; the whole picture is kept and flagged for the clerk"
    log.info("capture: %s (%d bytes)", warning, encoded.size)
    return warning, encoded
