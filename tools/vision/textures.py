"""Surfaces a document lies on, and what lies around and over it, for the scene families (families.py).

Every function takes the frame size ``(w, h)`` and a numpy ``Generator`` and returns BGR uint8 (backgrounds) or
draws into a frame in place (clutter). Nothing here knows about families: they pick from these by name.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from tools.vision import synth

Size = tuple[int, int]


def _clip(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0, 255).astype(np.uint8)


def _smooth_noise(size: Size, rng: np.random.Generator, cell: int, channels: int = 3) -> np.ndarray:
    """Noise with features about ``cell`` px wide: random values on a coarse grid, scaled up (cubic)."""
    w, h = size
    gw, gh = max(2, w // cell + 2), max(2, h // cell + 2)
    coarse = rng.normal(0, 1, (gh, gw, channels)).astype(np.float32)
    out = cv2.resize(coarse, (gw * cell, gh * cell), interpolation=cv2.INTER_CUBIC)[:h, :w]
    return out.reshape(h, w, channels)


def _colour(rng: np.random.Generator, sat: tuple[int, int], val: tuple[int, int]) -> np.ndarray:
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(*sat), rng.integers(*val)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def wood(size: Size, rng: np.random.Generator) -> np.ndarray:
    return synth.background("wood", size, int(rng.integers(1 << 30)))


def cloth(size: Size, rng: np.random.Generator) -> np.ndarray:
    return synth.background("cloth", size, int(rng.integers(1 << 30)))


def table_lit(size: Size, rng: np.random.Generator) -> np.ndarray:
    return synth.background("table", size, int(rng.integers(1 << 30)))


def white_table(size: Size, rng: np.random.Generator) -> np.ndarray:
    return synth.background("white", size, int(rng.integers(1 << 30)))


def dark_tray(size: Size, rng: np.random.Generator) -> np.ndarray:
    """The kiosk's matte dark tray, slightly vignetted."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = 1 - 0.25 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
    base = float(rng.uniform(28, 55))
    img = base * vignette[..., None] + rng.normal(0, 3, (h, w, 1)) + np.float32([2, 0, -2])
    return _clip(img)


