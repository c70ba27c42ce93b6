"""Find a card or page outline in a photo (``find_document``); :mod:`kiosk.vision.flatten` warps it flat.

Proposals, stage 1: contours of a Canny edge map (thresholds from the median brightness); Otsu regions of the
grey image (both polarities) and of the saturation channel, plus every tinted pixel when the table is
colourless (a pale-blue KTP on a white table). Stage 2, only for a bright scene where stage 1 found nothing:
contours of a fine Canny map (low fixed thresholds), which must also be straight.

Each contour becomes its convex hull simplified by ``approxPolyDP``; a convex quadrilateral covering 4 to 98 %
of the frame, with opposite sides within ``MAX_PERSPECTIVE`` of each other and (given the kind) the kind's
proportions, is a candidate. Region outlines must be one consistent brightness step along most of their length
(Otsu also cuts a table lit from one side in two, where nothing is). The largest candidate wins; its corners
are refined to a fraction of a pixel (:mod:`kiosk.vision.outline`) and ordered clockwise from the top-left.

An outline running into the frame border is reported as cut off, and so is a winner lying inside a larger
region that runs into the border (the photo box of a card pushed half out of view).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.vision.outline import (
    BORDER_PX,
    STRAIGHT_MIN,
    band_extension,
    edge_support,
    refine_on_contour,
    refine_on_steps,
    side_contrast,
    step_support,
    straightness,
)

log = logging.getLogger(__name__)

ID1_RATIO = 85.6 / 54.0
"""Width / height of an ID-1 card (KTP, driving licence, bank card)."""
A4_RATIO = 297.0 / 210.0
"""Long side / short side of an A4 page."""

DOCUMENT_KINDS: dict[str, tuple[float, int]] = {
    "ktp": (ID1_RATIO, 856),
    "card": (ID1_RATIO, 856),
    "kk": (A4_RATIO, 1754),
    "letter": (A4_RATIO, 1754),
}
"""Document kind -> (long/short side ratio, largest long side of the warp in pixels: 10 px/mm card, 150 dpi
A4)."""

MIN_AREA = 0.04
"""Smallest outline, as a fraction of the frame, that counts as a document."""
MAX_AREA = 0.9
"""Largest: anything bigger is the frame itself."""
MAX_PERSPECTIVE = 1.6
"""Largest ratio of two opposite sides of an outline."""


@dataclass(frozen=True)
class Detection:
    """Where the document is in one frame."""

    corners: tuple[tuple[float, float], ...] | None
    """Four corners in pixels, clockwise from top-left; None when no outline was found."""
    area_fraction: float
    """Area of the outline over the frame area (0 when none was found)."""
    cut_off: bool
    """The outline touches the frame border: part of the document is outside the picture."""
    method: str
    """Which proposal won: ``edges``, ``regions``, ``fine-edges``, or ``none``."""
    confidence: float = 0.0
    """How sure the detector is of the outline, 0-1. Below ``CONFIDENCE_MIN`` the outline is not trusted: the
    capture keeps the whole frame and flags the photo for the clerk."""

    @property
    def unsure(self) -> bool:
        """An outline was found but the detector is not sure of it."""
        return self.corners is not None and self.confidence < CONFIDENCE_MIN

    def corners_array(self) -> np.ndarray | None:
        return None if self.corners is None else np.array(self.corners, np.float32)

    def to_dict(self) -> dict[str, object]:
        return {
            "corners": None
            if self.corners is None
            else [[round(x, 1), round(y, 1)] for x, y in self.corners],
            "area_fraction": round(self.area_fraction, 4),
            "cut_off": self.cut_off,
            "method": self.method,
            "confidence": round(self.confidence, 3),
            "unsure": self.unsure,
        }


def to_gray(image: np.ndarray) -> np.ndarray:
    """BGR or grey uint8 -> grey uint8."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points ordered clockwise on screen (y grows downwards), starting at the top-left one."""
    pts = np.asarray(points, np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # ascending angle with y down = clockwise on screen
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)


