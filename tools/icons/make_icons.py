"""Draw every kiosk pictogram into ``kiosk/ui/icons/<id>.png`` plus a labelled ``contact_sheet.png``.

Run ``python -m tools.icons.make_icons`` (or this file directly). Icons are 256x256 RGBA PNGs with a
transparent background: thick navy (#1B2A41) shapes with one accent colour each and no letters, because many
citizens read little. Drawing uses only numpy and OpenCV (see ``canvas.py``) and is deterministic.
``--only ID`` draws some icons; ``--out DIR`` writes elsewhere (the tests use it).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import cv2
import numpy as np

from kiosk.ui.icons import ICON_DIR, ICON_IDS
from tools.icons.canvas import (
    NAVY,
    WHITE,
    Canvas,
    Disc,
    Poly,
    Shape,
    Stroke,
    bezier,
    ellipse_pts,
    rrect_pts,
)
from tools.icons.documents import DOCUMENT_DRAWINGS
from tools.icons.parts import (
    AMBER,
    BLUE,
    GOLD,
    GREEN,
    ORANGE,
    PINK,
    RED,
    ROSE,
    SKY,
    TEAL,
    TERRACOTTA,
    camera,
    check_badge,
    cross_badge,
    cycle_badge,
    envelope,
    exclaim_badge,
    family,
    finger_lines,
    heart,
    house,
    id_card,
    open_hand,
    padi,
    palm_up_hand,
    pencil,
    person,
    plus_badge,
    sack,
    sack_tie,
    sheet,
    speaker,
    text_bars,
)

log = logging.getLogger(__name__)

Draw = Callable[[Canvas], None]
PNG_FLAGS = [cv2.IMWRITE_PNG_COMPRESSION, 9]


# services ----------
def ktp(cv: Canvas) -> None:
    id_card(cv, 18, 50, 238, 206)


def ktp_new(cv: Canvas) -> None:
    id_card(cv, 10, 30, 206, 170)
    plus_badge(cv, (196, 190), 44)


def ktp_replace(cv: Canvas) -> None:
    id_card(cv, 10, 30, 206, 170)
    cycle_badge(cv, (196, 190), 44)


def kk(cv: Canvas) -> None:
    family(cv, 128, 216, 150, ORANGE)


def kk_new(cv: Canvas) -> None:
    family(cv, 110, 190, 128, ORANGE)
    plus_badge(cv, (200, 196), 42)


def kk_change(cv: Canvas) -> None:
    family(cv, 110, 190, 128, ORANGE)
    pencil(cv, (196, 194), 120, AMBER)


def akta(cv: Canvas) -> None:
    cv.outlined([Poly.of([(52, 44), (204, 44), (204, 206), (52, 206)])], WHITE)
    for y in (40, 210):
        cv.outlined([Stroke(((42, y), (214, y)), 24)], WHITE)
        cv.disc((42, y), 5, NAVY)
        cv.disc((214, y), 5, NAVY)
    text_bars(cv, 76, 84, [104, 80, 90], 28, width=10)
    cx, cy = 170, 164
    cv.outlined(
        [
            Poly.of([(cx - 22, cy), (cx - 36, cy + 62), (cx - 16, cy + 52), (cx - 4, cy + 68), (cx + 6, cy)]),
            Poly.of([(cx + 22, cy), (cx + 36, cy + 62), (cx + 16, cy + 52), (cx + 4, cy + 68), (cx - 6, cy)]),
        ],
        GOLD,
        NAVY,
        7,
    )
    cv.outlined([Disc((cx, cy), 30)], GOLD, NAVY, 8)
    cv.ring((cx, cy), 17, NAVY, 5)


def akta_lahir(cv: Canvas) -> None:
    bundle = Poly.of(ellipse_pts((128, 146), (70, 96)))
    cv.outlined([bundle], PINK)
    cv.outlined([Disc((128, 96), 40)], WHITE, NAVY, 9)
    cv.arc((128, 96), (44, 44), 200, 340, NAVY, 9)
    for x in (113, 143):
        cv.arc((x, 98), (8, 6), 20, 160, NAVY, 5)
    cv.arc((128, 110), (10, 7), 20, 160, NAVY, 5)
    cv.arc((96, 150), (80, 70), -40, 30, NAVY, 8)
    cv.arc((170, 196), (80, 60), 190, 250, NAVY, 8)


def akta_kematian(cv: Canvas) -> None:
    cv.line(bezier((128, 140), (132, 180), (120, 210), (128, 240)), GREEN, 12)
    cv.outlined([Poly.of(ellipse_pts((166, 196), (42, 13), -35))], GREEN, NAVY, 6)
    cv.outlined([Poly.of(ellipse_pts((90, 212), (38, 12), 30))], GREEN, NAVY, 6)
    for ang, c in ((-55, (92, 106)), (55, (164, 106))):
        cv.outlined([Poly.of(ellipse_pts(c, (58, 22), ang))], WHITE, NAVY, 9)
    cv.outlined([Poly.of(ellipse_pts((128, 82), (24, 62)))], WHITE, NAVY, 9)
    for dx in (-14, 0, 14):
        cv.line([(128, 136), (128 + dx, 108)], NAVY, 5)
        cv.disc((128 + dx, 104), 7, AMBER)


def surat(cv: Canvas) -> None:
    envelope(cv, 20, 58, 236, 206)
    cv.outlined([Poly.of(rrect_pts(160, 74, 212, 128, 4))], WHITE, NAVY, 5)
    cv.fill(rrect_pts(168, 82, 204, 120, 3), ORANGE)
    cv.disc((186, 101), 8, WHITE)


def sk_domisili(cv: Canvas) -> None:
    house(cv, 128, 226, 216, 200, roof=TERRACOTTA)
    cv.box(158, 146, 192, 180, 4, fill=SKY, width=7)
    cv.box(64, 146, 98, 180, 4, fill=SKY, width=7)


def sktm(cv: Canvas) -> None:
    bowl = Poly.of(ellipse_pts((128, 140), (100, 76), 0, 0, 180))
    cv.outlined([bowl], WHITE)
    cv.outlined([Poly.of(rrect_pts(96, 206, 160, 222, 6))], NAVY, NAVY, 4)
    cv.outlined([Poly.of(ellipse_pts((128, 140), (100, 18)))], WHITE, NAVY, 9)
    pts = [(40, 30), (96, 72), (130, 52), (196, 104)]
    cv.line(pts[:-1] + [(183, 94)], ORANGE, 14)
    cv._head((202, 110), math.atan2(52, 66), 22, ORANGE)


def sk_usaha(cv: Canvas) -> None:
    cv.box(40, 96, 216, 228, 6)
    cv.fill(rrect_pts(62, 112, 194, 176, 6), NAVY)
    for x, top in ((86, 132), (116, 124), (146, 138), (172, 128)):
        cv.fill(rrect_pts(x - 10, top, x + 10, 170, 5), ORANGE if x in (86, 146) else WHITE)
    cv.box(50, 166, 206, 228, 4)
    n, x0, x1, top, bot = 6, 22, 234, 40, 92
    step = (x1 - x0) / n
    shapes: list[Shape] = [Poly.of([(x0 + 6, top), (x1 - 6, top), (x1, bot), (x0, bot)])]
    shapes += [Disc((x0 + step * (i + 0.5), bot), step / 2) for i in range(n)]
    cv.outlined(shapes, WHITE)
    for i in range(0, n, 2):
        a, b = x0 + step * i, x0 + step * (i + 1)
        t = 6 * (1 - i / n) if i < n / 2 else 0
        cv.fill([(a + t, top), (b, top), (b, bot), (a, bot)], ORANGE)
        cv.disc(((a + b) / 2, bot), step / 2, ORANGE)


def pengantar_nikah(cv: Canvas) -> None:
    c1, c2, r = (96, 150), (160, 150), 58

    def ring_arc(c: tuple[float, float], a0: float, a1: float) -> None:
        cv.arc(c, (r, r), a0, a1, NAVY, 28)
        cv.arc(c, (r, r), a0, a1, GOLD, 12)

    ring_arc(c1, 0, 360)
    ring_arc(c2, 0, 360)
    ring_arc(c1, -70, 10)
    gem = [(160, 58), (180, 78), (160, 104), (140, 78)]
    cv.outlined([Poly.of(gem)], WHITE, NAVY, 8)
    cv.line([(140, 78), (180, 78)], NAVY, 5)


def bansos(cv: Canvas) -> None:
    box = (60, 18, 196, 186)
    cv.outlined(sack(*box), WHITE)
    sack_tie(cv, *box)
    cv.outlined(heart(128, 134, 34), ROSE, NAVY, 6)
    for mirror, x in ((False, 76), (True, 180)):
        hand = palm_up_hand(x, 192, 50, mirror=mirror)
        cv.outlined(hand, WHITE, WHITE, 16)
        cv.outlined(hand, WHITE)
        finger_lines(cv, x, 192, 50, mirror)


def bansos_dtks(cv: Canvas) -> None:
    cv.box(34, 40, 186, 232, 12)
    cv.outlined([Poly.of(rrect_pts(76, 22, 144, 60, 10))], TEAL, NAVY, 8)
    for i, y in enumerate((96, 140, 184)):
        cv.box(58, y - 14, 86, y + 14, 4, fill=TEAL if i < 2 else WHITE, width=6)
        cv.line([(100, y), (160 - 20 * (i % 2), y)], NAVY, 10)
    cv.outlined(open_hand(200, 178, 40, rot=-12), WHITE, WHITE, 16)
    cv.outlined(open_hand(200, 178, 40, rot=-12), WHITE)


def bansos_complaint(cv: Canvas) -> None:
    box = (30, 36, 176, 226)
    cv.outlined(sack(*box), WHITE)
    sack_tie(cv, *box)
    padi(cv, 103, 164, 70, AMBER)
    tri = [(196, 24), (244, 114), (148, 114)]
    cv.outlined([Poly.of(tri)], WHITE, WHITE, 14)
    cv.outlined([Poly.of(tri)], AMBER, NAVY, 8)
    cv.line([(196, 54), (196, 86)], NAVY, 11)
    cv.disc((196, 101), 6.5, NAVY)


def pengaduan(cv: Canvas) -> None:
    cv.line([(104, 150), (96, 200)], NAVY, 22)
    cv.fill(rrect_pts(30, 100, 66, 158, 8), NAVY)
    cv.outlined([Poly.of([(62, 108), (168, 56), (168, 202), (62, 150)])], ORANGE, NAVY, 10)
    cv.outlined([Poly.of(ellipse_pts((168, 129), (14, 76)))], NAVY, NAVY, 2)
    for r in (34, 58):
        cv.arc((180, 129), (r, r), -40, 40, NAVY, 11)


def call_staff(cv: Canvas) -> None:
    person(cv, 100, 246, 180)
    cv.outlined([Stroke(((120, 170), (166, 112), (176, 92)), 30)], NAVY, WHITE, 6)
    hand = open_hand(180, 80, 32, rot=12)
    cv.outlined(hand, AMBER, WHITE, 6)
    cv.outlined(hand, AMBER, NAVY, 7)
    for a in (-155, -25):
        t = math.radians(a)
        cv.line(
            [
                (178 + 52 * math.cos(t), 62 + 52 * math.sin(t)),
                (178 + 70 * math.cos(t), 62 + 70 * math.sin(t)),
            ],
            NAVY,
            9,
        )


# global actions ----------
def ulang(cv: Canvas) -> None:
    cv.arc_arrow((128, 128), 100, -50, 235, BLUE, 20, head=30)
    speaker(cv, 144, 128, 76, NAVY, n_waves=2)


def fat_arrow(cv: Canvas, direction: int, fill: str) -> None:
    pts = [(28, 128), (118, 40), (118, 92), (226, 92), (226, 164), (118, 164), (118, 216)]
    if direction > 0:
        pts = [(256 - x, y) for x, y in pts]
    cv.outlined([Poly.of(pts)], fill, NAVY, 10)


def kembali(cv: Canvas) -> None:
    fat_arrow(cv, -1, BLUE)


def next_(cv: Canvas) -> None:
    fat_arrow(cv, 1, GREEN)


def batal(cv: Canvas) -> None:
    cv.ring((128, 128), 100, NAVY, 22)
    for a, b in (((84, 84), (172, 172)), ((84, 172), (172, 84))):
        cv.line([a, b], RED, 28)


def ya(cv: Canvas) -> None:
    cv.disc((128, 128), 112, GREEN)
    cv.line([(70, 132), (112, 176), (190, 88)], WHITE, 30)


def tidak(cv: Canvas) -> None:
    cv.disc((128, 128), 112, RED)
    for a, b in (((82, 82), (174, 174)), ((82, 174), (174, 82))):
        cv.line([a, b], WHITE, 30)


def speaker_(cv: Canvas) -> None:
    speaker(cv, 130, 128, 100, BLUE)


def mic(cv: Canvas) -> None:
    cv.outlined([Stroke(((128, 64), (128, 118)), 66)], BLUE, NAVY, 10)
    for y in (78, 100):
        cv.line([(112, y), (144, y)], NAVY, 7)
    cv.arc((128, 112), (62, 62), 0, 180, NAVY, 14)
    cv.line([(128, 174), (128, 214)], NAVY, 14)
    cv.line([(88, 220), (168, 220)], NAVY, 14)


def mic_off(cv: Canvas) -> None:
    """The microphone struck through: voice input cannot work here (touch still does)."""
    mic(cv)
    cv.line([(46, 46), (210, 210)], WHITE, 40)
    cv.line([(46, 46), (210, 210)], RED, 22)


def camera_(cv: Canvas) -> None:
    camera(cv, 128, 128, 220, BLUE)


def keypad_del(cv: Canvas) -> None:
    pts = [(22, 128), (84, 52), (232, 52), (232, 204), (84, 204)]
    cv.outlined(
        [Poly.of([(x + (5 if x > 30 else 9), y + (5 if y < 128 else -5 if y > 128 else 0)) for x, y in pts])],
        WHITE,
        NAVY,
        11,
    )
    for a, b in (((124, 98), (184, 158)), ((124, 158), (184, 98))):
        cv.line([a, b], RED, 22)


def home(cv: Canvas) -> None:
    house(cv, 128, 226, 216, 200, roof=WHITE, door=BLUE)


# languages ----------
def lang_id(cv: Canvas) -> None:
    cv.line([(40, 30), (40, 234)], NAVY, 14)
    cv.disc((40, 26), 10, NAVY)
    x0, y0, x1, y1 = 52, 46, 228, 166
    cv.fill(rrect_pts(x0 - 9, y0 - 9, x1 + 9, y1 + 9, 10), NAVY)
    cv.fill([(x0, y0), (x1, y0), (x1, (y0 + y1) / 2), (x0, (y0 + y1) / 2)], RED)
    cv.fill([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2), (x1, y1), (x0, y1)], WHITE)


def lang_en(cv: Canvas) -> None:
    cv.outlined([Poly.of(rrect_pts(24, 36, 232, 172, 36)), Poly.of([(62, 160), (50, 224), (116, 166)])], SKY)
    text_bars(cv, 62, 76, [130, 100, 116], 30, width=13)


# fields ----------
def nik(cv: Canvas) -> None:
    cv.box(16, 50, 240, 206, 20, fill=BLUE)
    cv.line([(44, 82), (140, 82)], NAVY, 12)
    for y in (128, 170):
        for i in range(8):
            x = 44 + i * 22 + (16 if i >= 4 else 0)
            cv.disc((x, y), 9, NAVY)


def phone(cv: Canvas) -> None:
    cv.box(66, 16, 190, 240, 24, fill=NAVY)
    cv.fill(rrect_pts(80, 50, 176, 196, 6), SKY)
    cv.line([(112, 33), (144, 33)], WHITE, 6)
    cv.disc((128, 218), 9, WHITE)


def rt_rw(cv: Canvas) -> None:
    house(cv, 66, 232, 104, 92, roof=WHITE, width=9)
    house(cv, 190, 232, 104, 92, roof=WHITE, width=9)
    house(cv, 128, 240, 90, 80, roof=WHITE, width=9)
    pin = [tuple(p) for p in ellipse_pts((128, 66), (46, 46), 0, 140, 400)] + [(128, 150)]
    cv.outlined([Poly.of(pin)], WHITE, WHITE, 8)
    cv.outlined([Poly.of(pin)], ORANGE, NAVY, 9)
    cv.disc((128, 66), 17, WHITE)


def date(cv: Canvas) -> None:
    cv.box(24, 40, 232, 230, 16)
    cv.fill(rrect_pts(24, 40, 232, 96, 16), NAVY)
    cv.fill(rrect_pts(35, 51, 221, 92, 6), ORANGE)
    for x in (76, 180):
        cv.outlined([Stroke(((x, 24), (x, 62)), 12)], NAVY, WHITE, 5)
    for r, y in enumerate((124, 160, 196)):
        for c, x in enumerate((62, 104, 146, 188)):
            if (r, c) == (1, 2):
                cv.box(x - 20, y - 16, x + 20, y + 16, 6, fill=ORANGE, width=6)
            else:
                cv.fill(rrect_pts(x - 12, y - 10, x + 12, y + 10, 4), NAVY)


def name(cv: Canvas) -> None:
    head = Disc((128, 80), 46)
    body = Poly.of(ellipse_pts((128, 246), (96, 108), 0, 180, 360))
    cv.outlined([body], BLUE, NAVY, 11)
    cv.outlined([head], NAVY, WHITE, 8)


def choice(cv: Canvas) -> None:
    for i, y in enumerate((58, 128, 198)):
        if i == 0:
            cv.disc((50, y), 26, GREEN)
            cv.line([(38, y), (47, y + 9), (63, y - 9)], WHITE, 7)
        else:
            cv.ring((50, y), 21, NAVY, 10)
        cv.line([(98, y), (226 - 30 * (i % 2), y)], NAVY, 22)


# camera hints ----------
def small_card(cv: Canvas, x0: float = 70, y0: float = 88, x1: float = 186, y1: float = 168) -> None:
    id_card(cv, x0, y0, x1, y1)


def hint_closer(cv: Canvas) -> None:
    small_card(cv)
    for (sx, sy), (ex, ey) in (
        (((62, 80), (20, 38))),
        (((194, 80), (236, 38))),
        (((62, 176), (20, 218))),
        (((194, 176), (236, 218))),
    ):
        cv.arrow((sx, sy), (ex, ey), GREEN, 13, head=22)


def hint_steady(cv: Canvas) -> None:
    cv.outlined(open_hand(128, 150, 62), WHITE)
    for side in (-1, 1):
        for r in (86, 108):
            cv.arc((128, 130), (r, r), 180 - 28 if side < 0 else -28, 180 + 28 if side < 0 else 28, NAVY, 9)
        x = 128 + side * 97
        cv.line([(x - 22, 108), (x + 22, 152)], RED, 12)
        cv.line([(x - 22, 152), (x + 22, 108)], RED, 12)


def hint_light(cv: Canvas) -> None:
    shapes: list[Disc | Stroke] = [Disc((128, 128), 50)]
    for i in range(8):
        t = math.radians(i * 45)
        shapes.append(
            Stroke(
                (
                    (128 + 74 * math.cos(t), 128 + 74 * math.sin(t)),
                    (128 + 104 * math.cos(t), 128 + 104 * math.sin(t)),
                ),
                18,
            )
        )
    cv.outlined(shapes, AMBER, NAVY, 8)


def sparkle(cx: float, cy: float, r: float) -> Poly:
    pts = []
    for i in range(8):
        t = math.radians(i * 45 - 90)
        rr = r if i % 2 == 0 else r * 0.28
        pts.append((cx + rr * math.cos(t), cy + rr * math.sin(t)))
    return Poly.of(pts)


def hint_glare(cv: Canvas) -> None:
    id_card(cv, 14, 56, 206, 192)
    cv.outlined([sparkle(110, 116, 62)], WHITE, NAVY, 8)
    cross_badge(cv, (198, 190), 42)


def hint_center(cv: Canvas) -> None:
    cv.ring((128, 128), 96, NAVY, 14)
    cv.ring((128, 128), 52, NAVY, 12)
    for a, b in (
        ((128, 14), (128, 60)),
        ((128, 196), (128, 242)),
        ((14, 128), (60, 128)),
        ((196, 128), (242, 128)),
    ):
        cv.line([a, b], NAVY, 14)
    cv.disc((128, 128), 22, GREEN)


def hint_ok(cv: Canvas) -> None:
    id_card(cv, 10, 30, 206, 170)
    check_badge(cv, (196, 190), 46)


# ticket status (what the office says about a request) ----------
def status_diterima(cv: Canvas) -> None:
    """Received: the letter has arrived (an envelope with a tick)."""
    envelope(cv, 16, 52, 216, 190)
    check_badge(cv, (196, 190), 44)


def status_diproses(cv: Canvas) -> None:
    """Being worked on: an hourglass."""
    cv.outlined(
        [Poly.of([(64, 28), (192, 28), (136, 128), (192, 228), (64, 228), (120, 128)])], WHITE, NAVY, 10
    )
    cv.fill([(96, 56), (160, 56), (128, 110)], AMBER)
    cv.fill([(128, 160), (170, 214), (86, 214)], AMBER)
    for y in (24, 232):
        cv.line([(48, y), (208, y)], NAVY, 16)


def status_siap(cv: Canvas) -> None:
    """Ready to collect: a new card held out on an open hand."""
    id_card(cv, 60, 28, 232, 136)
    hand = palm_up_hand(118, 168, 88)
    cv.outlined(hand, WHITE, WHITE, 16)
    cv.outlined(hand, WHITE)
    finger_lines(cv, 118, 168, 88)


def status_selesai(cv: Canvas) -> None:
    """Done: a sheet with a tick."""
    sheet(cv, 40, 20, 186, 226)
    text_bars(cv, 64, 64, [92, 74, 92, 56], 28, width=10)
    check_badge(cv, (192, 192), 46)


def status_kurang(cv: Canvas) -> None:
    """A document is missing: a sheet, the place of a second one empty, and a warning."""
    for x in range(120, 232, 24):
        cv.line([(x, 60), (x + 12, 60)], NAVY, 7)
        cv.line([(x, 236), (x + 12, 236)], NAVY, 7)
    for y in range(60, 236, 24):
        cv.line([(232, y), (232, y + 12)], NAVY, 7)
    sheet(cv, 24, 20, 150, 206)
    text_bars(cv, 46, 62, [80, 64, 80], 26, width=10)
    exclaim_badge(cv, (190, 164), 42)


def status_ditolak(cv: Canvas) -> None:
    """Refused: a sheet with a cross."""
    sheet(cv, 40, 20, 186, 226)
    text_bars(cv, 64, 64, [92, 74, 92, 56], 28, width=10)
    cross_badge(cv, (192, 192), 46)


# choices (options of choice fields): each its own picture, never a service's or an action's ----------
def minus_badge(cv: Canvas, c: tuple[float, float], r: float = 42, color: str = ORANGE) -> None:
    cv.disc(c, r + 7, WHITE)
    cv.disc(c, r, color)
    cv.line([(c[0] - 0.55 * r, c[1]), (c[0] + 0.55 * r, c[1])], WHITE, 0.30 * r)


def opt_lost(cv: Canvas) -> None:
    """Lost: a card and a magnifying glass searching for it."""
    id_card(cv, 14, 40, 190, 160, face=True)
    cv.disc((176, 172), 46, WHITE)
    cv.ring((176, 172), 40, NAVY, 14)
    cv.line([(204, 200), (240, 236)], NAVY, 22)


def opt_damaged(cv: Canvas) -> None:
    """Damaged: a card split by a crack."""
    id_card(cv, 18, 50, 238, 206)
    crack = [(120, 40), (140, 90), (112, 124), (146, 170), (126, 216)]
    cv.line(crack, WHITE, 26)
    cv.line(crack, RED, 8)


def opt_member_add(cv: Canvas) -> None:
    person(cv, 80, 220, 150)
    person(cv, 150, 220, 120, fill=ORANGE, halo_w=7)
    plus_badge(cv, (200, 70), 40)


def opt_member_remove(cv: Canvas) -> None:
    person(cv, 80, 220, 150)
    person(cv, 150, 220, 120, fill=SKY, halo_w=7)
    minus_badge(cv, (200, 70), 40)


def opt_data_fix(cv: Canvas) -> None:
    sheet(cv, 30, 20, 176, 226)
    text_bars(cv, 54, 64, [92, 74, 92, 56], 30, width=10)
    pencil(cv, (184, 170), 130, AMBER)


def opt_school(cv: Canvas) -> None:
    """School: an open book."""
    cv.outlined([Poly.of([(128, 70), (30, 46), (30, 196), (128, 220)])], WHITE, NAVY, 10)
    cv.outlined([Poly.of([(128, 70), (226, 46), (226, 196), (128, 220)])], SKY, NAVY, 10)
    for i in range(3):
        cv.line([(48, 90 + 30 * i), (108, 104 + 30 * i)], NAVY, 7)


def opt_health(cv: Canvas) -> None:
    """Health care: a first-aid box with a cross."""
    cv.fill(rrect_pts(92, 40, 164, 76, 10), NAVY)
    cv.box(24, 64, 232, 220, 22, fill=WHITE)
    cv.line([(128, 96), (128, 190)], BLUE, 34)
    cv.line([(80, 143), (176, 143)], BLUE, 34)


def opt_shop(cv: Canvas) -> None:
    """A warung: a striped awning over a counter."""
    cv.box(36, 120, 220, 230, 6, fill=WHITE)
    for i in range(5):
        x = 20 + 43 * i
        cv.outlined(
            [Poly.of([(x, 40), (x + 43, 40), (x + 43, 100), (x, 100)])],
            ORANGE if i % 2 == 0 else WHITE,
            NAVY,
            6,
        )
    cv.box(64, 150, 128, 230, 4, fill=SKY)


def opt_farming(cv: Canvas) -> None:
    padi(cv, 90, 128, 180, GOLD)
    padi(cv, 168, 140, 150, GOLD)
    cv.line([(24, 234), (232, 234)], NAVY, 12)


def opt_fishing(cv: Canvas) -> None:
    """Fishing: a fish."""
    cv.outlined([Poly.of([(170, 128), (236, 76), (236, 180)])], SKY, NAVY, 9)
    cv.outlined([Poly.of(ellipse_pts((110, 128), (90, 54)))], SKY, NAVY, 9)
    cv.disc((66, 116), 10, NAVY)
    cv.arc((118, 128), (28, 44), -60, 60, NAVY, 7)


def opt_crafts(cv: Canvas) -> None:
    """Crafts: a woven basket."""
    cv.arc((128, 110), (70, 70), 180, 360, NAVY, 12)
    pts = [(32, 110), (224, 110), (196, 226), (60, 226)]
    cv.outlined([Poly.of(pts)], AMBER, NAVY, 10)
    for y in (140, 170, 200):
        cv.line([(40 + (y - 110) * 0.24, y), (216 - (y - 110) * 0.24, y)], NAVY, 6)
    for x in (84, 128, 172):
        cv.line([(x, 114), (x + (128 - x) * 0.2, 222)], NAVY, 6)


def opt_aid_missing(cv: Canvas) -> None:
    """Aid did not come: a rice sack with a cross."""
    cv.outlined(sack(24, 30, 184, 230), TERRACOTTA)
    sack_tie(cv, 24, 30, 184, 230)
    cross_badge(cv, (196, 186), 42)


def opt_aid_short(cv: Canvas) -> None:
    """Aid was short: a half-empty sack with a minus."""
    cv.outlined(sack(40, 100, 170, 230), TERRACOTTA)
    sack_tie(cv, 40, 100, 170, 230)
    minus_badge(cv, (196, 72), 42)


def opt_aid_wrong(cv: Canvas) -> None:
    """Aid went to the wrong person: a target with the arrow off its centre."""
    for r, c in ((100, WHITE), (70, RED), (40, WHITE)):
        cv.outlined([Disc((118, 138), r)], c, NAVY, 8)
    cv.disc((118, 138), 14, RED)
    cv.line([(236, 24), (196, 62)], NAVY, 12)
    cv.outlined([Poly.of([(172, 86), (204, 74), (186, 56)])], NAVY, NAVY, 4)


def opt_road(cv: Canvas) -> None:
    """A road going into the distance."""
    cv.outlined([Poly.of([(100, 24), (156, 24), (240, 232), (16, 232)])], "#5B6270", NAVY, 8)
    for y0, y1 in ((36, 64), (92, 132), (164, 216)):
        cv.line([(128, y0), (128, y1)], WHITE, 6 + y0 * 0.05)


def opt_water(cv: Canvas) -> None:
    """Water: a drop."""
    top = (128, 18)
    drop = [top] + [tuple(p) for p in ellipse_pts((128, 158), (78, 78), 0, -30, 210)]
    cv.outlined([Poly.of(drop)], SKY, NAVY, 10)
    cv.arc((128, 158), (48, 48), 100, 160, WHITE, 10)


def opt_electricity(cv: Canvas) -> None:
    """Electricity: a lightning bolt."""
    bolt = [(150, 16), (58, 144), (120, 144), (96, 240), (198, 104), (134, 104), (170, 16)]
    cv.outlined([Poly.of(bolt)], AMBER, NAVY, 10)


def opt_service(cv: Canvas) -> None:
    """The service at the office: a counter bell."""
    cv.outlined([Poly.of(ellipse_pts((128, 180), (92, 92), 0, 180, 360))], GOLD, NAVY, 10)
    cv.line([(20, 192), (236, 192)], NAVY, 18)
    cv.disc((128, 80), 14, NAVY)
    cv.arc((128, 180), (60, 60), 215, 255, WHITE, 9)


def start(cv: Canvas) -> None:
    """Start: a finger touching the screen (not the speaker, which means "say it again")."""
    for r in (42, 70):
        cv.arc((104, 84), (r, r), 200, 340, BLUE, 10)
    cv.outlined([Stroke(((104, 84), (104, 170)), 40)], WHITE, NAVY, 9)
    cv.outlined(
        [Poly.of([(84, 140), (196, 140), (204, 200), (160, 244), (92, 244), (70, 196)])], WHITE, NAVY, 9
    )
    cv.line([(136, 150), (136, 176)], NAVY, 6)
    cv.line([(168, 150), (168, 176)], NAVY, 6)


def staff_key(cv: Canvas) -> None:
    """The staff entry: a key (not the person of "petugas")."""
    cv.outlined([Disc((76, 128), 56)], GOLD, NAVY, 10)
    cv.disc((66, 128), 18, WHITE)
    cv.ring((66, 128), 18, NAVY, 8)
    cv.outlined([Poly.of([(124, 112), (236, 112), (236, 144), (124, 144)])], GOLD, NAVY, 9)
    for x in (186, 214):
        cv.outlined([Poly.of([(x, 140), (x + 18, 140), (x + 18, 184), (x, 184)])], GOLD, NAVY, 8)


# staff ----------
def staff(cv: Canvas) -> None:
    person(cv, 128, 250, 224)
    cv.line([(104, 150), (128, 188), (152, 150)], WHITE, 6)
    cv.outlined([Poly.of(rrect_pts(110, 186, 146, 232, 5))], BLUE, WHITE, 6)
    cv.line([(118, 218), (138, 218)], NAVY, 5)


def queue(cv: Canvas) -> None:
    for i, (dx, fill) in enumerate(((40, SKY), (20, SKY), (0, WHITE))):
        x0, y0 = 30 + dx, 62 - dx
        cv.outlined([Poly.of(rrect_pts(x0, y0, x0 + 150, y0 + 172, 8))], fill)
        if i == 2:
            text_bars(cv, x0 + 26, y0 + 40, [98, 80, 98, 60], 30, width=11)


def ticket(cv: Canvas) -> None:
    x0, y0, x1, y1, r = 18, 66, 238, 190, 22
    cy = (y0 + y1) / 2
    pts = [(x0, y0), (x1, y0)]
    pts += [tuple(p) for p in ellipse_pts((x1, cy), (r, r), 0, 270, 90 + 360 - 360)[::-1]] if False else []
    right = ellipse_pts((x1, cy), (r, r), 0, 90, 270)[::-1]
    left = ellipse_pts((x0, cy), (r, r), 0, -90, 90)[::-1]
    pts = [(x0, y0), (x1, y0)] + [tuple(p) for p in right] + [(x1, y1), (x0, y1)] + [tuple(p) for p in left]
    cv.outlined([Poly.of(pts)], ORANGE, NAVY, 10)
    for y in range(int(y0) + 16, int(y1) - 8, 20):
        cv.line([(170, y), (170, y + 8)], NAVY, 6)
    cv.disc((204, cy), 14, WHITE)
    text_bars(cv, 52, cy - 26, [86, 64, 86], 26, width=11, color=WHITE)


ICONS: dict[str, Draw] = {
    "ktp": ktp, "ktp_new": ktp_new, "ktp_replace": ktp_replace, "kk": kk, "kk_new": kk_new,
    "kk_change": kk_change, "akta": akta, "akta_lahir": akta_lahir, "akta_kematian": akta_kematian,
    "surat": surat, "sk_domisili": sk_domisili, "sktm": sktm, "sk_usaha": sk_usaha,
    "pengantar_nikah": pengantar_nikah, "bansos": bansos, "bansos_dtks": bansos_dtks,
    "bansos_complaint": bansos_complaint, "pengaduan": pengaduan, "call_staff": call_staff,
    "ulang": ulang, "kembali": kembali, "batal": batal, "bantuan": call_staff, "ya": ya, "tidak": tidak,
    "next": next_, "speaker": speaker_, "mic": mic, "mic_off": mic_off, "camera": camera_, "keypad_del": keypad_del, "home": home,
    "lang_id": lang_id, "lang_en": lang_en,
    "nik": nik, "phone": phone, "rt_rw": rt_rw, "date": date, "name": name, "choice": choice,
    "hint_closer": hint_closer, "hint_steady": hint_steady, "hint_light": hint_light,
    "hint_glare": hint_glare, "hint_center": hint_center, "hint_ok": hint_ok,
    "staff": staff, "queue": queue, "ticket": ticket,
    "status_diterima": status_diterima, "status_diproses": status_diproses, "status_siap": status_siap,
    "status_selesai": status_selesai, "status_kurang": status_kurang, "status_ditolak": status_ditolak,
    "opt_lost": opt_lost, "opt_damaged": opt_damaged, "opt_member_add": opt_member_add,
    "opt_member_remove": opt_member_remove, "opt_data_fix": opt_data_fix, "opt_school": opt_school,
    "opt_health": opt_health, "opt_shop": opt_shop, "opt_farming": opt_farming, "opt_fishing": opt_fishing,
    "opt_crafts": opt_crafts, "opt_aid_missing": opt_aid_missing, "opt_aid_short": opt_aid_short,
    "opt_aid_wrong": opt_aid_wrong, "opt_road": opt_road, "opt_water": opt_water,
    "opt_electricity": opt_electricity, "opt_service": opt_service,
    "start": start, "staff_key": staff_key,
    **DOCUMENT_DRAWINGS,
}  # fmt: skip
"""Icon id -> drawing function; must cover exactly ``ICON_IDS``."""


def render_icon(icon_id: str, size: int = 256) -> np.ndarray:
    """Draw one icon and return it as straight BGRA uint8 (``size`` x ``size``)."""
    if icon_id not in ICONS:
        raise KeyError(f"no drawing for icon id {icon_id!r}; known: {', '.join(ICONS)}")
    cv = Canvas(256)
    ICONS[icon_id](cv)
    out = cv.result()
    if size != 256:
        out = cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
    return out


def contact_sheet(images: dict[str, np.ndarray], cols: int = 8, cell: int = 200) -> np.ndarray:
    """All icons on light buttons in a grid, each with its id underneath (for review; text is fine here)."""
    ids = list(images)
    rows = math.ceil(len(ids) / cols)
    label_h = 30
    sheet_img = np.full((rows * (cell + label_h) + 10, cols * cell + 10, 3), 255, np.uint8)
    for k, icon_id in enumerate(ids):
        r, c = divmod(k, cols)
        x0, y0 = 5 + c * cell, 5 + r * (cell + label_h)
        button = (0xF6, 0xF3, 0xF1) if (r + c) % 2 else (0xFF, 0xFF, 0xFF)  # BGR
        cv2.rectangle(sheet_img, (x0 + 6, y0 + 6), (x0 + cell - 6, y0 + cell - 6), button, -1)
        cv2.rectangle(sheet_img, (x0 + 6, y0 + 6), (x0 + cell - 6, y0 + cell - 6), (0xD0, 0xD4, 0xDA), 1)
        icon = cv2.resize(images[icon_id], (cell - 24, cell - 24), interpolation=cv2.INTER_AREA).astype(float)
        a = icon[:, :, 3:4] / 255.0
        roi = sheet_img[y0 + 12 : y0 + cell - 12, x0 + 12 : x0 + cell - 12].astype(float)
        sheet_img[y0 + 12 : y0 + cell - 12, x0 + 12 : x0 + cell - 12] = np.round(
            icon[:, :, :3] * a + roi * (1 - a)
        ).astype(np.uint8)
        (tw, _), _ = cv2.getTextSize(icon_id, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1)
        cv2.putText(
            sheet_img,
            icon_id,
            (x0 + (cell - tw) // 2, y0 + cell + 18),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (0x41, 0x2A, 0x1B),
            1,
            cv2.LINE_AA,
        )
    return sheet_img


def write_icons(out_dir: Path, ids: Sequence[str], sheet: bool = True) -> list[Path]:
    """Render ``ids`` into ``out_dir/<id>.png`` (and the contact sheet when ``sheet``); returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    images: dict[str, np.ndarray] = {}
    written: list[Path] = []
    for n, icon_id in enumerate(ids, 1):
        images[icon_id] = render_icon(icon_id)
        path = out_dir / f"{icon_id}.png"
        if not cv2.imwrite(str(path), images[icon_id], PNG_FLAGS):
            raise OSError(f"could not write {path}; check that the folder is writable")
        written.append(path)
        log.info("icon %d/%d %s (%d bytes)", n, len(ids), icon_id, path.stat().st_size)
    if sheet:
        path = out_dir / "contact_sheet.png"
        cv2.imwrite(str(path), contact_sheet(images), PNG_FLAGS)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ICON_DIR, help="output folder (default: next to this script)"
    )
    parser.add_argument("--only", action="append", metavar="ID", help="draw only these ids (repeatable)")
    parser.add_argument("--no-sheet", action="store_true", help="do not write contact_sheet.png")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    missing = set(ICON_IDS) ^ set(ICONS)
    if missing:
        print(f"ICON_IDS and the drawing table differ on: {', '.join(sorted(missing))}", file=sys.stderr)
        return 2
    ids = args.only or list(ICON_IDS)
    unknown = [i for i in ids if i not in ICONS]
    if unknown:
        print(f"unknown icon id(s) {', '.join(unknown)}; known: {', '.join(ICON_IDS)}", file=sys.stderr)
        return 2
    write_icons(args.out, ids, sheet=not args.no_sheet and not args.only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
