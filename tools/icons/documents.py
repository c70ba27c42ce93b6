"""Document pictograms: one picture per document the catalog asks a citizen to bring (issue 36, finding 7).

A citizen who cannot read tells documents apart by their picture, so each shows what it is: a letter carries
its sender's mark (police shield, village stamp, swaddled baby, lily), a photocopy is a stack of sheets with the
copy mark, a photo is a framed print of what it shows. Same style as every icon (docs/icons.md): navy outlines,
one accent colour, no letters or digits.
"""

from __future__ import annotations

import math

import numpy as np

from tools.icons.canvas import NAVY, WHITE, Canvas, Disc, Poly, Shape, bezier, ellipse_pts, rrect_pts
from tools.icons.parts import (
    BLUE,
    GOLD,
    GREEN,
    ORANGE,
    PINK,
    PURPLE,
    TEAL,
    TERRACOTTA,
    badge,
    camera,
    family,
    finger_lines,
    heart,
    house,
    id_card,
    palm_up_hand,
    sheet,
    text_bars,
)

Point = tuple[float, float]


# parts only documents use ----------
def letter(cv: Canvas) -> None:
    """A portrait sheet with three lines of writing at the top; the lower half is left for its mark."""
    sheet(cv, 40, 16, 216, 240)
    text_bars(cv, 64, 54, [104, 128, 88], 26, width=10)


def copy_stack(cv: Canvas) -> tuple[float, float, float, float]:
    """Two sheets, one behind the other (a photocopy); returns the front sheet's box for its content."""
    sheet(cv, 80, 14, 232, 206, fold=26)
    front = (26, 50, 178, 242)
    sheet(cv, *front, fold=26)
    return front


def copy_badge(cv: Canvas, c: Point, r: float, color: str) -> None:
    """The copy mark: a round badge holding two overlapping pages."""
    badge(cv, c, r, color)
    w, h, dx = 0.62 * r, 0.78 * r, 0.26 * r
    back = rrect_pts(c[0] - w / 2 + dx, c[1] - h / 2 - dx, c[0] + w / 2 + dx, c[1] + h / 2 - dx, 0.08 * r)
    cv.line(back, WHITE, 0.13 * r, closed=True)
    cv.fill(rrect_pts(c[0] - w / 2 - dx - 0.07 * r, c[1] - h / 2 + dx - 0.07 * r,
                      c[0] + w / 2 - dx + 0.07 * r, c[1] + h / 2 + dx + 0.07 * r, 0.1 * r), color)  # fmt: skip
    cv.fill(
        rrect_pts(c[0] - w / 2 - dx, c[1] - h / 2 + dx, c[0] + w / 2 - dx, c[1] + h / 2 + dx, 0.08 * r), WHITE
    )


def baby(cv: Canvas, cx: float, cy: float, k: float, fill: str) -> None:
    """A swaddled baby (bedong) scaled by ``k`` about the middle of the bundle, like the akta_lahir icon."""

    def p(x: float, y: float) -> Point:
        return (cx + (x - 128) * k, cy + (y - 146) * k)

    width = max(6.0, 9 * k)
    cv.outlined([Poly.of(ellipse_pts(p(128, 146), (70 * k, 96 * k)))], fill, NAVY, width)
    cv.outlined([Poly.of(ellipse_pts(p(128, 96), (40 * k, 40 * k)))], WHITE, NAVY, width)
    cv.arc(p(128, 96), (44 * k, 44 * k), 200, 340, NAVY, width)
    for x in (113, 143):
        cv.arc(p(x, 98), (8 * k, 6 * k), 20, 160, NAVY, max(4.0, 5 * k))
    cv.arc(p(96, 150), (80 * k, 70 * k), -40, 30, NAVY, width * 0.9)


def lily(cv: Canvas, cx: float, cy: float, k: float) -> None:
    """The white lily used for death (as on the akta_kematian icon), scaled by ``k`` about its flower base."""

    def p(x: float, y: float) -> Point:
        return (cx + (x - 128) * k, cy + (y - 140) * k)

    cv.line([p(x, y) for x, y in bezier((128, 140), (132, 180), (120, 210), (128, 236))], GREEN, 14 * k)
    cv.outlined([Poly.of(ellipse_pts(p(166, 196), (42 * k, 14 * k), -35))], GREEN, NAVY, 6)
    cv.outlined([Poly.of(ellipse_pts(p(90, 212), (38 * k, 13 * k), 30))], GREEN, NAVY, 6)
    for ang, (x, y) in ((-55, (92, 106)), (55, (164, 106))):
        cv.outlined([Poly.of(ellipse_pts(p(x, y), (58 * k, 22 * k), ang))], WHITE, NAVY, 8)
    cv.outlined([Poly.of(ellipse_pts(p(128, 82), (24 * k, 62 * k)))], WHITE, NAVY, 8)


def star(cx: float, cy: float, r: float) -> Poly:
    """A five-pointed star, point up."""
    pts = []
    for i in range(10):
        t = math.radians(-90 + 36 * i)
        rr = r if i % 2 == 0 else 0.42 * r
        pts.append((cx + rr * math.cos(t), cy + rr * math.sin(t)))
    return Poly.of(pts)


