"""Named families of generated document photos, split into ``tune`` and ``held_out``.

A family fixes which surfaces, which document looks, which clutter and which lighting conditions its scenes draw
from; every scene also gets what all photos get: 640x480 or 1280x720, sensor noise, JPEG at quality 88-96,
perspective (up to 12 degrees of rotation, a keystone of up to 8 %, each corner moved by up to 3 % of the
document's size) and a document 30-80 % of the frame's width (a portrait A4 page as wide as still fits).

The split was fixed before any tuning (git history shows it): detectors, thresholds and models are tuned and
trained on ``tune`` families only, and figures are reported on ``held_out`` families only. Held-out families
use surfaces (batik cloth, speckled board, off-white laminate), a card look (dark navy header band) and clutter
(other papers beside the document) that no tuning family has. Scene ``i`` of a family is always the same picture.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import cv2
import numpy as np

from tools.vision import designs, synth, textures

SIZES = ((640, 480), (1280, 720))


@dataclass(frozen=True)
class Family:
    """One kind of scene."""

    name: str
    split: str
    """``tune`` or ``held_out``."""
    backgrounds: tuple[str, ...]
    cards: tuple[str, ...]
    pages: tuple[str, ...]
    clutter: tuple[str, ...] = ()
    """Drawn with probability ``CLUTTER_P``: ``lines`` (under the document), ``papers`` (beside it), ``objects``
    (a pen or cable across its edge), ``finger`` (over a corner)."""
    conditions: tuple[str, ...] = ()
    """Applied with probability ``CONDITION_P``: ``uneven_light``, ``shadow`` (cast across the frame),
    ``glare_strip``."""
    note: str = ""


FAMILIES: tuple[Family, ...] = (
    # -- tuning and training
    Family(
        "desk",
        "tune",
        ("wood", "table_lit", "dark_tray", "cloth"),
        ("pale", "band_colour", "bordered"),
        ("letter", "kk"),
        ("lines",),
        ("uneven_light",),
        "plain desks and the dark tray",
    ),
    Family(
        "tablecloth",
        "tune",
        ("gingham", "cloth"),
        ("band_colour", "fullbleed", "pale"),
        ("letterhead", "kk"),
        ("objects",),
        ("shadow", "glare_strip"),
        "checked tablecloths, pens and cables, cast shadows, glare",
    ),
    Family(
        "colour_noise",
        "tune",
        ("blob_noise",),
        ("band_colour", "white", "pale"),
        ("letter", "letterhead"),
        ("lines", "finger"),
        ("uneven_light",),
        "blotchy coloured noise, lines, a finger over a corner",
    ),
    Family(
        "white_table",
        "tune",
        ("white_table",),
        ("pale", "bordered", "band_colour"),
        ("letterhead", "kk"),
        (),
        ("uneven_light", "shadow"),
        "tinted cards and pages on a white table under a lamp",
    ),
    # -- held out: never tuned or trained on
    Family(
        "batik_navy",
        "held_out",
        ("batik",),
        ("band_dark", "pale", "bordered"),
        ("letterhead", "kk"),
        ("lines",),
        ("uneven_light",),
        "patterned batik tablecloth, cards with a dark navy header band",
    ),
    Family(
        "speckle_navy",
        "held_out",
        ("speckle",),
        ("band_dark", "white"),
        ("letter",),
        ("lines", "objects", "finger"),
        ("uneven_light",),
        "noisy coloured textured board with lines and objects crossing, navy header band (the issue's scenes)",
    ),
    Family(
        "papers_beside",
        "held_out",
        ("wood", "laminate"),
        ("white", "fullbleed", "band_dark"),
        ("kk", "letter"),
        ("papers",),
        ("shadow", "glare_strip"),
        "other papers beside the document, cast shadows, glare",
    ),
    Family(
        "white_on_white",
        "held_out",
        ("laminate",),
        ("white", "pale"),
        ("letter", "letterhead"),
        (),
        ("uneven_light",),
        "a white card or page on an off-white laminate desk",
    ),
)

BY_NAME = {f.name: f for f in FAMILIES}
CLUTTER_P = {"lines": 0.6, "papers": 0.9, "objects": 0.5, "finger": 0.35}
CONDITION_P = 0.4
MAX_ROTATION = 12.0
MAX_KEYSTONE = 0.08
MAX_JITTER = 0.03


def split(name: str) -> tuple[Family, ...]:
    """The families of one split (``tune`` or ``held_out``)."""
    if name not in ("tune", "held_out"):
        raise ValueError(f"unknown split {name!r}; use tune or held_out")
    return tuple(f for f in FAMILIES if f.split == name)


@dataclass(frozen=True)
class FamilyScene:
    """One generated photo, its truth and how it was made."""

    image: np.ndarray
    corners: np.ndarray
    """True corners, float32 (4, 2), clockwise from top-left, in image pixels."""
    document_kind: str
    family: str
    info: dict[str, object] = field(default_factory=dict)
    """background, design, size, width_fraction, area_fraction, clutter, conditions."""


def _place(size: tuple[int, int], aspect: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Corners of a document of ``aspect`` (width / height, flat) and its width fraction of the frame."""
    w, h = size
    angle = np.deg2rad(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    c, s = abs(np.cos(angle)), abs(np.sin(angle))
    margin = 0.9  # room for keystone and jitter
    fit = min(margin * w / (w * (c + s / aspect)), margin * h / (w * (s + c / aspect)))
    frac = min(float(rng.uniform(0.3, 0.8)), fit)
    for _ in range(30):
        dw = frac * w
        dh = dw / aspect
        half = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]])
        k = rng.uniform(0, MAX_KEYSTONE)
        side = int(rng.integers(4))  # which side is foreshortened
        half[side] *= [1 - k, 1] if side % 2 == 0 else [1, 1 - k]
        half[(side + 1) % 4] *= [1 - k, 1] if side % 2 == 0 else [1, 1 - k]
        half += rng.uniform(-MAX_JITTER, MAX_JITTER, (4, 2)) * [dw, dh]
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        quad = half @ rot.T
        lo, hi = quad.min(axis=0), quad.max(axis=0)
        room_lo = -lo + 3
        room_hi = np.array([w - 1, h - 1]) - hi - 3
        if np.all(room_hi >= room_lo):
            centre = rng.uniform(room_lo, room_hi)
            return (quad + centre).astype(np.float32), frac
        frac *= 0.95
    raise RuntimeError("could not place the document in the frame")


