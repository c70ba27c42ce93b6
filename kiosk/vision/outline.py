"""Geometry of one proposed document outline: does it sit on a real edge, is it straight, and where exactly
are its corners.

Used by :mod:`kiosk.vision.detect`. Corners are refined twice: lines fitted to the contour points along each
side (``refine_on_contour``), then each side moved onto the strongest brightness step across it, to a fraction
of a pixel (``refine_on_steps``), and neighbouring sides intersected.
"""

from __future__ import annotations

import cv2
import numpy as np

BORDER_PX = 3.0
"""A point this close to the frame border is on the border (a document running out of the picture)."""


def refine_on_contour(quad: np.ndarray, contour: np.ndarray) -> np.ndarray:
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
    limits = [max(10.0, 0.06 * float(np.linalg.norm(quad[i] - quad[i - 1]))) for i in range(4)]
    return corners_of(lines, quad, limits)


def edge_support(points: np.ndarray, edges: np.ndarray) -> float:
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


def step_support(
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


def sample_outline(quad: np.ndarray, n: int = 40) -> np.ndarray:
    t = np.linspace(0.05, 0.95, n)[:, None]
    return np.concatenate([quad[i] + t * (quad[(i + 1) % 4] - quad[i]) for i in range(4)])


def edge_points(
    gray: np.ndarray, a: np.ndarray, b: np.ndarray, reach: float = 4.0, n: int = 40, prior: float = 0.0
) -> np.ndarray:
    """Sub-pixel edge positions along the side a-b: on profiles across the side, the strongest brightness step
    within ``reach`` pixels, located by a parabola through the derivative's peak. With ``prior`` (pixels), a
    step's strength is weighted by a Gaussian of that width around the side's current place: a side proposed
    by the mask model is near the edge, and a printed frame line or a text line a little further is not it."""
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
    if prior > 0:
        mids = (offsets[:-1] + offsets[1:]) / 2
        deriv = deriv * np.exp(-0.5 * (mids / prior) ** 2)[None, :]
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


def refine_on_steps(
    quad: np.ndarray, gray: np.ndarray, max_move: float = 3.0, prior: float = 0.0
) -> np.ndarray:
    """Move each side onto the brightness step it lies on (sub-pixel) and intersect neighbouring sides; keep
    the corners as they were when a side has too few strong edge points or a corner would move more than
    ``max_move`` pixels (the steps are looked for that far, at least 4 px, on either side)."""
    lines = []
    for i in range(4):
        pts = edge_points(gray, quad[i], quad[(i + 1) % 4], reach=max(4.0, max_move), prior=prior)
        if len(pts) < 10:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    return corners_of(lines, quad, [max_move] * 4)


def corners_of(
    lines: list[tuple[np.ndarray, np.ndarray]], quad: np.ndarray, limits: list[float]
) -> np.ndarray:
    """Intersect neighbouring side lines (point, direction) into corners; ``quad`` unchanged when two sides
    are parallel or a corner would move further than its limit."""
    refined = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        m = np.array([d1, -d2]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return quad
        s = np.linalg.solve(m, p2 - p1)
        corner = p1 + s[0] * d1
        if np.linalg.norm(corner - quad[i]) > limits[i]:
            return quad
        refined.append(corner)
    return np.array(refined, np.float32)


def straightness(quad: np.ndarray, contour: np.ndarray) -> float:
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


def side_contrast(
    lab: np.ndarray,
    quad: np.ndarray,
    n: int = 24,
    near: float = 2.0,
    far: float = 7.0,
    min_delta: float = 8.0,
) -> np.ndarray:
    """Per side of ``quad`` (clockwise on screen), the share of points along it (off the frame border) where the
    colour just inside differs from the colour just outside by at least ``min_delta`` (Euclidean, in OpenCV's
    8-bit Lab of the blurred frame ``lab``, float32). A document's side separates the document from the
    surface; a quad drawn by clutter lines, a crease or a tablecloth's check has the same thing on both sides
    of most of its length."""
    h, w = lab.shape[:2]
    t = np.linspace(0.1, 0.9, n, dtype=np.float32)[:, None]
    offsets = np.linspace(near, far, 3, dtype=np.float32)
    out = np.zeros(4, np.float32)
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        ab = b - a
        length = float(np.linalg.norm(ab))
        if length < 1:
            return np.zeros(4, np.float32)
        inward = np.array([-ab[1], ab[0]], np.float32) / length
        base = a + t * ab
        keep = (
            (base[:, 0] > far + BORDER_PX)
            & (base[:, 0] < w - 1 - far - BORDER_PX)
            & (base[:, 1] > far + BORDER_PX)
            & (base[:, 1] < h - 1 - far - BORDER_PX)
        )
        base = base[keep]
        if len(base) < 4:
            out[i] = 1.0  # a side along the frame border says nothing either way
            continue
        pts = np.concatenate(
            [base[:, None, :] + s * offsets[None, :, None] * inward for s in (1, -1)], axis=1
        )
        samples = cv2.remap(
            lab, pts[..., 0].copy(), pts[..., 1].copy(), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        inside = samples[:, : len(offsets)].mean(axis=1)
        outside = samples[:, len(offsets) :].mean(axis=1)
        out[i] = float((np.linalg.norm(inside - outside, axis=1) >= min_delta).mean())
    return out


def band_extension(
    lab: np.ndarray, quad: np.ndarray, side: int, max_frac: float = 0.3, n: int = 24, min_delta: float = 10.0
) -> float:
    """How far (pixels, 0 for not at all) side ``side`` of ``quad`` should move outwards because it lies on the
    lower edge of a band printed to the document's edge (a dark header band, a letterhead's colour strip): the
    strip just outside the side is one uniform colour along the whole side, and ends in a second straight step
    parallel to it. The caller decides whether the larger outline fits the document's proportions better."""
    h, w = lab.shape[:2]
    a, b = quad[side], quad[(side + 1) % 4]
    ab = b - a
    length = float(np.linalg.norm(ab))
    adjacent = float(np.linalg.norm(quad[(side + 2) % 4] - b))
    reach = int(max_frac * adjacent)
    if length < 8 or reach < 6:
        return 0.0
    outward = -np.array([-ab[1], ab[0]], np.float32) / length
    t = np.linspace(0.1, 0.9, n, dtype=np.float32)[:, None]
    base = a + t * ab
    offsets = np.arange(0, reach + 8, dtype=np.float32)
    pts = base[:, None, :] + offsets[None, :, None] * outward
    if (
        pts[..., 0].min() < 0
        or pts[..., 1].min() < 0
        or pts[..., 0].max() > w - 1
        or pts[..., 1].max() > h - 1
    ):
        return 0.0
    prof = cv2.remap(lab, pts[..., 0].copy(), pts[..., 1].copy(), cv2.INTER_LINEAR)  # (n, k, 3)
    # the band's colour at each point along the side, just outside it; the points must mostly agree on it
    ref = np.median(prof[:, 2:6], axis=1)
    if float((np.linalg.norm(ref - np.median(ref, axis=0), axis=1) < 20).mean()) < 0.55:
        return 0.0
    near = (np.linalg.norm(prof - ref[:, None, :], axis=2) < 20).astype(np.float32)  # (n, k)
    run = np.cumsum(near, axis=1)
    d = np.arange(6, reach + 1)
    # share of offsets 2 .. d-2 still of the band's colour (white text printed on the band is a short break)
    held = (run[:, d - 2] - run[:, 1:2]) / (d - 3)[None, :] >= 0.7
    uniform = held.mean(axis=0) >= 0.55
    stop = int(np.argmin(uniform)) if not uniform.all() else len(d)  # the first offset past the band
    if stop == 0:
        return 0.0
    d = d[:stop]
    step = np.linalg.norm(prof[:, d + 3] - prof[:, d - 3], axis=2)  # (n, len(d))
    good = (step >= min_delta).mean(axis=0) >= 0.75
    if not good.any():
        return 0.0
    strength = np.where(good, step.mean(axis=0), -1.0)
    return float(d[int(np.argmax(strength))])
