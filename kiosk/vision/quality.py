"""Per-frame quality guidance: is this frame good enough to capture, and if not, what should the citizen do?

Each problem has a hint: an id and an icon id (the UI draws the icons). What the citizen hears and reads is the
language pack's sentence for the hint's prompt key (``camera.<id>``, layanan/data/lang/*.toml): the sentences
live only there. Measures are taken on the document itself, flattened to a small fixed size, so the numbers
do not depend on how large the document appears (focus on a whole frame of wood grain says nothing about the
card):

- exposure: mean brightness and the share of clipped pixels of the document region;
- glare: saturated, colourless blobs on the document;
- size and framing: outline area over the frame, outline running into the frame border;
- focus: variance of the Laplacian of the flattened document (``FOCUS_MIN``);
- motion: mean absolute difference of two consecutive small grey frames (``MOTION_MAX``).

Thresholds were tuned on the generated scenes of tools/vision/synth.py (docs/vision.md has the figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.vision.detect import DOCUMENT_KINDS, Detection, find_document, to_gray
from layanan.domain.prompts import camera_hint_key


@dataclass(frozen=True)
class Hint:
    """One piece of guidance: a stable ``id`` and ``icon``; ``key`` names its sentence in the language packs."""

    id: str
    icon: str

    @property
    def key(self) -> str:
        return camera_hint_key(self.id)

    def to_dict(self, sentences: Mapping[str, str] | None = None) -> dict[str, str | None]:
        """Id, key and icon; with a language pack's ``sentences`` (its prompts), also the ``text`` it says."""
        out: dict[str, str | None] = {"id": self.id, "key": self.key, "icon": self.icon}
        if sentences is not None:
            out["text"] = sentences.get(self.key)
        return out


HINTS: dict[str, Hint] = {
    h.id: h
    for h in (
        Hint("too_dark", "hint_light"),
        Hint("too_bright", "hint_light"),
        Hint("no_document", "doc_photo"),
        Hint("cut_off", "hint_center"),
        Hint("too_small", "hint_closer"),
        Hint("glare", "hint_glare"),
        Hint("blurry", "hint_steady"),
        Hint("motion", "hint_steady"),
        Hint("ok", "hint_ok"),
    )
}
"""Hint id -> hint, in order of priority: the first problem found is the one spoken."""

DARK_MEAN = 70.0
"""Document region darker than this (mean grey 0-255) is too dark."""
BRIGHT_MEAN = 225.0
"""Brighter than this on average is over-exposed ..."""
CLIPPED_MAX = 0.30
"""... and so is a region with more than this share of clipped (>= 250) pixels."""
GLARE_BLOB = 0.004
"""A saturated colourless blob larger than this share of the document is glare."""
MIN_FILL = {"card": 0.25, "page": 0.22}
"""Document outline smaller than this share of the frame: move it closer. A card at 25 % of a 1280x720 frame
is about 600x380 px, 7 px/mm, so its 2 mm text is 14 px tall; an A4 page cannot fill more than about 40 % of a
landscape 16:9 frame, so 22 % is as much as can be asked of it."""
FOCUS_MIN = {"card": 120.0, "page": 140.0}
"""Variance of the Laplacian of the flattened document below which it is blurred."""
MOTION_MAX = 4.0
"""Mean absolute grey difference (0-255) between two consecutive small frames above which the camera or the
document is moving."""

ANALYSIS_LONG_SIDE = 428
"""Long side of the flattened document the measures are taken on."""
SMALL = (160, 120)
"""Size of the grey thumbnails compared for motion."""


def family(document_kind: str) -> str:
    """``card`` or ``page``."""
    if document_kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {document_kind!r}; use one of {', '.join(DOCUMENT_KINDS)}")
    return "card" if document_kind in ("ktp", "card") else "page"