def _draw_document(
    image: np.ndarray, flat: np.ndarray, corners: np.ndarray, kind: str, rng: np.random.Generator
) -> np.ndarray:
    fh, fw = flat.shape[:2]
    size = (image.shape[1], image.shape[0])
    src = np.array([[-0.5, -0.5], [fw - 0.5, -0.5], [fw - 0.5, fh - 0.5], [-0.5, fh - 0.5]], np.float32)
    m = cv2.getPerspectiveTransform(src, corners)
    mask = cv2.warpPerspective(synth.flat_mask(fw, fh, kind), m, size, flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    if rng.random() < 0.5:  # a soft shadow the document casts on the surface
        off = rng.uniform(-1, 1, 2) * size[0] * 0.006
        shadow = cv2.warpAffine(mask, np.float32([[1, 0, off[0]], [0, 1, off[1]]]), size)
        shadow = cv2.GaussianBlur(shadow, (0, 0), size[0] * 0.004 + 0.5).astype(np.float32) / 255
        image = image * (1 - rng.uniform(0.15, 0.4) * shadow[..., None])
    warped = cv2.warpPerspective(flat, m, size, flags=cv2.INTER_AREA)
    return (warped * alpha + image * (1 - alpha)).astype(np.uint8)


def _condition(image: np.ndarray, name: str, quad: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    img = image.astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if name == "uneven_light":
        a = rng.uniform(-0.35, 0.35, 2)
        field_ = 1 + a[0] * (xx / w - 0.5) + a[1] * (yy / h - 0.5)
        cx, cy = rng.uniform([0, 0], [w, h])
        field_ *= 1 - rng.uniform(0, 0.3) * (((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
        img *= field_[..., None]
    elif name == "shadow":
        # a cast shadow (a head, an arm, the kiosk's hood) over part of the frame, soft-edged
        pts = rng.uniform([-0.2 * w, -0.2 * h], [1.2 * w, 1.2 * h], (3, 2))
        pts = np.vstack([pts, quad[int(rng.integers(4))]]).astype(np.int32)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(mask, cv2.convexHull(pts), 255)
        soft = cv2.GaussianBlur(mask, (0, 0), w * rng.uniform(0.005, 0.02)).astype(np.float32) / 255
        img *= 1 - rng.uniform(0.25, 0.5) * soft[..., None]
    elif name == "glare_strip":
        # a reflection of a window or tube light: a bright soft strip across the document
        p = quad.mean(axis=0) + rng.uniform(-0.25, 0.25, 2) * (quad.max(axis=0) - quad.min(axis=0))
        a = rng.uniform(0, np.pi)
        d = np.abs((xx - p[0]) * np.sin(a) - (yy - p[1]) * np.cos(a))
        width = w * rng.uniform(0.01, 0.03)
        img += (rng.uniform(60, 160) * np.exp(-((d / width) ** 2)))[..., None]
    else:
        raise ValueError(f"unknown condition {name!r}")
    return np.clip(img, 0, 255).astype(np.uint8)


def family_scene(family: Family | str, index: int, size: tuple[int, int] | None = None) -> FamilyScene:
    """Scene ``index`` of ``family`` (the same picture every time); ``size`` overrides the frame size."""
    fam = BY_NAME[family] if isinstance(family, str) else family
    rng = np.random.default_rng([zlib.crc32(fam.name.encode()), index])
    size = size or SIZES[int(rng.integers(len(SIZES)))]
    is_card = rng.random() < 0.5
    design = str(rng.choice(fam.cards if is_card else fam.pages))
    return compose(design, fam.backgrounds, size, rng, fam.clutter, fam.conditions, fam.name, chance=True)


def compose(
    design: str,
    background: str | tuple[str, ...],
    size: tuple[int, int],
    rng: np.random.Generator | int,
    clutter: tuple[str, ...] = (),
    conditions: tuple[str, ...] = (),
    family: str = "",
    chance: bool = False,
) -> FamilyScene:
    """One scene of a card or page ``design`` on ``background`` (names of designs.py and textures.py; a tuple:
    one drawn from it), with the clutter and conditions named (with ``chance``: each with its probability);
    placement, noise and JPEG quality drawn from ``rng``."""
    rng = np.random.default_rng(rng) if isinstance(rng, int) else rng
    is_card = design in designs.CARDS
    flat = (designs.CARDS if is_card else designs.PAGES)[design](rng)
    kind = "ktp" if is_card else ("kk" if design == "kk" else "letter")
    if not isinstance(background, str):
        background = str(rng.choice(background))
    image = textures.BACKGROUNDS[background](size, rng)
    corners, frac = _place(size, flat.shape[1] / flat.shape[0], rng)
    if chance:
        clutter = tuple(c for c in clutter if rng.random() < CLUTTER_P[c])
    if "lines" in clutter:
        textures.lines(image, rng)
    if "papers" in clutter:
        textures.papers(image, rng)
    image = _draw_document(image, flat, corners, "ktp" if is_card else kind, rng)
    if "objects" in clutter:
        textures.objects(image, rng, corners)
    if "finger" in clutter:
        textures.finger(image, rng, corners)
    if chance:
        conditions = tuple(c for c in conditions if rng.random() < CONDITION_P)
    for name in conditions:
        image = _condition(image, name, corners, rng)
    noise = float(rng.uniform(1.5, 5.0))
    image = np.clip(image + rng.normal(0, noise, image.shape), 0, 255).astype(np.uint8)
    quality = int(rng.integers(88, 97))
    image = cv2.imdecode(
        cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR
    )
    area = float(cv2.contourArea(corners)) / (size[0] * size[1])
    info: dict[str, object] = {
        "background": background,
        "design": design,
        "size": f"{size[0]}x{size[1]}",
        "width_fraction": round(float(frac), 3),
        "area_fraction": round(area, 3),
        "clutter": list(clutter),
        "conditions": list(conditions),
        "noise": round(noise, 1),
        "jpeg": quality,
    }
    return FamilyScene(image, corners, kind, family, info)


def blurred(scene: FamilyScene) -> np.ndarray:
    """The scene out of focus: a Gaussian blur that smears its text (sigma 2.5-4 at 1280 px, 1.6-3 at 640),
    for checking that blurred photos are still refused."""
    rng = np.random.default_rng([zlib.crc32(scene.family.encode()), 7, int(scene.corners.sum())])
    wide = scene.image.shape[1] > 640
    sigma = rng.uniform(2.5, 4.0) if wide else rng.uniform(1.6, 3.0)
    return synth.blur(scene.image, float(sigma))
