"""Reusable pictogram parts (people, cards, sheets, sacks, hands, houses, badges) drawn on a :class:`Canvas`.

Each part takes its place and size in icon pixels so icons compose them; shapes that need one outline around
a union of pieces return a list of shapes for :meth:`Canvas.outlined`.
"""

from __future__ import annotations

import math

import numpy as np

from tools.icons.canvas import (
    LINE_WIDTH,
    NAVY,
    WHITE,
    Canvas,
    Disc,
    Point,
    Poly,
    Shape,
    Stroke,
    bezier,
    ellipse_pts,
    mirror_x,
    rrect_pts,
    transform,
)

GREEN = "#1E8E3E"
RED = "#C62828"
BLUE = "#4A9BE0"
AMBER = "#F2A900"
ORANGE = "#E8710A"
GOLD = "#D4A017"
TEAL = "#00897B"
ROSE = "#D81B60"
PURPLE = "#7E57C2"
SKY = "#9CCBF2"
TERRACOTTA = "#C2562A"
PINK = "#F6A5C0"
"""The swaddling cloth of a newborn (akta_lahir, the birth letter)."""


def figure(cx: float, base: float, h: float) -> list[Shape]:
    """A person bust of height ``h`` standing on ``base``: head disc and rounded shoulders."""
    r = 0.19 * h
    head = Disc((cx, base - h + r), r)
    body = Poly.of(ellipse_pts((cx, base), (0.40 * h, 0.56 * h), 0, 180, 360))
    return [head, body]


def person(
    cv: Canvas, cx: float, base: float, h: float, fill: str = NAVY, halo: str = WHITE, halo_w: float = 6.0
) -> None:
    """A solid person bust with a thin halo that separates it from what lies behind."""
    cv.outlined(figure(cx, base, h), fill, halo, halo_w)


def family(cv: Canvas, cx: float, base: float, h: float, child: str) -> None:
    """Two adults and a child in front (the child in the accent colour)."""
    person(cv, cx - 0.36 * h, base, h)
    person(cv, cx + 0.36 * h, base, 0.94 * h)
    person(cv, cx, base, 0.62 * h, fill=child, halo_w=7)


def text_bars(
    cv: Canvas, x: float, y: float, lengths: list[float], gap: float, width: float = 9.0, color: str = NAVY
) -> None:
    """Rounded bars that stand for lines of writing (never letters)."""
    for i, length in enumerate(lengths):
        yy = y + i * gap
        cv.line([(x, yy), (x + length, yy)], color, width)


def id_card(
    cv: Canvas, x0: float, y0: float, x1: float, y1: float, accent: str = BLUE, face: bool = True
) -> None:
    """An identity card (KTP): accent card, white photo box with a person on the right, bars on the left."""
    w, h = x1 - x0, y1 - y0
    cv.box(x0, y0, x1, y1, 0.09 * w, fill=accent)
    px0, py0, px1, py1 = x1 - 0.40 * w, y0 + 0.20 * h, x1 - 0.10 * w, y1 - 0.17 * h
    frame = 0.6 * LINE_WIDTH
    cv.fill(rrect_pts(px0, py0, px1, py1, 6), WHITE)
    if face:
        ph = 0.92 * (py1 - py0 - frame)
        for s in figure((px0 + px1) / 2, py1 - frame / 2, ph):
            cv.draw(s, NAVY)
    cv.line(
        rrect_pts(px0 + frame / 2, py0 + frame / 2, px1 - frame / 2, py1 - frame / 2, 4),
        NAVY,
        frame,
        closed=True,
    )
    gap = 0.17 * h
    text_bars(cv, x0 + 0.12 * w, y0 + 0.30 * h, [0.32 * w, 0.26 * w, 0.30 * w], gap, width=0.06 * h)


def badge(cv: Canvas, c: Point, r: float, color: str, ring: str = WHITE) -> None:
    """A round accent badge with a white ring that cuts it out of the drawing behind."""
    cv.disc(c, r + 7, ring)
    cv.disc(c, r, color)


def plus_badge(cv: Canvas, c: Point, r: float = 38, color: str = GREEN) -> None:
    badge(cv, c, r, color)
    k = 0.55 * r
    cv.line([(c[0] - k, c[1]), (c[0] + k, c[1])], WHITE, 0.30 * r)
    cv.line([(c[0], c[1] - k), (c[0], c[1] + k)], WHITE, 0.30 * r)