def _plausible(quad: np.ndarray, frame_area: float) -> bool:
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.int32)):
        return False
    area = cv2.contourArea(quad)
    if not MIN_AREA * frame_area <= area <= MAX_AREA * frame_area:
        return False
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    if sides.min() < 0.15 * sides.max():
        return False
    # opposite sides of a photographed rectangle differ by perspective, and not by much at arm's length
    return bool(max(sides[0], sides[2]) / min(sides[0], sides[2]) < MAX_PERSPECTIVE) and bool(
        max(sides[1], sides[3]) / min(sides[1], sides[3]) < MAX_PERSPECTIVE
    )


def _quad_of(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.045):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    return None


class _EdgeMaps:
    """Dilated Canny edge maps of one frame: ``normal`` with thresholds from the median brightness, and
    ``fine`` (low fixed thresholds, made only when asked for) for a pale document on a pale table, where the
    median-based thresholds are far too high."""

    def __init__(self, blurred: np.ndarray) -> None:
        self.blurred = blurred
        hist = cv2.calcHist([blurred], [0], None, [256], [0, 256]).ravel()
        self.median = median = float(np.searchsorted(np.cumsum(hist), hist.sum() / 2))
        self.low, self.high = int(max(10, 0.66 * median)), int(min(255, max(40, 1.33 * median)))
        self.kernel = np.ones((3, 3), np.uint8)
        self.normal = cv2.dilate(cv2.Canny(blurred, self.low, self.high), self.kernel)
        self._fine: np.ndarray | None = None
        self._wide: np.ndarray | None = None
        self._wide_fine: np.ndarray | None = None

    @property
    def has_fine(self) -> bool:
        """Only bright scenes (a pale table) get the fine map: on darker, textured ones it marks noise."""
        return self.median > BRIGHT_SCENE

    @property
    def fine(self) -> np.ndarray:
        if self._fine is None:
            self._fine = cv2.dilate(cv2.Canny(self.blurred, *FINE_CANNY), self.kernel)
        return self._fine

    def support(self, points: np.ndarray) -> float:
        """Edge support of an outline (within 2 px: a region's outline lies a pixel or two off the edge) on
        the normal map, else on the fine one."""
        if self._wide is None:
            self._wide = cv2.dilate(self.normal, self.kernel)
        score = edge_support(points, self._wide)
        if score < EDGE_SUPPORT_MIN and self.has_fine:
            if self._wide_fine is None:
                self._wide_fine = cv2.dilate(self.fine, self.kernel)
            score = max(score, edge_support(points, self._wide_fine))
        return score


FINE_CANNY = (12, 36)
"""Canny thresholds of the fine edge map."""
STEP_SUPPORT_MIN = 0.7
"""Share of a region outline (off the frame border) that must be one consistent brightness step."""
BRIGHT_SCENE = 160
"""Median grey above which the scene is bright enough (a pale table) to need the fine edge map."""
EDGE_SUPPORT_MIN = 0.5
"""Share of an outline (off the frame border) that must lie on image edges."""


TINT_MIN = 25
"""Saturation (0-255) above which a pixel is tinted; a frame with 30 % of its pixels below it has a colourless
table in view."""


def _regions(channel: np.ndarray, fixed: int | None = None) -> list[np.ndarray]:
    """External contours of both sides of an Otsu split of ``channel`` (or a split at ``fixed``)."""
    if fixed is None:
        _, mask = cv2.threshold(channel, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    else:
        _, mask = cv2.threshold(channel, fixed, 255, cv2.THRESH_BINARY)
    kernel = np.ones((5, 5), np.uint8)
    out: list[np.ndarray] = []
    for m in (mask, 255 - mask):
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel)
        contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        out += list(contours)
    return out


def _candidates(image: np.ndarray, maps: _EdgeMaps, stage: int) -> list[tuple[str, np.ndarray]]:
    """Stage 1: normal edges, grey regions, saturation regions. Stage 2 (only when stage 1 found nothing): the
    fine edge map, which on textured tables proposes many wrong outlines and costs time."""
    out: list[tuple[str, np.ndarray]] = []
    if stage == 2:
        if maps.has_fine:
            contours, _ = cv2.findContours(maps.fine, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
            out += [("fine-edges", c) for c in contours]
        return out
    contours, _ = cv2.findContours(maps.normal, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    out += [("edges", c) for c in contours]
    out += [("regions", c) for c in _regions(maps.blurred)]
    if image.ndim == 3:
        # a tinted card (the KTP is pale blue) on a colourless table separates by saturation, not brightness
        sat = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2HSV)[..., 1], (5, 5), 0)
        if float(cv2.meanStdDev(sat)[1][0, 0]) > 4:
            out += [("regions", c) for c in _regions(sat)]
            hist = cv2.calcHist([sat], [0], None, [256], [0, 256]).ravel()
            if np.searchsorted(np.cumsum(hist), hist.sum() * 0.3) < TINT_MIN:
                # colourless table: everything tinted (a pale card with its red photo box) is one region
                out += [("regions", c) for c in _regions(sat, fixed=TINT_MIN)]
    return out


