"""A tiny supersampled drawing surface for the kiosk pictograms (numpy + OpenCV only).

Everything is drawn at 4x (1024 px for a 256 px icon) with ``cv2.LINE_AA`` into a *premultiplied* BGRA
buffer whose background is fully transparent, then averaged down with ``cv2.INTER_AREA``. Drawing an opaque
colour with OpenCV's anti-aliasing blends ``src*a + dst*(1-a)`` on every channel, which is exactly the
premultiplied "over" operator, so edges stay clean (no dark fringe) after the colour is un-premultiplied.

Coordinates are floats in icon pixels (0..256); the canvas scales them. Shapes are small frozen values so a
group of them can be drawn twice: once grown by the outline width in navy, once at size in the fill colour,
which gives one clean outline around their union (used for figures, hands, sacks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

SUPERSAMPLE = 4
"""Drawing happens at this multiple of the output size."""

NAVY = "#1B2A41"
WHITE = "#FFFFFF"
LINE_WIDTH = 11.0
"""Default outline width in output pixels: thick enough to read from a metre away at 128 px."""

Point = tuple[float, float]


def bgra(color: str) -> tuple[int, int, int, int]:
    """'#RRGGBB' -> an opaque BGRA tuple for OpenCV."""
    text = color.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"colour must look like '#1B2A41', got {color!r}")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return (b, g, r, 255)


def ellipse_pts(
    c: Point, axes: tuple[float, float], angle: float = 0.0, a0: float = 0.0, a1: float = 360.0, n: int = 96
) -> np.ndarray:
    """Points on an ellipse arc, OpenCV convention (degrees, clockwise on screen, y down)."""
    t = np.radians(np.linspace(a0, a1, max(3, int(n * abs(a1 - a0) / 360) + 2)))
    rot = math.radians(angle)
    x = axes[0] * np.cos(t)
    y = axes[1] * np.sin(t)
    xs = c[0] + x * math.cos(rot) - y * math.sin(rot)
    ys = c[1] + x * math.sin(rot) + y * math.cos(rot)
    return np.stack([xs, ys], axis=1)


def rrect_pts(x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
    """Outline of a rounded rectangle."""
    r = max(0.0, min(r, (x1 - x0) / 2, (y1 - y0) / 2))
    if r == 0:
        return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], float)
    corners = [
        ((x1 - r, y0 + r), 270, 360),
        ((x1 - r, y1 - r), 0, 90),
        ((x0 + r, y1 - r), 90, 180),
        ((x0 + r, y0 + r), 180, 270),
    ]
    return np.concatenate([ellipse_pts(c, (r, r), 0, a, b, n=48) for c, a, b in corners])


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, n: int = 32) -> np.ndarray:
    """Points on a cubic Bezier curve."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, c, d = (np.asarray(p, float) for p in (p0, p1, p2, p3))
    out: np.ndarray = (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t**2 * c + t**3 * d
    return out


def mirror_x(pts: np.ndarray, cx: float) -> np.ndarray:
    """Reflect points about the vertical line x = cx (keeps the order)."""
    out = np.asarray(pts, float).copy()
    out[:, 0] = 2 * cx - out[:, 0]
    return out


def transform(
    pts: Iterable[Point] | np.ndarray,
    dx: float = 0,
    dy: float = 0,
    s: float = 1.0,
    rot: float = 0.0,
    about: Point = (0.0, 0.0),
) -> np.ndarray:
    """Scale and rotate (degrees, clockwise on screen) about a point, then translate."""
    p = np.asarray(pts, float).reshape(-1, 2) - about
    a = math.radians(rot)
    m = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * s
    return p @ m.T + about + (dx, dy)


@dataclass(frozen=True)
class Poly:
    """A filled polygon (points in icon pixels)."""

    pts: tuple[Point, ...]

    @staticmethod
    def of(pts: Iterable[Point] | np.ndarray) -> Poly:
        return Poly(tuple((float(x), float(y)) for x, y in np.asarray(pts, float).reshape(-1, 2)))


@dataclass(frozen=True)
class Stroke:
    """A thick polyline with round caps and joins."""

    pts: tuple[Point, ...]
    width: float
    closed: bool = False

    @staticmethod
    def of(pts: Iterable[Point] | np.ndarray, width: float, closed: bool = False) -> Stroke:
        p = tuple((float(x), float(y)) for x, y in np.asarray(pts, float).reshape(-1, 2))
        return Stroke(p, width, closed)


@dataclass(frozen=True)
class Disc:
    """A filled circle."""

    c: Point
    r: float


Shape = Poly | Stroke | Disc


def _ipts(pts: Sequence[Point] | np.ndarray) -> np.ndarray:
    return np.round(np.asarray(pts, float) * SUPERSAMPLE).astype(np.int32).reshape(-1, 1, 2)


class Canvas:
    """A premultiplied, supersampled BGRA drawing buffer."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        n = size * SUPERSAMPLE
        self.img = np.zeros((n, n, 4), np.uint8)

    # primitives ----------
    def draw(self, shape: Shape, color: str, grow: float = 0.0) -> None:
        """Draw one shape, optionally grown outward by ``grow`` pixels (for outlines)."""
        col = bgra(color)
        if isinstance(shape, Poly):
            pts = _ipts(shape.pts)
            cv2.fillPoly(self.img, [pts], col, cv2.LINE_AA)
            if grow > 0:
                cv2.polylines(self.img, [pts], True, col, int(round(2 * grow * SUPERSAMPLE)), cv2.LINE_AA)
        elif isinstance(shape, Stroke):
            width = int(round((shape.width + 2 * grow) * SUPERSAMPLE))
            pts = _ipts(shape.pts)
            if len(shape.pts) == 1:
                cv2.circle(self.img, tuple(pts[0, 0]), width // 2, col, -1, cv2.LINE_AA)
            else:
                cv2.polylines(self.img, [pts], shape.closed, col, max(1, width), cv2.LINE_AA)
        else:
            centre = tuple(int(v) for v in _ipts([shape.c])[0, 0])
            cv2.circle(self.img, centre, int(round((shape.r + grow) * SUPERSAMPLE)), col, -1, cv2.LINE_AA)

    def fill(self, pts: Iterable[Point] | np.ndarray, color: str) -> None:
        self.draw(Poly.of(pts), color)

    def line(
        self, pts: Iterable[Point] | np.ndarray, color: str, width: float = LINE_WIDTH, closed: bool = False
    ) -> None:
        self.draw(Stroke.of(pts, width, closed), color)

    def disc(self, c: Point, r: float, color: str) -> None:
        self.draw(Disc(c, r), color)

    def ring(self, c: Point, r: float, color: str, width: float = LINE_WIDTH) -> None:
        self.line(ellipse_pts(c, (r, r), n=160), color, width, closed=True)

    def arc(
        self,
        c: Point,
        axes: tuple[float, float],
        a0: float,
        a1: float,
        color: str,
        width: float = LINE_WIDTH,
        angle: float = 0.0,
    ) -> None:
        self.line(ellipse_pts(c, axes, angle, a0, a1, n=160), color, width)

    # compound helpers ----------
    def outlined(
        self, shapes: Sequence[Shape], fill: str, line: str = NAVY, width: float = LINE_WIDTH
    ) -> None:
        """Fill the union of ``shapes`` and draw one outline of ``width`` around it (outside the shapes)."""
        for s in shapes:
            self.draw(s, line, grow=width)
        for s in shapes:
            self.draw(s, fill)

    def box(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        r: float,
        fill: str = WHITE,
        line: str = NAVY,
        width: float = LINE_WIDTH,
    ) -> None:
        """A rounded rectangle whose outline lies inside the given bounds."""
        self.fill(rrect_pts(x0, y0, x1, y1, r), line)
        self.fill(rrect_pts(x0 + width, y0 + width, x1 - width, y1 - width, max(0.0, r - width)), fill)

    def arrow(self, p0: Point, p1: Point, color: str, width: float = LINE_WIDTH, head: float = 0.0) -> None:
        """A stroked arrow from p0 to p1 with a filled triangular head."""
        head = head or width * 2.6
        ang = math.atan2(p1[1] - p0[1], p1[0] - p0[0])
        ux, uy = math.cos(ang), math.sin(ang)
        base = (p1[0] - ux * head * 0.9, p1[1] - uy * head * 0.9)
        self.line([p0, base], color, width)
        self._head(p1, ang, head, color)

    def arc_arrow(
        self,
        c: Point,
        r: float,
        a0: float,
        a1: float,
        color: str,
        width: float = LINE_WIDTH,
        head: float = 0.0,
    ) -> None:
        """An arc from a0 to a1 (degrees, clockwise when a1 > a0) ending in an arrow head."""
        head = head or width * 2.6
        sweep = 1.0 if a1 > a0 else -1.0
        back = math.degrees(head * 0.8 / r) * sweep
        self.arc(c, (r, r), a0, a1 - back, color, width)
        t = math.radians(a1)
        tip = (c[0] + r * math.cos(t), c[1] + r * math.sin(t))
        tangent = (
            math.atan2(math.cos(t), -math.sin(t)) if sweep > 0 else math.atan2(-math.cos(t), math.sin(t))
        )
        self._head(tip, tangent, head, color)

    def _head(self, tip: Point, ang: float, size: float, color: str) -> None:
        ux, uy = math.cos(ang), math.sin(ang)
        bx, by = tip[0] - ux * size * 1.1, tip[1] - uy * size * 1.1
        half = size * 0.95
        self.fill(
            [
                (tip[0] + ux * size * 0.15, tip[1] + uy * size * 0.15),
                (bx - uy * half, by + ux * half),
                (bx + uy * half, by - ux * half),
            ],
            color,
        )

    # output ----------
    def result(self) -> np.ndarray:
        """The finished icon: straight (not premultiplied) BGRA uint8, ``size`` x ``size``."""
        small = cv2.resize(self.img, (self.size, self.size), interpolation=cv2.INTER_AREA).astype(np.float64)
        alpha = small[:, :, 3:4]
        rgb = np.where(alpha > 0, small[:, :, :3] * 255.0 / np.maximum(alpha, 1.0), 0.0)
        out = np.concatenate([np.clip(np.round(rgb), 0, 255), alpha], axis=2).astype(np.uint8)
        out[out[:, :, 3] == 0] = 0
        return out