def gingham(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A checked tablecloth: two colours in crossing stripes, woven, a little rotated."""
    w, h = size
    period = float(rng.uniform(14, 60)) * w / 1280
    angle = np.deg2rad(rng.uniform(-20, 20))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    a = ((u // period) % 2).astype(np.float32)
    b = ((v // period) % 2).astype(np.float32)
    colour = _colour(rng, (90, 230), (110, 220))
    white = np.float32([235, 235, 235]) * rng.uniform(0.85, 1.0)
    mix = ((a + b) / 2)[..., None]
    img = white * (1 - mix) + colour * mix
    weave = np.sin(xx * 1.6) * np.sin(yy * 1.6) * 8
    return _clip(img + weave[..., None] + rng.normal(0, 4, (h, w, 1)))


def blob_noise(size: Size, rng: np.random.Generator) -> np.ndarray:
    """Coloured noise: large soft blobs of colour with finer grain on top."""
    w, h = size
    base = _colour(rng, (60, 200), (80, 200))
    big = _smooth_noise(size, rng, max(8, w // 12)) * 45
    fine = _smooth_noise(size, rng, max(2, w // 160)) * 18
    return _clip(base + big + fine + rng.normal(0, 5, (h, w, 3)))


def speckle(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A noisy, coloured, textured surface (a painted or printed board): strong per-pixel colour noise over
    mid-sized colour patches and a coarse tint."""
    w, h = size
    base = _colour(rng, (40, 180), (70, 190))
    coarse = _smooth_noise(size, rng, max(6, w // 6)) * 30
    mid = _smooth_noise(size, rng, max(3, w // 60)) * 30
    grain = rng.normal(0, float(rng.uniform(12, 24)), (h, w, 3))
    return _clip(base + coarse + mid + grain)


def batik(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A patterned tablecloth: rows of flower-like motifs and dots in three colours on a coloured ground."""
    w, h = size
    scale = w / 1280
    ground = _colour(rng, (80, 220), (60, 200))
    img = np.empty((h, w, 3), np.float32)
    img[:] = ground
    img = img.astype(np.uint8)
    inks = [tuple(int(c) for c in _colour(rng, (50, 255), (40, 250))) for _ in range(3)]
    step = int(rng.uniform(50, 110) * scale) + 8
    r = max(4, int(step * rng.uniform(0.25, 0.4)))
    for row, y in enumerate(range(-step, h + step, step)):
        for x in range(-step + (row % 2) * step // 2, w + step, step):
            for k in range(6):
                a = k * np.pi / 3
                c = (int(x + r * np.cos(a)), int(y + r * np.sin(a)))
                cv2.ellipse(img, c, (r // 2 + 1, max(1, r // 4)), np.rad2deg(a), 0, 360, inks[0], -1)
            cv2.circle(img, (x, y), max(2, r // 3), inks[1], -1, cv2.LINE_AA)
            cv2.circle(img, (x + step // 2, y + step // 2), max(1, r // 6), inks[2], -1, cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (3, 3), 0).astype(np.float32)
    return _clip(img + rng.normal(0, 5, (h, w, 1)))


def laminate(size: Size, rng: np.random.Generator) -> np.ndarray:
    """An off-white laminate desk with a faint fibre texture and a soft light falling off to one side."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tone = float(rng.uniform(205, 235))
    fall = (xx / w - 0.5) * rng.uniform(-30, 30) + (yy / h - 0.5) * rng.uniform(-15, 15)
    fibre = _smooth_noise(size, rng, max(2, w // 200), 1) * 3
    return _clip(tone + fall[..., None] + fibre + np.float32([0, 1, 3]) + rng.normal(0, 2, (h, w, 1)))


BACKGROUNDS: dict[str, Callable[[Size, np.random.Generator], np.ndarray]] = {
    "wood": wood,
    "cloth": cloth,
    "table_lit": table_lit,
    "white_table": white_table,
    "dark_tray": dark_tray,
    "gingham": gingham,
    "blob_noise": blob_noise,
    "speckle": speckle,
    "batik": batik,
    "laminate": laminate,
}
"""Background name -> renderer."""


def lines(img: np.ndarray, rng: np.random.Generator, count: int | None = None) -> None:
    """Long straight lines across the frame (seams, cables, the tray's edge), drawn in place."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(2, 6)) if count is None else count):
        p = rng.uniform([0, 0], [w, h])
        a = rng.uniform(0, np.pi)
        d = np.array([np.cos(a), np.sin(a)]) * 2 * (w + h)
        colour = tuple(int(c) for c in _colour(rng, (0, 200), (10, 240)))
        thick = max(1, int(rng.integers(1, 5) * w / 1280 + 0.5))
        cv2.line(img, tuple(int(v) for v in p - d), tuple(int(v) for v in p + d), colour, thick, cv2.LINE_AA)


def papers(img: np.ndarray, rng: np.random.Generator) -> None:
    """Other papers beside the document: pale rectangles, rotated, partly out of the frame, with some text
    lines (drawn before the document, which covers whatever lands under it)."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        cx, cy = rng.uniform([0, 0], [w, h])
        pw, ph = rng.uniform(0.2, 0.5) * w, rng.uniform(0.3, 0.7) * h
        box = cv2.boxPoints(((cx, cy), (pw, ph), rng.uniform(-30, 30))).astype(np.int32)
        tone = float(rng.uniform(200, 250))
        tint = rng.uniform(-15, 10, 3)
        cv2.fillConvexPoly(img, box, tuple(float(tone + t) for t in tint), cv2.LINE_AA)
        for k in range(1, 8):
            a = box[0] + (box[3] - box[0]) * k / 9
            b = a + (box[1] - box[0]) * 0.8
            cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b), (70, 70, 70), 1, cv2.LINE_AA)


def objects(img: np.ndarray, rng: np.random.Generator, quad: np.ndarray) -> None:
    """A pen or a cable lying across one side of the document, drawn over it."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(1, 3))):
        i = int(rng.integers(4))
        a, b = quad[i], quad[(i + 1) % 4]
        p = a + (b - a) * rng.uniform(0.2, 0.8)
        ang = np.arctan2(*(b - a)[::-1]) + np.pi / 2 + rng.uniform(-0.8, 0.8)
        length = rng.uniform(0.1, 0.3) * w
        d = np.array([np.cos(ang), np.sin(ang)]) * length / 2
        colour = tuple(int(c) for c in _colour(rng, (0, 255), (20, 230)))
        thick = max(2, int(rng.uniform(6, 18) * w / 1280))
        p0 = p + d * rng.uniform(-0.6, 0.6)
        cv2.line(
            img, tuple(int(v) for v in p0 - d), tuple(int(v) for v in p0 + d), colour, thick, cv2.LINE_AA
        )


def finger(img: np.ndarray, rng: np.random.Generator, quad: np.ndarray) -> None:
    """A fingertip over one corner of the document, coming from outside it."""
    h, w = img.shape[:2]
    i = int(rng.integers(4))
    corner = quad[i]
    centre = quad.mean(axis=0)
    out = corner - centre
    out = out / max(1e-6, np.linalg.norm(out))
    width = rng.uniform(0.035, 0.055) * w
    tip = corner - out * width * rng.uniform(0.1, 0.6)
    base = tip + out * w * 0.5
    skin = tuple(float(c) for c in np.float32([90, 130, 190]) * rng.uniform(0.55, 1.05))
    cv2.line(img, tuple(int(v) for v in tip), tuple(int(v) for v in base), skin, int(width), cv2.LINE_AA)
    cv2.circle(img, tuple(int(v) for v in tip), int(width / 2), skin, -1, cv2.LINE_AA)