def cycle_badge(cv: Canvas, c: Point, r: float = 38, color: str = ORANGE) -> None:
    badge(cv, c, r, color)
    cv.arc_arrow(c, 0.55 * r, 200, 470, WHITE, 0.17 * r, head=0.24 * r)


def exclaim_badge(cv: Canvas, c: Point, r: float = 40, color: str = RED) -> None:
    badge(cv, c, r, color)
    cv.line([(c[0], c[1] - 0.55 * r), (c[0], c[1] + 0.12 * r)], WHITE, 0.24 * r)
    cv.disc((c[0], c[1] + 0.52 * r), 0.14 * r, WHITE)


def cross_badge(cv: Canvas, c: Point, r: float = 38, color: str = RED) -> None:
    badge(cv, c, r, color)
    k = 0.42 * r
    cv.line([(c[0] - k, c[1] - k), (c[0] + k, c[1] + k)], WHITE, 0.26 * r)
    cv.line([(c[0] - k, c[1] + k), (c[0] + k, c[1] - k)], WHITE, 0.26 * r)


def check_badge(cv: Canvas, c: Point, r: float = 38, color: str = GREEN) -> None:
    badge(cv, c, r, color)
    pts = [
        (c[0] - 0.50 * r, c[1] + 0.02 * r),
        (c[0] - 0.14 * r, c[1] + 0.38 * r),
        (c[0] + 0.52 * r, c[1] - 0.34 * r),
    ]
    cv.line(pts, WHITE, 0.26 * r)


def pencil(cv: Canvas, c: Point, length: float, accent: str, rot: float = -45.0) -> None:
    """A pencil centred on ``c``, tip towards the lower left when rot = -45."""
    w = 0.22 * length
    half = length / 2
    body = [(-half + 0.28 * length, -w / 2), (half, -w / 2), (half, w / 2), (-half + 0.28 * length, w / 2)]
    tip = [(-half, 0.0), (-half + 0.28 * length, -w / 2), (-half + 0.28 * length, w / 2)]

    def place(pts: list[Point]) -> list[Point]:
        return [tuple(p) for p in transform(pts, c[0], c[1], rot=rot)]

    cv.outlined([Poly.of(place(body)), Poly.of(place(tip))], WHITE, WHITE, 7)
    cv.outlined([Poly.of(place(body))], accent, NAVY, 7)
    cv.outlined([Poly.of(place(tip))], WHITE, NAVY, 7)
    lead = [(-half, 0.0), (-half + 0.10 * length, -w * 0.18), (-half + 0.10 * length, w * 0.18)]
    cv.fill(place(lead), NAVY)
    cv.line(place([(half - 0.16 * length, -w / 2), (half - 0.16 * length, w / 2)]), NAVY, 6)


def sheet(
    cv: Canvas,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    fill: str = WHITE,
    fold: float = 30,
    width: float = LINE_WIDTH,
) -> None:
    """A paper sheet with a folded top-right corner (outline drawn outside the bounds)."""
    pts = [(x0, y0), (x1 - fold, y0), (x1, y0 + fold), (x1, y1), (x0, y1)]
    cv.outlined([Poly.of(pts)], fill, NAVY, width)
    cv.line([(x1 - fold, y0), (x1 - fold, y0 + fold), (x1, y0 + fold)], NAVY, width * 0.8)


def sack(x0: float, y0: float, x1: float, y1: float) -> list[Shape]:
    """A tied rice sack (karung beras) filling the box: round heavy body, gathered neck, flared tuft."""
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    neck_y = y0 + 0.28 * h
    left = np.concatenate(
        [
            bezier((cx, y1), (x0 + 0.12 * w, y1), (x0, y1 - 0.02 * h), (x0, y0 + 0.72 * h)),
            bezier(
                (x0, y0 + 0.72 * h),
                (x0, y0 + 0.46 * h),
                (cx - 0.30 * w, neck_y + 0.10 * h),
                (cx - 0.12 * w, neck_y),
            ),
        ]
    )
    body = np.concatenate([left, mirror_x(left, cx)[::-1]])
    tuft = [
        (cx - 0.10 * w, neck_y + 0.02 * h),
        (cx - 0.30 * w, y0 + 0.03 * h),
        (cx - 0.12 * w, y0 + 0.09 * h),
        (cx, y0),
        (cx + 0.12 * w, y0 + 0.09 * h),
        (cx + 0.30 * w, y0 + 0.03 * h),
        (cx + 0.10 * w, neck_y + 0.02 * h),
    ]
    return [Poly.of(body), Poly.of(tuft)]