SIDE_CONTRAST_MIN = 0.5
"""Share of each side of an outline along which the colour inside differs from the colour outside."""


def _lab(image: np.ndarray) -> np.ndarray:
    """The frame in OpenCV's 8-bit Lab, blurred, as float32 (grey frames: lightness only)."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(cv2.GaussianBlur(image, (5, 5), 0), cv2.COLOR_BGR2Lab).astype(np.float32)


def _ratio_error(quad: np.ndarray, document_kind: str) -> float:
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    a, b = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    return float(abs(max(a, b) / max(1e-6, min(a, b)) / DOCUMENT_KINDS[document_kind][0] - 1))


def _extend_bands(lab: np.ndarray, quad: np.ndarray, document_kind: str | None) -> np.ndarray:
    """Move a side that lies on the inner edge of a band printed to the document's edge (a dark header band)
    out onto the band's outer edge, when the larger outline has the kind's proportions at least as well."""
    if document_kind is None:
        return quad
    page = DOCUMENT_KINDS[document_kind][0] < 1.5
    for side in range(4):
        d = band_extension(lab, quad, side, max_frac=0.12 if page else 0.3)
        if d <= 0:
            continue
        a, b = quad[side], quad[(side + 1) % 4]
        ab = b - a
        outward = -np.array([-ab[1], ab[0]], np.float32) / max(1e-6, float(np.linalg.norm(ab)))
        # the neighbouring sides carry the moved side's corners outwards along themselves
        moved = quad.copy()
        for i, j in ((side, side - 1), ((side + 1) % 4, (side + 2) % 4)):
            along = quad[i] - quad[j]
            cos = float(along @ outward) / max(1e-6, float(np.linalg.norm(along)))
            if cos < 0.3:
                break
            moved[i] = quad[i] + along / float(np.linalg.norm(along)) * d / cos
        else:
            old, new = _ratio_error(quad, document_kind), _ratio_error(moved, document_kind)
            if new <= RATIO_TOLERANCE and new <= old + (0.03 if page else -0.02):
                quad = moved
    return quad


def _ratio_fits(quad: np.ndarray, document_kind: str | None) -> bool:
    """The outline's long/short side ratio is within ``RATIO_TOLERANCE`` of the document kind's (any kind when
    ``document_kind`` is None). Rejects the photo box of a card or a signature box printed on a page."""
    if document_kind is None:
        return True
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    a, b = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    ratio = max(a, b) / max(1e-6, min(a, b))
    expected = DOCUMENT_KINDS[document_kind][0]
    return bool(abs(ratio / expected - 1) <= RATIO_TOLERANCE)


RATIO_TOLERANCE = 0.15
"""How far perspective may stretch the side ratio of a photographed document."""


DETECT_MAX_SIDE = 1280
"""Larger images (a phone photo given to ``kiosk capture``) are searched on a copy this big; the corners found
are then refined on the full image."""


CONFIDENCE_MIN = 0.5
"""Detections less sure than this are not trusted (``Detection.unsure``)."""


def find_document(image: np.ndarray, document_kind: str | None = None) -> Detection:
    """The document's outline in ``image`` (BGR or grey); with ``document_kind`` (ktp, card, kk, letter) only
    outlines of that kind's proportions count."""
    if document_kind is not None and document_kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {document_kind!r}; use one of {', '.join(DOCUMENT_KINDS)}")
    find = _find
    h, w = image.shape[:2]
    scale = DETECT_MAX_SIDE / max(h, w)
    if scale >= 1:
        return find(image, document_kind)
    small = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    found = find(small, document_kind)
    if found.corners is None:
        return found
    # corners back to full size (pixel centres: x_full + 0.5 = (x_small + 0.5) / scale), then onto the edges
    rough = (found.corners_array() + 0.5) / scale - 0.5
    blurred = cv2.GaussianBlur(to_gray(image), (5, 5), 0)
    corners = order_corners(refine_on_steps(rough, blurred, max_move=2.0 / scale))
    return Detection(
        tuple((float(x), float(y)) for x, y in corners),
        found.area_fraction,
        found.cut_off,
        found.method,
        found.confidence,
    )


