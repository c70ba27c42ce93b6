"""Synthetic document photos with known ground truth, for the vision tests and the vision benchmark.

A KTP-like card (ID-1, 85.6 x 54 mm: header, fields with fake data, photo box) or an A4 page of printed lines
is drawn with ``cv2.putText``, then placed by a homography onto a textured background (wood, cloth, table),
and optionally degraded: defocus blur, under/over exposure, a specular glare blob, camera noise. Every scene
returns the true corners (clockwise from top-left, in scene pixels) so detection accuracy can be measured. All
data on the cards is invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CARD_PX = (856, 540)
"""Flat card size in pixels (10 px per mm)."""
A4_PX = (840, 1188)
"""Flat A4 page size in pixels (4 px per mm: enough for a 1280x720 scene)."""

FONT = cv2.FONT_HERSHEY_SIMPLEX


def make_card(seed: int = 0) -> np.ndarray:
    """A KTP-like card, BGR, ``CARD_PX``; the data on it is made up."""
    rng = np.random.default_rng(seed)
    w, h = CARD_PX
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    card = np.empty((h, w, 3), np.float32)
    # pale blue guilloche-like background, never saturated (real cards are not white)
    wave = 8 * np.sin(xx / 23.0 + np.sin(yy / 31.0) * 2)
    card[..., 0] = 228 + wave
    card[..., 1] = 212 + wave * 0.6
    card[..., 2] = 178 + wave * 0.3
    card = np.clip(card, 0, 255).astype(np.uint8)
    dark = (40, 30, 25)
    cv2.putText(card, "PROVINSI PAPUA BARAT", (230, 45), FONT, 1.0, dark, 2, cv2.LINE_AA)
    cv2.putText(card, "KABUPATEN CONTOH", (270, 85), FONT, 0.9, dark, 2, cv2.LINE_AA)
    nik = "".join(str(d) for d in rng.integers(0, 10, 16))
    cv2.putText(card, f"NIK : {nik}", (30, 140), FONT, 1.05, (0, 0, 0), 2, cv2.LINE_AA)
    fields = [
        ("Nama", "CONTOH WARGA DESA"),
        ("Tempat/Tgl Lahir", "SORONG, 01-02-1980"),
        ("Jenis Kelamin", "LAKI-LAKI"),
        ("Alamat", "JL. CONTOH NO. 12"),
        ("RT/RW", "001/002"),
        ("Kel/Desa", "DESA CONTOH"),
        ("Kecamatan", "CONTOH"),
        ("Agama", "-"),
        ("Pekerjaan", "PETANI"),
    ]
    y = 185
    for label, value in fields:
        cv2.putText(card, label, (30, y), FONT, 0.62, dark, 1, cv2.LINE_AA)
        cv2.putText(card, ": " + value, (250, y), FONT, 0.62, dark, 1, cv2.LINE_AA)
        y += 38
    # photo box: a red background with a grey head-and-shoulders silhouette
    x0, y0, x1, y1 = 640, 130, 820, 370
    cv2.rectangle(card, (x0, y0), (x1, y1), (40, 40, 190), -1)
    cv2.ellipse(card, ((x0 + x1) // 2, y0 + 85), (48, 60), 0, 0, 360, (120, 130, 150), -1)
    cv2.ellipse(card, ((x0 + x1) // 2, y1), (80, 70), 0, 180, 360, (60, 60, 70), -1)
    cv2.putText(card, "SORONG", (660, 410), FONT, 0.6, dark, 1, cv2.LINE_AA)
    cv2.putText(card, "01-01-2020", (650, 440), FONT, 0.6, dark, 1, cv2.LINE_AA)
    cv2.line(card, (650, 490), (810, 470), dark, 2, cv2.LINE_AA)  # signature stroke
    return card


def make_page(seed: int = 0, document_kind: str = "letter") -> np.ndarray:
    """A printed A4 page, BGR, ``A4_PX``: a letter, or for ``kk`` a family card with a ruled table."""
    rng = np.random.default_rng(seed)
    w, h = A4_PX
    page = np.full((h, w, 3), 236, np.uint8)
    ink = (30, 30, 30)
    cv2.putText(page, "PEMERINTAH KABUPATEN CONTOH", (150, 90), FONT, 1.0, ink, 2, cv2.LINE_AA)
    title = "KARTU KELUARGA" if document_kind == "kk" else "SURAT KETERANGAN"
    cv2.putText(page, title, (260, 140), FONT, 0.9, ink, 2, cv2.LINE_AA)
    if document_kind == "kk":
        for x in (60, 110, 330, 500, 640, w - 60):
            cv2.line(page, (x, 190), (x, h - 220), ink, 1)
    cv2.line(page, (60, 165), (w - 60, 165), ink, 3)
    words = [
        "desa",
        "warga",
        "nomor",
        "surat",
        "keterangan",
        "kepala",
        "tanggal",
        "alamat",
        "dusun",
        "berlaku",
    ]
    y = 220
    while y < h - 200:
        x = 70
        line = []
        while x < w - 160:
            word = str(rng.choice(words))
            line.append(word)
            x += 10 * len(word) + 10
        cv2.putText(page, " ".join(line), (70, y), FONT, 0.62, ink, 1, cv2.LINE_AA)
        y += 34
    cv2.rectangle(page, (w - 300, h - 170), (w - 80, h - 70), ink, 2)
    cv2.putText(page, "Kepala Desa", (w - 280, h - 120), FONT, 0.7, ink, 1, cv2.LINE_AA)
    return page


CARD_CORNER_PX = 32
"""ID-1 cards have corners rounded with a 3.18 mm radius (32 px at 10 px/mm)."""


def flat_mask(fw: int, fh: int, document_kind: str) -> np.ndarray:
    """Where the flat document is: a card has rounded corners, a page square ones."""
    mask = np.full((fh, fw), 255, np.uint8)
    if document_kind != "ktp":
        return mask
    r = CARD_CORNER_PX
    mask[:r, :r] = mask[:r, -r:] = mask[-r:, :r] = mask[-r:, -r:] = 0
    for cx, cy in ((r, r), (fw - 1 - r, r), (r, fh - 1 - r), (fw - 1 - r, fh - 1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    return mask


def background(kind: str, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A textured surface: ``wood`` (dark grain), ``cloth`` (woven grey), ``table`` (plain, lit from one
    side)."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood":
        grain = np.sin(xx / 9.0 + 3 * np.sin(yy / 60.0)) * 12 + rng.normal(0, 6, (h, w))
        base = np.stack([40 + grain * 0.5, 70 + grain * 0.8, 110 + grain], axis=-1)
    elif kind == "cloth":
        weave = (np.sin(xx / 2.0) * np.sin(yy / 2.0)) * 14 + rng.normal(0, 8, (h, w))
        base = np.stack([95 + weave, 80 + weave, 70 + weave], axis=-1)
    elif kind == "table":
        light = 60 * xx / w
        base = np.stack([60 + light, 65 + light, 70 + light], axis=-1) + rng.normal(0, 3, (h, w, 1))
    elif kind == "white":
        # a white plastic table under a lamp: the hardest case, little contrast with a page or a pale card
        light = 25 * np.exp(-(((xx - w / 2) / w) ** 2 + ((yy - h / 3) / h) ** 2) * 3)
        base = np.stack([215 + light, 215 + light, 212 + light], axis=-1) + rng.normal(0, 2.5, (h, w, 1))
    else:
        raise ValueError(f"unknown background {kind!r}; use wood, cloth, table or white")
    return np.clip(base, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Scene:
    """A rendered photo and its ground truth."""

    image: np.ndarray
    corners: np.ndarray | None
    """True corners, float32 (4, 2), clockwise from top-left (for a card's rounded corners: where its straight
    sides meet); None when the document is not fully visible."""
    document_kind: str


def quad_for(size: tuple[int, int], aspect: float, fill: float, angle: float, tilt: float, shift=(0.0, 0.0)):
    """Corners of a document covering about ``fill`` of the frame area, rotated by ``angle`` degrees, with a
    perspective ``tilt`` (top edge shorter by that fraction) and shifted by ``shift`` (fractions of the
    frame)."""
    w, h = size
    area = fill * w * h
    dh = np.sqrt(area / aspect)
    dw = dh * aspect
    half = np.array(
        [[-dw / 2 * (1 - tilt), -dh / 2], [dw / 2 * (1 - tilt), -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]]
    )
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    centre = np.array([w / 2 + shift[0] * w, h / 2 + shift[1] * h])
    return (half @ rot.T + centre).astype(np.float32)


def render(
    document_kind: str = "ktp",
    size: tuple[int, int] = (1280, 720),
    bg: str = "wood",
    fill: float = 0.45,
    angle: float = 4.0,
    tilt: float = 0.05,
    shift: tuple[float, float] = (0.0, 0.0),
    seed: int = 0,
) -> Scene:
    """A clean photo of a document lying on ``bg``."""
    flat = make_card(seed) if document_kind == "ktp" else make_page(seed, document_kind)
    fh, fw = flat.shape[:2]
    aspect = fw / fh
    corners = quad_for(size, aspect, fill, angle, tilt, shift)
    # the outer boundary of the flat document (pixel centres are integers: its edge is half a pixel outside)
    src = np.array([[-0.5, -0.5], [fw - 0.5, -0.5], [fw - 0.5, fh - 0.5], [-0.5, fh - 0.5]], np.float32)
    m = cv2.getPerspectiveTransform(src, corners)
    scene = background(bg, size, seed)
    warped = cv2.warpPerspective(flat, m, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(flat_mask(fw, fh, document_kind), m, size, flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    image = (warped * alpha + scene * (1 - alpha)).astype(np.uint8)
    w, h = size
    inside = bool(np.all((corners >= 0) & (corners <= [w - 1, h - 1])))
    rng = np.random.default_rng(seed + 1000)
    image = np.clip(image.astype(np.float32) + rng.normal(0, 2.0, image.shape), 0, 255).astype(np.uint8)
    return Scene(image, corners if inside else None, document_kind)


def blur(image: np.ndarray, sigma: float = 4.0) -> np.ndarray:
    """Defocus: a Gaussian blur."""
    return cv2.GaussianBlur(image, (0, 0), sigma)


def exposure(image: np.ndarray, gain: float, offset: float = 0.0) -> np.ndarray:
    """Under- (gain < 1) or over-exposure (gain > 1), clipped like a sensor."""
    return np.clip(image.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)


def glare(image: np.ndarray, centre: tuple[int, int], radius: int) -> np.ndarray:
    """A specular reflection: a saturated white blob with a soft halo."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.sqrt((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / radius
    boost = np.clip(1.6 - d, 0, 1)[..., None] * 400
    return np.clip(image.astype(np.float32) + boost, 0, 255).astype(np.uint8)


def shifted(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The same scene moved by (dx, dy) pixels: a shaken camera between two frames."""
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, m, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE)