def photo_print(cv: Canvas) -> tuple[float, float, float, float]:
    """A photo print: white border, wider at the bottom, around the picture; returns the picture's box."""
    cv.box(20, 22, 236, 236, 10)
    pic = (44, 46, 212, 182)
    cv.line(rrect_pts(*pic, 4), NAVY, 7, closed=True)
    cv.line([(pic[0] + 2, pic[3] - 4), (pic[2] - 2, pic[3] - 4)], NAVY, 8)
    return pic


# documents ----------
def doc_ktp(cv: Canvas) -> None:
    """An e-KTP on its own (for catalogs of other offices; the shipped catalog asks for copies)."""
    id_card(cv, 18, 50, 238, 206)


def doc_ktp_copy(cv: Canvas) -> None:
    """Photocopy of the KTP: the blue card printed on a sheet, a second sheet behind, the copy mark."""
    x0, y0, x1, _ = copy_stack(cv)
    id_card(cv, x0 + 4, y0 + 22, x1 + 10, y0 + 118)
    text_bars(cv, x0 + 20, y0 + 146, [92, 70], 26, width=10)
    copy_badge(cv, (204, 214), 38, BLUE)


def doc_ktp_deceased(cv: Canvas) -> None:
    """KTP of the deceased: the e-KTP with a black mourning ribbon across its corner, as on a memorial photo."""
    x0, y0, x1, y1 = 18, 50, 238, 206
    id_card(cv, x0, y0, x1, y1)
    ribbon = [(x1 - 100, y0 - 14), (x1 - 50, y0 - 14), (x1 + 12, y0 + 48), (x1 + 12, y0 + 98)]
    cv.outlined([Poly.of(ribbon)], NAVY, WHITE, 6)


def doc_aid_card(cv: Canvas) -> None:
    """The social-aid card (KKS, KIS, PKH): a teal bank-style card with a chip and the aid heart."""
    cv.box(18, 50, 238, 206, 20, fill=TEAL)
    cv.box(38, 76, 92, 118, 8, fill=WHITE, width=6)
    cv.line([(38, 97), (92, 97)], NAVY, 5)
    cv.line([(65, 76), (65, 118)], NAVY, 5)
    text_bars(cv, 42, 150, [84, 60], 28, width=11)
    cv.disc((178, 128), 50, NAVY)
    cv.disc((178, 128), 44, WHITE)
    cv.outlined(heart(178, 132, 30), TEAL, NAVY, 6)


def doc_kk(cv: Canvas) -> None:
    """The original family card: one sheet with the family on it."""
    sheet(cv, 50, 20, 206, 236)
    family(cv, 116, 112, 64, ORANGE)
    text_bars(cv, 74, 146, [108, 90, 108, 70], 24, width=10)


def doc_kk_copy(cv: Canvas) -> None:
    """Photocopy of the family card: the family sheet with a second sheet behind and the copy mark."""
    x0, y0, _, _ = copy_stack(cv)
    family(cv, x0 + 68, y0 + 82, 56, ORANGE)
    text_bars(cv, x0 + 22, y0 + 112, [106, 86, 64], 24, width=10)
    copy_badge(cv, (204, 214), 38, ORANGE)


def doc_letter(cv: Canvas) -> None:
    """A letter with a signature and stamp (for catalogs of other offices; each shipped letter has its mark)."""
    sheet(cv, 50, 20, 206, 236)
    text_bars(cv, 74, 64, [84, 108, 100, 108, 64], 24, width=10)
    cv.ring((162, 196), 22, BLUE, 7)
    cv.disc((162, 196), 9, BLUE)
    cv.line([(76, 204), (90, 190), (100, 206), (112, 192), (124, 200)], NAVY, 6)


def doc_police_report(cv: Canvas) -> None:
    """The police report of a loss: a letter carrying the police shield with its star."""
    letter(cv)
    right = bezier((176, 128), (176, 200), (156, 222), (128, 236))
    left = bezier((128, 236), (100, 222), (80, 200), (80, 164))[1:]
    shield = np.concatenate([[(128, 118), (176, 128)], right, left, [(80, 128)]])
    cv.outlined([Poly.of(shield)], GOLD, NAVY, 9)
    cv.outlined([star(128, 172, 30)], WHITE, NAVY, 6)


def doc_supporting_letter(cv: Canvas) -> None:
    """A supporting letter from the village: a letter with the village office's round stamp (a house)."""
    letter(cv)
    c = (128, 176)
    cv.ring(c, 50, PURPLE, 10)
    cv.ring(c, 35, PURPLE, 5)
    cv.fill([(100, 176), (128, 148), (156, 176)], PURPLE)
    cv.fill(rrect_pts(108, 174, 148, 202, 2), PURPLE)
    cv.fill(rrect_pts(122, 184, 134, 202, 2), WHITE)


def doc_birth_letter(cv: Canvas) -> None:
    """The birth letter from the midwife or hospital: a letter with a swaddled baby."""
    letter(cv)
    baby(cv, 128, 178, 0.60, PINK)