def sack_tie(cv: Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    """The rope round the sack's neck."""
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    cv.line([(cx - 0.16 * w, y0 + 0.28 * h), (cx + 0.16 * w, y0 + 0.28 * h)], NAVY, max(8.0, 0.06 * h))


def padi(cv: Canvas, cx: float, cy: float, size: float, color: str) -> None:
    """A rice stalk: a stem with grains leaning up on both sides and one on top."""
    top, bottom = cy - 0.55 * size, cy + 0.55 * size
    cv.line([(cx, bottom), (cx, top + 0.1 * size)], NAVY, 0.09 * size)
    grains = [Poly.of(ellipse_pts((cx, top), (0.11 * size, 0.20 * size)))]
    for i in range(3):
        y = top + (0.30 + 0.27 * i) * size
        for side in (-1, 1):
            grains.append(
                Poly.of(
                    ellipse_pts(
                        (cx + side * 0.17 * size, y - 0.05 * size), (0.11 * size, 0.20 * size), side * 40
                    )
                )
            )
    for g in grains:
        cv.outlined([g], color, NAVY, max(3.0, 0.05 * size))


def heart(cx: float, cy: float, s: float) -> list[Shape]:
    """A heart of half-width ``s`` centred on (cx, cy)."""
    t = [i / 120 * 2 * math.pi for i in range(121)]
    pts = [
        (
            cx + s * (math.sin(a) ** 3),
            cy - s * (13 * math.cos(a) - 5 * math.cos(2 * a) - 2 * math.cos(3 * a) - math.cos(4 * a)) / 16,
        )
        for a in t
    ]
    return [Poly.of(pts)]


def open_hand(cx: float, cy: float, s: float, rot: float = 0.0, mirror: bool = False) -> list[Shape]:
    """An open palm, fingers up, centred on the palm; ``s`` is about the finger length."""
    k = -1.0 if mirror else 1.0
    fw = 0.30 * s

    def place(pts: list[Point]) -> tuple[Point, ...]:
        p = [(k * x * s / 1.0, y * s / 1.0) for x, y in pts]
        return tuple((float(a), float(b)) for a, b in transform(p, cx, cy, rot=rot))

    shapes: list[Shape] = [Poly.of(place(list(map(tuple, rrect_pts(-0.62, -0.25, 0.66, 0.95, 0.34)))))]
    for x, top in ((-0.44, -1.05), (-0.10, -1.28), (0.24, -1.18), (0.53, -0.86)):
        shapes.append(Stroke(place([(x, -0.1), (x, top)]), fw))
    shapes.append(Stroke(place([(-0.50, 0.55), (-0.88, 0.05), (-1.02, -0.25)]), fw * 1.05))
    return shapes


def palm_up_hand(cx: float, cy: float, s: float, mirror: bool = False) -> list[Shape]:
    """A hand seen from the side, palm up, reaching in from the left (from the right when mirrored).

    ``(cx, cy)`` is the middle of the palm and ``s`` about the palm length. Returns the pieces for
    :meth:`Canvas.outlined`; the outline shows between the fingers.
    """
    k = -1.0 if mirror else 1.0

    def place(pts: list[Point]) -> tuple[Point, ...]:
        return tuple((cx + k * x * s, cy + y * s) for x, y in pts)

    cuff = Poly.of(place([(-1.12, -0.10), (-0.80, -0.08), (-0.80, 0.52), (-1.12, 0.56)]))
    palm = Poly.of(place([(-0.72, -0.02), (0.10, -0.02), (0.30, 0.10), (0.30, 0.44), (-0.72, 0.46)]))
    fingers = Stroke(place([(0.05, 0.22), (0.62, 0.22)]), 0.44 * s)
    thumb = Stroke(place([(-0.45, 0.06), (-0.22, -0.20), (-0.04, -0.32)]), 0.19 * s)
    shapes: list[Shape] = [cuff, palm, fingers, thumb]
    return shapes


def finger_lines(cv: Canvas, cx: float, cy: float, s: float, mirror: bool = False) -> None:
    """The creases between the fingers of :func:`palm_up_hand`."""
    k = -1.0 if mirror else 1.0
    for y in (0.145, 0.295):
        cv.line([(cx + k * 0.40 * s, cy + y * s), (cx + k * 0.78 * s, cy + y * s)], NAVY, max(3.0, 0.06 * s))


def house(
    cv: Canvas,
    cx: float,
    base: float,
    w: float,
    h: float,
    roof: str,
    walls: str = WHITE,
    door: str = NAVY,
    width: float = LINE_WIDTH,
) -> None:
    """A simple house: triangular roof with eaves, walls, a door."""
    wall_top = base - 0.58 * h
    cv.outlined(
        [
            Poly.of(
                [
                    (cx - 0.38 * w, wall_top),
                    (cx + 0.38 * w, wall_top),
                    (cx + 0.38 * w, base),
                    (cx - 0.38 * w, base),
                ]
            )
        ],
        walls,
        NAVY,
        width,
    )
    cv.outlined(
        [
            Poly.of(
                [(cx - 0.52 * w, wall_top + 0.04 * h), (cx, base - h), (cx + 0.52 * w, wall_top + 0.04 * h)]
            )
        ],
        roof,
        NAVY,
        width,
    )
    dw = 0.22 * w
    cv.fill(rrect_pts(cx - dw / 2, base - 0.36 * h, cx + dw / 2, base, 0.05 * w), door)


def envelope(cv: Canvas, x0: float, y0: float, x1: float, y1: float, fill: str = WHITE) -> None:
    cv.box(x0, y0, x1, y1, 10, fill=fill)
    cx = (x0 + x1) / 2
    cv.line([(x0 + 8, y0 + 10), (cx, y0 + 0.55 * (y1 - y0)), (x1 - 8, y0 + 10)], NAVY, LINE_WIDTH * 0.9)


def camera(cv: Canvas, cx: float, cy: float, w: float, accent: str) -> None:
    """A compact camera: body, bump with shutter, lens with accent ring."""
    h = 0.66 * w
    x0, y0, x1, y1 = cx - w / 2, cy - h / 2 + 0.06 * w, cx + w / 2, cy + h / 2 + 0.06 * w
    cv.fill(rrect_pts(cx - 0.22 * w, y0 - 0.14 * w, cx + 0.22 * w, y0 + 10, 0.06 * w), NAVY)
    cv.box(x0, y0, x1, y1, 0.12 * w, fill=WHITE)
    lc = (cx, (y0 + y1) / 2 + 2)
    cv.disc(lc, 0.27 * w, NAVY)
    cv.disc(lc, 0.27 * w - LINE_WIDTH * 0.8, accent)
    cv.disc(lc, 0.10 * w, NAVY)
    cv.disc((lc[0] - 0.035 * w, lc[1] - 0.035 * w), 0.03 * w, WHITE)
    cv.disc((x1 - 0.16 * w, y0 + 0.17 * w), 0.045 * w, NAVY)


def speaker(cv: Canvas, cx: float, cy: float, s: float, waves: str, n_waves: int = 3) -> None:
    """A loudspeaker pointing right with ``n_waves`` sound arcs in the accent colour."""
    body = [
        (cx - 0.95 * s, cy - 0.32 * s),
        (cx - 0.50 * s, cy - 0.32 * s),
        (cx - 0.05 * s, cy - 0.75 * s),
        (cx - 0.05 * s, cy + 0.75 * s),
        (cx - 0.50 * s, cy + 0.32 * s),
        (cx - 0.95 * s, cy + 0.32 * s),
    ]
    cv.outlined([Poly.of(body)], NAVY, NAVY, 4)
    for i in range(n_waves):
        r = (0.35 + 0.33 * i) * s
        cv.arc((cx + 0.05 * s, cy), (r, r), -48, 48, waves, 0.14 * s)
