"""The learned detector that was trained and measured against the classical one (issue 37) and not shipped:
docs/vision.md has the comparison on the held-out families. Tooling only; the kiosk uses
``kiosk.vision.detect.find_document``.

Document detection led by the mask model (outline_model.py): the network says roughly where the document
is, the classical proposals (detect.py) and the mask's own quadrilateral say where its straight sides could be,
and the outline that best matches the mask wins; its sides are then put onto the frame's edges to a fraction of
a pixel (outline.py). The confidence says how well mask, outline, edges and proportions agree.

Why both: a mask of 80x64 cells is blind to a side's exact place, and edges alone are fooled by a dark header
band, a busy tablecloth or lines crossing the card. The mask picks, the edges place.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision.detect import (
    BORDER_PX,
    CONFIDENCE_MIN,
    SIDE_CONTRAST_MIN,
    STEP_SUPPORT_MIN,
    Detection,
    _candidates,
    _EdgeMaps,
    _extend_bands,
    _lab,
    _plausible,
    _quad_of,
    _ratio_error,
    _ratio_fits,
    order_corners,
    to_gray,
)
from kiosk.vision.outline import (
    corners_of,
    edge_points,
    refine_on_contour,
    refine_on_steps,
    side_contrast,
    step_support,
)
from tools.vision.outline_model import MASK_SIZE, MaskModel, quad_from_mask


def _no_outline(prob: np.ndarray) -> Detection:
    """No four-sided outline: a large mask region running into the border is a document pushed half out of
    view (cut off), anything else is no document."""
    mh, mw = prob.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats((prob >= 0.5).astype(np.uint8), connectivity=4)
    if count < 2:
        return Detection(None, 0.0, False, "none", 0.0)
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h, area = stats[best]
    touches = x <= 1 or y <= 1 or x + w >= mw - 1 or y + h >= mh - 1  # within a cell of the border
    fraction = float(area) / (mw * mh)
    if touches and fraction > 0.1:
        return Detection(None, fraction, True, "none", 0.0)
    return Detection(None, 0.0, False, "none", 0.0)


AGREE = 0.015
"""When the classical pick is within this share of the diagonal of the mask-led outline, its corners are used."""


def soft_iou(quad: np.ndarray, prob: np.ndarray, frame_size: tuple[int, int]) -> float:
    """Intersection over union of the quadrilateral (frame pixels) and the mask's probabilities."""
    mh, mw = prob.shape
    k = np.array([mw / frame_size[0], mh / frame_size[1]], np.float32)
    poly = np.zeros((mh * 4, mw * 4), np.uint8)
    pts = ((quad + 0.5) * k * 4 - 0.5) * 16
    cv2.fillConvexPoly(poly, np.round(pts).astype(np.int32), 255, cv2.LINE_AA, shift=4)
    inside = cv2.resize(poly, (mw, mh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    inter = float((inside * prob).sum())
    return inter / max(1e-6, float(inside.sum() + prob.sum()) - inter)


def find_with_mask(image: np.ndarray, document_kind: str | None, model: MaskModel) -> Detection:
    """``find_document`` led by the mask model."""
    return analyse(image, document_kind, model)[0]


def analyse(
    image: np.ndarray, document_kind: str | None, model: MaskModel
) -> tuple[Detection, dict[str, float]]:
    """The detection and the measures its confidence is made of (tools/vision calibrates on them)."""
    h, w = image.shape[:2]
    frame = (w, h)
    prob = model.mask(image)
    found = quad_from_mask(prob, frame)
    if found is None:
        return _no_outline(prob), {}
    gray = to_gray(image)
    maps = _EdgeMaps(cv2.GaussianBlur(gray, (5, 5), 0))
    lab = _lab(image)
    cell = w / MASK_SIZE[0]
    mask_quad = order_corners(found.corners)
    mask_quad = order_corners(refine_sides(mask_quad, maps.blurred, reach=3 * cell, prior=1.5 * cell))
    candidates: list[tuple[float, str, np.ndarray]] = [(soft_iou(mask_quad, prob, frame), "mask", mask_quad)]
    frame_area = float(w * h)
    classical: tuple[float, np.ndarray] | None = None  # what the classical pipeline alone would pick
    for method, contour in _candidates(image, maps, 1):
        if cv2.contourArea(contour) < 0.5 * cv2.contourArea(mask_quad):
            continue
        quad = _quad_of(contour)
        if quad is None or not _plausible(quad, frame_area) or not _ratio_fits(quad, document_kind):
            continue
        quad = order_corners(refine_on_contour(order_corners(quad), contour))
        candidates.append((soft_iou(quad, prob, frame), method, quad))
        if method != "edges" and step_support(maps.blurred, quad) < STEP_SUPPORT_MIN:
            continue  # as in detect._find: a region outline must be one brightness step
        contrast = side_contrast(lab, quad)
        if contrast.min() >= SIDE_CONTRAST_MIN:
            score = cv2.contourArea(quad) * (0.5 + float(contrast.mean()))
            if classical is None or score > classical[0]:
                classical = (score, quad)
    score, method, quad = max(candidates, key=lambda c: c[0])
    quad = order_corners(snap_quad(lab, quad, reach=2 * cell))
    quad = order_corners(_extend_bands(lab, quad, document_kind))
    quad = order_corners(refine_sides(quad, maps.blurred, reach=4.0))
    corners = order_corners(refine_on_steps(quad, maps.blurred, max_move=2.0))
    cut_off = found.touches_border or bool(
        np.any(corners < BORDER_PX)
        or np.any(corners[:, 0] > w - 1 - BORDER_PX)
        or np.any(corners[:, 1] > h - 1 - BORDER_PX)
    )
    diag = float(np.hypot(w, h))
    measures = {
        "iou": soft_iou(corners, prob, frame),
        "mask_iou": found.agreement,
        "decisiveness": found.decisiveness,
        "contrast": float(side_contrast(lab, corners).min()),
        "ratio_error": _ratio_error(corners, document_kind) if document_kind is not None else 0.0,
        "mask_shift": float(np.linalg.norm(corners - order_corners(found.corners), axis=1).max()) / diag,
        "classical_shift": 1.0
        if classical is None
        else float(np.linalg.norm(corners - order_corners(classical[1]), axis=1).max()) / diag,
    }
    confidence = confidence_of(measures)
    if classical is not None and measures["classical_shift"] <= AGREE:
        # the classical pick says the same, and its sides were fitted on the whole outline: take its corners
        corners = order_corners(refine_on_steps(order_corners(classical[1]), maps.blurred))
        corners = order_corners(refine_on_steps(corners, maps.blurred))
        measures["iou"] = soft_iou(corners, prob, frame)
        measures["contrast"] = float(side_contrast(lab, corners).min())
        confidence = confidence_of(measures)
    elif confidence < CONFIDENCE_MIN and classical is not None:
        # the mask's own outline is in doubt; the classical pick, if the mask backs it and every side of it
        # separates two colours, is taken instead
        alt = order_corners(refine_on_steps(order_corners(classical[1]), maps.blurred, max_move=2.0))
        alt_measures = {
            **measures,
            "iou": soft_iou(alt, prob, frame),
            "contrast": float(side_contrast(lab, alt).min()),
            "ratio_error": _ratio_error(alt, document_kind) if document_kind is not None else 0.0,
        }
        alt_confidence = confidence_of(alt_measures)
        if alt_confidence >= CONFIDENCE_MIN:
            corners, measures, confidence, method = alt, alt_measures, alt_confidence, "mask+classical"
    area = float(cv2.contourArea(corners)) / frame_area
    detection = Detection(tuple((float(x), float(y)) for x, y in corners), area, cut_off, method, confidence)
    return detection, measures


def confidence_of(m: dict[str, float]) -> float:
    """0-1, 0.5 at the edge of what was right on the tuning families: the outline's soft IoU with the mask at
    0.92, its weakest side's colour contrast (``side_contrast``) at 0.95, its proportions 10 % off the kind's.
    On 400 tuning scenes this cut left no wrong outline above 0.5 and 183 right ones (docs/vision.md)."""
    iou = (m["iou"] - 0.87) / 0.1
    contrast = (m["contrast"] - 0.85) / 0.2
    ratio = 1 - (m["ratio_error"] - 0.05) / 0.1
    return float(np.clip(min(iou, contrast, ratio), 0, 1))


def refine_sides(quad: np.ndarray, gray: np.ndarray, reach: float, prior: float = 0.0) -> np.ndarray:
    """Like ``refine_on_steps``, side by side: each side with enough strong edge points is moved onto them,
    the others stay where they are (a finger, a glare strip or a faint side does not hold the rest back); then
    neighbouring sides are intersected. Corners may move up to twice ``reach``."""
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        pts = edge_points(gray, a, b, reach=reach, prior=prior)
        if len(pts) >= 12:
            vx, vy, x0, y0 = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
            lines.append((np.array([x0, y0]), np.array([vx, vy])))
        else:
            d = (b - a) / max(1e-6, float(np.linalg.norm(b - a)))
            lines.append((a.astype(np.float64), d.astype(np.float64)))
    return corners_of(lines, quad, [2 * reach] * 4)


def snap_side(
    lab: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    reach: float,
    n: int = 32,
    min_delta: float = 12.0,
    min_run: float = 0.6,
    relative: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """Side a-b (clockwise on screen) moved onto the outermost straight colour edge within ``reach`` pixels:
    lines tilted by up to 3 degrees and shifted by up to ``reach`` are tried, and one is an edge when the colour
    (OpenCV 8-bit Lab, float32) changes by ``min_delta`` across it along ``min_run`` of its length. Of those at
    least ``relative`` as strong as the strongest, the outermost wins: a document's outer edge lies outside the
    lower edge of its header band and outside a frame printed on it. Unchanged when there is none."""
    ab = b - a
    length = float(np.linalg.norm(ab))
    if length < 8:
        return a, b
    mid = (a + b) / 2
    r = int(np.ceil(reach))
    offsets = np.arange(-r - 2, r + 3, dtype=np.float32)
    t = np.linspace(-0.42, 0.42, n, dtype=np.float32)[:, None]
    best: tuple[float, float, float] | None = None  # (offset, angle, strength)
    hits: list[tuple[float, float, float]] = []
    for deg in (-3, -2, -1, 0, 1, 2, 3):
        ang = np.deg2rad(deg)
        rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]], np.float32)
        d = rot @ (ab / length)
        outward = -np.array([-d[1], d[0]], np.float32)
        base = mid + t * d * length
        pts = base[:, None, :] + offsets[None, :, None] * outward
        prof = cv2.remap(
            lab, pts[..., 0].copy(), pts[..., 1].copy(), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        step = np.linalg.norm(prof[:, 4:] - prof[:, :-4], axis=2)  # across offsets k-2 .. k+2
        run = (step >= min_delta).mean(axis=0)
        strength = np.median(step, axis=0)
        for k in range(1, len(run) - 1):
            if run[k] >= min_run and strength[k] >= strength[k - 1] and strength[k] >= strength[k + 1]:
                hits.append((float(offsets[k + 2]), float(ang), float(strength[k])))
    if not hits:
        return a, b
    strongest = max(h[2] for h in hits)
    for hit in hits:
        if hit[2] >= relative * strongest and (best is None or hit[0] > best[0]):
            best = hit
    assert best is not None
    off, ang, _ = best
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]], np.float32)
    d = rot @ (ab / length)
    outward = -np.array([-d[1], d[0]], np.float32)
    centre = mid + off * outward
    return centre - d * length / 2, centre + d * length / 2


def snap_quad(lab: np.ndarray, quad: np.ndarray, reach: float) -> np.ndarray:
    """Every side of ``quad`` snapped (``snap_side``), neighbouring sides intersected."""
    lines = []
    for i in range(4):
        p, q = snap_side(lab, quad[i], quad[(i + 1) % 4], reach)
        d = (q - p) / max(1e-6, float(np.linalg.norm(q - p)))
        lines.append((p.astype(np.float64), d.astype(np.float64)))
    return corners_of(lines, quad, [4 * reach] * 4)
