"""Find a card or page outline in a photo and warp it flat.

Two ways of proposing outlines run on every frame, because neither alone copes with every surface:

- *edges*: Canny with thresholds from the median brightness, closed with a small dilation, every contour;
- *regions*: Otsu threshold of the blurred grey image (document lighter than the table, and the inverse),
  external contours only.

Each contour is reduced to its convex hull and simplified with ``approxPolyDP``; a convex quadrilateral
covering 4 to 98 % of the frame, with sides of plausible proportion, is a candidate; the largest wins. Its
corners are refined by fitting a line to the contour points along each side and intersecting neighbouring
lines, which brings them within a pixel or two of the true corners. Corners are ordered clockwise from the
top-left.

A document whose outline runs into the frame border is reported as cut off. When no outline is found the whole
frame is used, with a warning, so a citizen can still go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger(__name__)

ID1_RATIO = 85.6 / 54.0
"""Width / height of an ID-1 card (KTP, driving licence, bank card)."""
A4_RATIO = 297.0 / 210.0
"""Long side / short side of an A4 page."""

DOC_KINDS: dict[str, tuple[float, int]] = {
    "ktp": (ID1_RATIO, 856),
    "card": (ID1_RATIO, 856),
    "kk": (A4_RATIO, 1754),
    "letter": (A4_RATIO, 1754),
}
"""Document kind -> (long/short side ratio, largest long side of the warp in pixels: 10 px/mm card, 150 dpi
A4)."""

MIN_AREA = 0.04
"""Smallest outline, as a fraction of the frame, that counts as a document."""
MAX_AREA = 0.98
"""Largest: anything bigger is the frame itself."""
MAX_PERSPECTIVE = 1.6
"""Largest ratio of two opposite sides of an outline."""
BORDER_PX = 3.0
"""A corner this close to the frame border means the document runs out of the picture."""


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
    """Which proposal won: ``edges``, ``regions`` or ``none``."""

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
        }


@dataclass(frozen=True)
class Warped:
    """The flattened document and how it was obtained."""

    image: np.ndarray
    corners: tuple[tuple[float, float], ...]
    """The corners used (the whole frame when the outline was not found)."""
    warning: str | None
    """Set when the whole frame was used instead of an outline."""


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


def _refine(quad: np.ndarray, contour: np.ndarray) -> np.ndarray:
    """Fit a line to the contour points along each side and intersect neighbours; keep the rough corner on
    failure."""
    pts = contour.reshape(-1, 2).astype(np.float32)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        ab = b - a
        length = float(np.linalg.norm(ab))
        if length < 1:
            return quad
        t = ((pts - a) @ ab) / (length * length)
        rel = pts - a
        dist = np.abs(ab[0] * rel[:, 1] - ab[1] * rel[:, 0]) / length
        near = pts[(t > 0.1) & (t < 0.9) & (dist < max(3.0, 0.02 * length))]
        if len(near) < 8:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    refined = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        m = np.array([d1, -d2]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return quad
        s = np.linalg.solve(m, p2 - p1)
        corner = p1 + s[0] * d1
        if np.linalg.norm(corner - quad[i]) > max(10.0, 0.06 * float(np.linalg.norm(quad[i] - quad[i - 1]))):
            return quad
        refined.append(corner)
    return np.array(refined, np.float32)


def _edge_support(points: np.ndarray, edges: np.ndarray) -> float:
    """Share of outline points, away from the frame border, that lie on an edge. The region proposal also
    finds boundaries where nothing is (Otsu splitting a table lit from one side); a real document has an edge
    all round."""
    h, w = edges.shape
    pts = np.round(points).astype(int)
    inside = (
        (pts[:, 0] > BORDER_PX)
        & (pts[:, 0] < w - 1 - BORDER_PX)
        & (pts[:, 1] > BORDER_PX)
        & (pts[:, 1] < h - 1 - BORDER_PX)
    )
    pts = pts[inside]
    if len(pts) < 20:
        return 0.0
    return float((edges[pts[:, 1], pts[:, 0]] > 0).mean())


def _step_support(
    gray: np.ndarray, quad: np.ndarray, n: int = 40, reach: int = 3, min_step: float = 4.0
) -> float:
    """Share of points along the quad's sides (off the frame border) where the brightness steps across the
    side, by at least ``min_step`` grey levels per pixel, in the same direction as along most of the outline.
    A document border is one consistent step (card lighter than the table, or darker); text that an outline
    merely crosses steps both ways, and the boundary Otsu draws across a smoothly lit table does not step at
    all."""
    h, w = gray.shape
    t = np.linspace(0.1, 0.9, n, dtype=np.float32)[:, None]
    offsets = np.arange(-reach, reach + 1, dtype=np.float32)
    signs: list[np.ndarray] = []
    total = 0
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        ab = b - a
        length = float(np.linalg.norm(ab))
        if length < 1:
            continue
        normal = np.array([-ab[1], ab[0]], np.float32) / length
        base = a + t * ab
        keep = (
            (base[:, 0] > BORDER_PX)
            & (base[:, 0] < w - 1 - BORDER_PX)
            & (base[:, 1] > BORDER_PX)
            & (base[:, 1] < h - 1 - BORDER_PX)
        )
        base = base[keep]
        if not len(base):
            continue
        total += len(base)
        samples = base[:, None, :] + offsets[None, :, None] * normal
        profile = cv2.remap(
            gray,
            samples[..., 0].copy(),
            samples[..., 1].copy(),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        ).astype(np.float32)
        deriv = np.diff(profile, axis=1)
        peak = deriv[np.arange(len(deriv)), np.argmax(np.abs(deriv), axis=1)]
        signs.append(np.where(np.abs(peak) >= min_step, np.sign(peak), 0))
    if total < 20:
        return 0.0
    allsigns = np.concatenate(signs)
    return float(max((allsigns > 0).sum(), (allsigns < 0).sum()) / total)


def _sample_outline(quad: np.ndarray, n: int = 40) -> np.ndarray:
    t = np.linspace(0.05, 0.95, n)[:, None]
    return np.concatenate([quad[i] + t * (quad[(i + 1) % 4] - quad[i]) for i in range(4)])


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
        score = _edge_support(points, self._wide)
        if score < EDGE_SUPPORT_MIN and self.has_fine:
            if self._wide_fine is None:
                self._wide_fine = cv2.dilate(self.fine, self.kernel)
            score = max(score, _edge_support(points, self._wide_fine))
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


def _edge_points(
    gray: np.ndarray, a: np.ndarray, b: np.ndarray, reach: float = 4.0, n: int = 40
) -> np.ndarray:
    """Sub-pixel edge positions along the side a-b: on profiles across the side, the strongest brightness step
    within ``reach`` pixels, located by a parabola through the derivative's peak."""
    ab = b - a
    length = float(np.linalg.norm(ab))
    normal = np.array([-ab[1], ab[0]], np.float32) / max(length, 1e-6)
    t = np.linspace(0.1, 0.9, n, dtype=np.float32)[:, None]
    offsets = np.arange(-reach, reach + 0.5, 0.5, dtype=np.float32)
    base = a + t * ab  # (n, 2)
    samples = base[:, None, :] + offsets[None, :, None] * normal  # (n, k, 2)
    map_x = samples[..., 0].astype(np.float32)
    map_y = samples[..., 1].astype(np.float32)
    profile = cv2.remap(gray, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(
        np.float32
    )
    deriv = np.abs(np.diff(profile, axis=1))
    idx = np.argmax(deriv, axis=1)
    rows = np.arange(len(idx))
    inner = (idx > 0) & (idx < deriv.shape[1] - 1)
    y0, y1, y2 = (
        deriv[rows, np.maximum(idx - 1, 0)],
        deriv[rows, idx],
        deriv[rows, np.minimum(idx + 1, deriv.shape[1] - 1)],
    )
    denom = y0 - 2 * y1 + y2
    frac = np.where(inner & (np.abs(denom) > 1e-6), 0.5 * (y0 - y2) / np.where(denom == 0, 1, denom), 0.0)
    pos = offsets[0] + (idx + 0.5 + frac) * 0.5  # derivative sample i sits between offsets i and i+1
    strong = y1 >= max(3.0, 0.5 * float(np.median(y1)))
    return (base + pos[:, None] * normal)[strong]


def _refine_edges(quad: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """Move each side onto the brightness step it lies on (sub-pixel) and intersect neighbouring sides; keep
    the corner as it was when a side has too few strong edge points or a corner would move more than 3 px."""
    lines = []
    for i in range(4):
        pts = _edge_points(gray, quad[i], quad[(i + 1) % 4])
        if len(pts) < 10:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    refined = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        m = np.array([d1, -d2]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return quad
        s = np.linalg.solve(m, p2 - p1)
        corner = p1 + s[0] * d1
        if np.linalg.norm(corner - quad[i]) > 3:
            return quad
        refined.append(corner)
    return np.array(refined, np.float32)


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


def _straightness(quad: np.ndarray, contour: np.ndarray) -> float:
    """Share of the contour's points within 3 px of the quad's sides: a page edge is straight, the ragged
    outline of a block of text is not."""
    pts = contour.reshape(-1, 2).astype(np.float32)[::2]
    best = np.full(len(pts), np.inf, np.float32)
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        ab = b - a
        t = np.clip(((pts - a) @ ab) / max(1e-6, float(ab @ ab)), 0, 1)
        d = np.linalg.norm(pts - (a + t[:, None] * ab), axis=1)
        best = np.minimum(best, d)
    return float((best <= 3.0).mean())


STRAIGHT_MIN = 0.85
"""Share of an outline from the fine edge map that must lie on the quad's sides."""


def _ratio_fits(quad: np.ndarray, doc: str | None) -> bool:
    """The outline's long/short side ratio is within ``RATIO_TOLERANCE`` of the document kind's (any kind when
    ``doc`` is None). Rejects the photo box of a card or a signature box printed on a page."""
    if doc is None:
        return True
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    a, b = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    ratio = max(a, b) / max(1e-6, min(a, b))
    expected = DOC_KINDS[doc][0]
    return bool(abs(ratio / expected - 1) <= RATIO_TOLERANCE)


RATIO_TOLERANCE = 0.15
"""How far perspective may stretch the side ratio of a photographed document."""


def find_document(image: np.ndarray, doc: str | None = None) -> Detection:
    """The largest plausible document outline in ``image`` (BGR or grey); with ``doc`` (ktp, kk, letter) only
    outlines of that kind's proportions count."""
    if doc is not None and doc not in DOC_KINDS:
        raise ValueError(f"unknown document kind {doc!r}; use one of {', '.join(DOC_KINDS)}")
    gray = to_gray(image)
    h, w = gray.shape
    frame_area = float(w * h)
    best: tuple[float, str, np.ndarray, np.ndarray] | None = None
    largest_blob: tuple[float, bool, np.ndarray | None] = (0.0, False, None)
    maps = _EdgeMaps(cv2.GaussianBlur(gray, (5, 5), 0))
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
            if quad is None or not _plausible(quad, frame_area) or not _ratio_fits(quad, doc):
                continue
            if method != "edges":
                # sides first put on the contour: approxPolyDP puts a rounded corner's vertex on the arc, so
                # a side lies several pixels inside the card's edge, out of reach of the step test
                quad = _refine(order_corners(quad), contour)
                if _step_support(maps.blurred, quad) < STEP_SUPPORT_MIN:
                    continue
            if method == "fine-edges" and _straightness(quad, contour) < STRAIGHT_MIN:
                continue
            qarea = cv2.contourArea(quad)
            if best is None or qarea > best[0] * 1.02:
                best = (qarea, method, quad, contour)
        if best is not None:
            break
    if best is None:
        # no four-sided outline; a big blob running into the border is a document pushed half out of view
        cut = largest_blob[1] and largest_blob[0] > 0.1 * frame_area
        return Detection(None, largest_blob[0] / frame_area if cut else 0.0, cut, "none")
    qarea, method, quad, contour = best
    blob_area, _, blob = largest_blob
    if blob is not None and blob_area > 1.5 * qarea:
        centre = quad.mean(axis=0)
        if cv2.pointPolygonTest(blob, (float(centre[0]), float(centre[1])), False) >= 0:
            # the quad is a box printed on a document that itself runs out of the picture (the photo on a
            # card)
            return Detection(None, blob_area / frame_area, True, "none")
    corners = order_corners(_refine_edges(_refine(order_corners(quad), contour), maps.blurred))
    cut_off = bool(
        np.any(corners[:, 0] < BORDER_PX)
        or np.any(corners[:, 1] < BORDER_PX)
        or np.any(corners[:, 0] > w - 1 - BORDER_PX)
        or np.any(corners[:, 1] > h - 1 - BORDER_PX)
    )
    return Detection(
        tuple((float(x), float(y)) for x, y in corners), float(qarea / frame_area), cut_off, method
    )


def output_size(corners: np.ndarray, doc: str) -> tuple[int, int]:
    """(width, height) of the warp: the document's ratio, its orientation as photographed, no upsampling past
    the resolution the camera actually saw, capped at the kind's nominal size."""
    if doc not in DOC_KINDS:
        raise ValueError(f"unknown document kind {doc!r}; use one of {', '.join(DOC_KINDS)}")
    ratio, long_max = DOC_KINDS[doc]
    c = corners
    width = max(np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[2] - c[3]))
    height = max(np.linalg.norm(c[3] - c[0]), np.linalg.norm(c[2] - c[1]))
    landscape = width >= height
    long_side = min(long_max, int(round(max(width, height, 64))))
    short_side = int(round(long_side / ratio))
    return (long_side, short_side) if landscape else (short_side, long_side)


def warp(image: np.ndarray, detection: Detection, doc: str) -> Warped:
    """Flatten the document; the whole frame (with a warning) when no outline was found."""
    h, w = image.shape[:2]
    warning = None
    corners = detection.corners_array()
    if corners is None:
        corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
        warning = "no document outline found; the whole picture is used"
        log.info("warp: %s", warning)
    size = output_size(corners, doc)
    dst = np.array([[0, 0], [size[0] - 1, 0], [size[0] - 1, size[1] - 1], [0, size[1] - 1]], np.float32)
    m = cv2.getPerspectiveTransform(corners, dst)
    flat = cv2.warpPerspective(image, m, size, flags=cv2.INTER_AREA)
    if doc == "ktp" and warning is None:
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
