"""Flat documents of many looks, for the scene families (families.py): ID-1 cards (``synth.CARD_PX``) and A4
pages (``synth.A4_PX``), BGR uint8. All text and data are invented.

Cards: ``pale`` (the KTP-like card of synth.py), ``band_colour`` and ``band_dark`` (a header band across the top,
mid-dark green/maroon/teal/brown or dark navy blue), ``fullbleed`` (colour printed to the edge, light text),
``bordered`` (a printed frame line a few mm inside the edge), ``white`` (a white card). Pages: ``letter``, ``kk``
(synth.py), ``letterhead`` (a letter with a logo and a coloured rule or band at the top).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from tools.vision import synth

FONT = cv2.FONT_HERSHEY_SIMPLEX

BAND_COLOURS = [(40, 110, 30), (40, 30, 120), (110, 100, 20), (30, 70, 120), (30, 90, 60), (60, 40, 90)]
"""Header bands of the tuning families (BGR): green, maroon, teal, brown, olive, purple."""
BAND_DARK = [(95, 40, 15), (120, 50, 20), (80, 30, 10), (130, 70, 30)]
"""Dark navy and blue header bands (BGR), only in held-out families."""


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(1 << 30))


def _band(card: np.ndarray, rng: np.random.Generator, colours: list[tuple[int, int, int]]) -> np.ndarray:
    h, w = card.shape[:2]
    band_h = int(h * rng.uniform(0.13, 0.22))
    colour = colours[int(rng.integers(len(colours)))]
    jitter = rng.uniform(0.85, 1.15)
    card[:band_h] = np.clip(np.float32(colour) * jitter, 0, 255).astype(np.uint8)
    cv2.putText(card, "PROVINSI CONTOH", (int(w * 0.25), int(band_h * 0.45)), FONT, 1.0, (245, 245, 245), 2)
    cv2.putText(card, "KABUPATEN CONTOH", (int(w * 0.28), int(band_h * 0.85)), FONT, 0.9, (235, 235, 235), 2)
    return card


def band_colour(rng: np.random.Generator) -> np.ndarray:
    return _band(synth.make_card(_seed(rng)), rng, BAND_COLOURS)


def band_dark(rng: np.random.Generator) -> np.ndarray:
    return _band(synth.make_card(_seed(rng)), rng, BAND_DARK)


def pale(rng: np.random.Generator) -> np.ndarray:
    return synth.make_card(_seed(rng))


def fullbleed(rng: np.random.Generator) -> np.ndarray:
    """A card printed in colour to its edges (a bank or membership card): a gradient, a chip, light text."""
    w, h = synth.CARD_PX
    hue = int(rng.integers(0, 180))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    hsv = np.empty((h, w, 3), np.float32)
    hsv[..., 0] = (hue + 12 * xx / w) % 180
    hsv[..., 1] = rng.uniform(120, 230)
    hsv[..., 2] = rng.uniform(90, 200) + 40 * (yy / h - 0.5)
    card = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR)
    cv2.rectangle(card, (90, 200), (200, 285), (90, 170, 200), -1)
    cv2.putText(card, "KARTU ANGGOTA", (60, 110), FONT, 1.4, (250, 250, 250), 3, cv2.LINE_AA)
    number = " ".join("".join(str(d) for d in rng.integers(0, 10, 4)) for _ in range(4))
    cv2.putText(card, number, (60, 390), FONT, 1.3, (240, 240, 240), 2, cv2.LINE_AA)
    cv2.putText(card, "CONTOH WARGA", (60, 470), FONT, 0.9, (240, 240, 240), 2, cv2.LINE_AA)
    return card


def bordered(rng: np.random.Generator) -> np.ndarray:
    """The pale card with a printed frame line 2-5 mm inside its edge."""
    card = synth.make_card(_seed(rng))
    inset = int(rng.uniform(20, 50))
    colour = tuple(int(c) for c in rng.integers(20, 160, 3))
    cv2.rectangle(
        card, (inset, inset), (card.shape[1] - inset, card.shape[0] - inset), colour, int(rng.integers(3, 9))
    )
    return card


def white(rng: np.random.Generator) -> np.ndarray:
    """A white card (a health or village card) with dark text and a photo box."""
    card = synth.make_card(_seed(rng))
    paper = np.full_like(card, int(rng.uniform(238, 252)))
    text = card.min(axis=2) < 90
    photo = (card[..., 2].astype(int) - card[..., 0].astype(int)) > 60
    keep = text | photo
    paper[keep] = card[keep]
    return paper


def letter(rng: np.random.Generator) -> np.ndarray:
    return synth.make_page(_seed(rng), "letter")


def kk(rng: np.random.Generator) -> np.ndarray:
    return synth.make_page(_seed(rng), "kk")


def letterhead(rng: np.random.Generator) -> np.ndarray:
    """A letter on headed paper: a logo, the office's name, and a coloured double rule or a full-width band."""
    page = synth.make_page(_seed(rng), "letter")
    w = page.shape[1]
    colour = tuple(int(c) for c in rng.integers(10, 150, 3))
    if rng.random() < 0.5:
        page[:60] = colour  # a band printed to the top edge
        cv2.putText(page, "KANTOR DESA CONTOH", (200, 42), FONT, 1.0, (245, 245, 245), 2, cv2.LINE_AA)
    else:
        cv2.line(page, (40, 175), (w - 40, 175), colour, 6)
        cv2.line(page, (40, 185), (w - 40, 185), colour, 2)
    cv2.circle(page, (95, 95), 42, colour, -1, cv2.LINE_AA)
    cv2.circle(page, (95, 95), 20, (240, 240, 240), -1, cv2.LINE_AA)
    return page


CARDS: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "pale": pale,
    "band_colour": band_colour,
    "band_dark": band_dark,
    "fullbleed": fullbleed,
    "bordered": bordered,
    "white": white,
}
PAGES: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "letter": letter,
    "kk": kk,
    "letterhead": letterhead,
}