def _find(image: np.ndarray, document_kind: str | None) -> Detection:
    gray = to_gray(image)
    h, w = gray.shape
    frame_area = float(w * h)
    best: tuple[float, str, np.ndarray, np.ndarray, float] | None = None
    largest_blob: tuple[float, bool, np.ndarray | None] = (0.0, False, None)
    maps = _EdgeMaps(cv2.GaussianBlur(gray, (5, 5), 0))
    lab = _lab(image)
    for stage in (1, 2):
        for method, contour in _candidates(image, maps, stage):
            area = cv2.contourArea(contour)
            if area < MIN_AREA * frame_area:
                continue
            x, y, bw, bh = cv2.boundingRect(contour)
            sides = (x <= 1) + (y <= 1) + (x + bw >= w - 1) + (y + bh >= h - 1)
            # a document pushed out of view touches one or two sides; a lit half of the table three or four
            touches = 1 <= sides <= 2
            if (
                method == "regions"
                and largest_blob[0] < area < 0.6 * frame_area
                and touches
                and maps.support(contour.reshape(-1, 2)[::4]) >= EDGE_SUPPORT_MIN
            ):
                largest_blob = (area, touches, contour)
            quad = _quad_of(contour)
            if quad is None or not _plausible(quad, frame_area) or not _ratio_fits(quad, document_kind):
                continue
            if method != "edges":
                # sides first put on the contour: approxPolyDP puts a rounded corner's vertex on the arc, so
                # a side lies several pixels inside the card's edge, out of reach of the step test
                quad = refine_on_contour(order_corners(quad), contour)
                if step_support(maps.blurred, quad) < STEP_SUPPORT_MIN:
                    continue
            if method == "fine-edges" and straightness(quad, contour) < STRAIGHT_MIN:
                continue
            contrast = side_contrast(lab, order_corners(quad))
            if float(contrast.min()) < SIDE_CONTRAST_MIN:
                continue  # clutter lines, a crease or a tablecloth's check: the same on both sides
            qarea = cv2.contourArea(quad)
            score = qarea * (0.5 + float(contrast.mean()))
            if best is None or score > best[0] * 1.02:
                best = (score, method, quad, contour, float(contrast.min()))
        if best is not None:
            break
    if best is None:
        # no four-sided outline; a big blob running into the border is a document pushed half out of view
        cut = largest_blob[1] and largest_blob[0] > 0.1 * frame_area
        return Detection(None, largest_blob[0] / frame_area if cut else 0.0, cut, "none")
    _, method, quad, contour, contrast_min = best
    # 0.5 where the learned detector's calibration put the weakest side's contrast (learned.confidence_of)
    confidence = float(np.clip((contrast_min - 0.85) / 0.2, 0, 1))
    qarea = cv2.contourArea(quad)
    blob_area, _, blob = largest_blob
    if blob is not None and blob_area > 1.5 * qarea:
        centre = quad.mean(axis=0)
        if cv2.pointPolygonTest(blob, (float(centre[0]), float(centre[1])), False) >= 0:
            # the quad is a box printed on a document that itself runs out of the picture (the photo on a
            # card)
            return Detection(None, blob_area / frame_area, True, "none")
    corners = order_corners(refine_on_steps(refine_on_contour(order_corners(quad), contour), maps.blurred))
    corners = order_corners(refine_on_steps(_extend_bands(lab, corners, document_kind), maps.blurred))
    cut_off = bool(
        np.any(corners[:, 0] < BORDER_PX)
        or np.any(corners[:, 1] < BORDER_PX)
        or np.any(corners[:, 0] > w - 1 - BORDER_PX)
        or np.any(corners[:, 1] > h - 1 - BORDER_PX)
    )
    return Detection(
        tuple((float(x), float(y)) for x, y in corners),
        float(qarea / frame_area),
        cut_off,
        method,
        confidence,
    )