@dataclass(frozen=True)
class Verdict:
    """The guidance for one frame."""

    ok: bool
    hints: tuple[str, ...]
    """Problems found, most important first; ``("ok",)`` when there are none."""
    measures: dict[str, float] = field(default_factory=dict)
    detection: Detection | None = None

    @property
    def hint(self) -> Hint:
        """The one hint to speak now."""
        return HINTS[self.hints[0]]

    def to_dict(self, sentences: Mapping[str, str] | None = None) -> dict[str, object]:
        return {
            "ok": self.ok,
            "hints": [HINTS[h].to_dict(sentences) for h in self.hints],
            "measures": {k: round(v, 3) for k, v in self.measures.items()},
        }


def small_gray(frame: np.ndarray) -> np.ndarray:
    """A blurred grey thumbnail for the motion measure."""
    return cv2.GaussianBlur(cv2.resize(to_gray(frame), SMALL, interpolation=cv2.INTER_AREA), (3, 3), 0)


def motion_score(previous_small: np.ndarray | None, current_small: np.ndarray) -> float:
    if previous_small is None:
        return 0.0
    return float(cv2.absdiff(previous_small, current_small).mean())


def document_region(frame: np.ndarray, detection: Detection) -> np.ndarray:
    """The document flattened to ``ANALYSIS_LONG_SIDE`` (the whole frame, resized, when none was found or the
    detector is not sure of it)."""
    h, w = frame.shape[:2]
    corners = None if detection.unsure else detection.corners_array()
    if corners is None:
        scale = ANALYSIS_LONG_SIDE / max(h, w)
        return cv2.resize(frame, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    c = corners
    width = max(np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[2] - c[3]))
    height = max(np.linalg.norm(c[3] - c[0]), np.linalg.norm(c[2] - c[1]))
    scale = ANALYSIS_LONG_SIDE / max(width, height)
    size = (max(8, int(width * scale)), max(8, int(height * scale)))
    dst = np.array([[0, 0], [size[0] - 1, 0], [size[0] - 1, size[1] - 1], [0, size[1] - 1]], np.float32)
    return cv2.warpPerspective(frame, cv2.getPerspectiveTransform(c, dst), size, flags=cv2.INTER_AREA)


def glare_fraction(region: np.ndarray) -> float:
    """Share of the region covered by the largest saturated, colourless blob."""
    if region.ndim == 2:
        bright = region >= 250
    else:
        hsv = cv2.cvtColor(region, cv2.COLOR_BGR2HSV)
        bright = (hsv[..., 2] >= 250) & (hsv[..., 1] <= 40)
    mask = bright.astype(np.uint8)
    if not mask.any():
        return 0.0
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0
    return largest / float(mask.size)


def assess(
    frame: np.ndarray,
    document_kind: str = "ktp",
    detection: Detection | None = None,
    previous_small: np.ndarray | None = None,
) -> Verdict:
    """Measure one frame and list what is wrong with it, most important first."""
    fam = family(document_kind)
    detection = detection if detection is not None else find_document(frame, document_kind)
    region = document_region(frame, detection)
    gray = to_gray(region)
    mean = float(gray.mean())
    clipped = float((gray >= 250).mean())
    glare = glare_fraction(region)
    focus = float(cv2.Laplacian(gray, cv2.CV_64F).var())
    motion = motion_score(previous_small, small_gray(frame)) if previous_small is not None else 0.0
    measures = {
        "brightness": mean,
        "clipped": clipped,
        "glare": glare,
        "focus": focus,
        "motion": motion,
        "fill": detection.area_fraction,
    }
    problems: list[str] = []
    if mean < DARK_MEAN:
        problems.append("too_dark")
    elif mean > BRIGHT_MEAN or clipped > CLIPPED_MAX:
        problems.append("too_bright")
    if detection.cut_off:
        problems.append("cut_off")
    elif detection.corners is None or detection.unsure:
        problems.append("no_document")  # an outline the detector is not sure of is not one to capture
    elif detection.area_fraction < MIN_FILL[fam]:
        problems.append("too_small")
    if "too_bright" not in problems and glare > GLARE_BLOB:
        problems.append("glare")
    if motion > MOTION_MAX:
        problems.append("motion")
    elif focus < FOCUS_MIN[fam] and "too_dark" not in problems:
        problems.append("blurry")
    order = list(HINTS)
    problems.sort(key=order.index)
    return Verdict(not problems, tuple(problems) or ("ok",), measures, detection)
