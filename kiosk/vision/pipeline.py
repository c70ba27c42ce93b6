"""One still picture -> quality verdict, outline, flat document, compact bytes: what ``kiosk capture`` prints
and what the outbox attaches to a request (``Capture.attachment()``; the outbox seals and chunks it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kiosk.vision.detect import Detection, find_document
from kiosk.vision.encode import Encoded, encode_document
from kiosk.vision.flatten import warp
from kiosk.vision.quality import Verdict, assess, family


@dataclass(frozen=True)
class Attachment:
    """The bytes the outbox sends for one document photo, and what may be said of them (no personal data)."""

    data: bytes
    mime: str
    sha256: str
    document_kind: str
    width: int
    height: int

    def meta(self) -> dict[str, object]:
        return {
            "mime": self.mime,
            "sha256": self.sha256,
            "document_kind": self.document_kind,
            "width": self.width,
            "height": self.height,
            "bytes": len(self.data),
        }


@dataclass(frozen=True)
class Capture:
    """The result of capturing one document."""

    document_kind: str
    verdict: Verdict
    detection: Detection
    warning: str | None
    """Set when no outline was found and the whole picture was used."""
    encoded: Encoded

    def attachment(self) -> Attachment:
        e = self.encoded
        return Attachment(e.data, e.mime, e.sha256, self.document_kind, e.width, e.height)

    def to_dict(self, sentences: Mapping[str, str] | None = None) -> dict[str, object]:
        """What ``kiosk capture`` prints; ``sentences`` (a language pack's prompts) adds each hint's text."""
        return {
            "document_kind": self.document_kind,
            "verdict": self.verdict.to_dict(sentences),
            "corners": self.detection.to_dict()["corners"],
            "cut_off": self.detection.cut_off,
            "warning": self.warning,
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
    flat = warp(image, detection, document_kind)
    return Capture(document_kind, verdict, detection, flat.warning, encode_document(flat.image, fam))