def doc_death_letter(cv: Canvas) -> None:
    """The letter of death: a letter with the white lily."""
    letter(cv)
    lily(cv, 128, 170, 0.60)


def doc_birth_certificate(cv: Canvas) -> None:
    """The birth certificate (akta kelahiran): a framed certificate with a baby and a gold seal on ribbons."""
    cv.box(24, 18, 232, 238, 8)
    cv.line(rrect_pts(44, 38, 212, 218, 4), NAVY, 4, closed=True)
    baby(cv, 98, 106, 0.52, GOLD)
    text_bars(cv, 64, 170, [60, 44], 26, width=10)
    cx, cy = 166, 150
    tails = [
        Poly.of([(cx - 18, cy), (cx - 30, cy + 66), (cx - 12, cy + 56), (cx - 2, cy + 72), (cx + 6, cy)]),
        Poly.of([(cx + 18, cy), (cx + 30, cy + 66), (cx + 12, cy + 56), (cx + 2, cy + 72), (cx - 6, cy)]),
    ]
    cv.outlined(tails, GOLD, NAVY, 7)
    cv.outlined([star(cx, cy, 40), Poly.of(ellipse_pts((cx, cy), (30, 30)))], GOLD, NAVY, 7)
    cv.ring((cx, cy), 16, NAVY, 5)


def doc_business_photo(cv: Canvas) -> None:
    """A photo of the business: a photo print showing a warung (a scalloped, striped awning over a counter)."""
    x0, y0, x1, y1 = photo_print(cv)
    cv.box(x0 + 22, y0 + 60, x1 - 22, y1 - 4, 4, fill=WHITE, width=8)
    cv.box(x0 + 40, y0 + 84, x0 + 76, y1 - 4, 3, fill=ORANGE, width=7)
    n, left, right, top, bot = 5, x0 + 10, x1 - 10, y0 + 12, y0 + 48
    step = (right - left) / n
    shapes: list[Shape] = [Poly.of([(left, top), (right, top), (right, bot), (left, bot)])]
    shapes += [Disc((left + step * (i + 0.5), bot), step / 2) for i in range(n)]
    cv.outlined(shapes, WHITE, NAVY, 7)
    for i in range(0, n, 2):
        a, b = left + step * i, left + step * (i + 1)
        cv.fill([(a, top), (b, top), (b, bot), (a, bot)], ORANGE)
        cv.disc(((a + b) / 2, bot), step / 2, ORANGE)


def doc_house_photo(cv: Canvas) -> None:
    """A photo of the house: a photo print showing a house."""
    x0, y0, x1, y1 = photo_print(cv)
    house(cv, (x0 + x1) / 2, y1 - 6, 128, 118, roof=TERRACOTTA, width=8)


def doc_photo(cv: Canvas) -> None:
    """A sheet and the camera: the camera sees no document (a hint, not a catalog document)."""
    sheet(cv, 26, 16, 164, 204)
    text_bars(cv, 48, 58, [82, 64, 82], 26, width=10)
    cv.fill(rrect_pts(81, 130, 247, 244, 24), WHITE)
    cv.fill(rrect_pts(124, 109, 204, 140, 12), WHITE)
    camera(cv, 164, 178, 150, BLUE)


def doc_bring(cv: Canvas) -> None:
    sheet(cv, 92, 16, 224, 186)
    text_bars(cv, 114, 58, [70, 84, 60], 26, width=10)
    cv.fill(rrect_pts(176, 134, 206, 164, 4), BLUE)
    hand = palm_up_hand(110, 184, 72)
    cv.outlined(hand, WHITE, WHITE, 16)
    cv.outlined(hand, WHITE)
    finger_lines(cv, 110, 184, 72)


def doc_marriage(cv: Canvas) -> None:
    """The marriage book: a booklet with two rings."""
    cv.box(44, 20, 212, 236, 12, fill=GREEN)
    cv.line([(64, 24), (64, 232)], NAVY, 8)
    cv.ring((118, 128), 34, GOLD, 12)
    cv.ring((158, 128), 34, GOLD, 12)


DOCUMENT_DRAWINGS = {
    "doc_ktp": doc_ktp, "doc_ktp_copy": doc_ktp_copy, "doc_ktp_deceased": doc_ktp_deceased,
    "doc_aid_card": doc_aid_card, "doc_kk": doc_kk, "doc_kk_copy": doc_kk_copy, "doc_letter": doc_letter,
    "doc_police_report": doc_police_report, "doc_supporting_letter": doc_supporting_letter,
    "doc_birth_letter": doc_birth_letter, "doc_death_letter": doc_death_letter,
    "doc_birth_certificate": doc_birth_certificate, "doc_business_photo": doc_business_photo,
    "doc_house_photo": doc_house_photo, "doc_photo": doc_photo, "doc_bring": doc_bring,
    "doc_marriage": doc_marriage,
}  # fmt: skip
"""Icon id -> drawing, for :data:`tools.icons.make_icons.ICONS`."""
