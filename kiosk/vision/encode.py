"""Encode a flattened document as small as it can be while its text stays legible.

Treatment: grey (colour adds bytes and no legibility to a KTP, a family card or a letter); pages additionally
get their paper evened out (divided by a closed, blurred background estimate), so shading and paper texture
cost no bytes.

Search: for each scale (1.0, then smaller), find by bisection the lowest WebP quality whose legibility reaches
``MIN_TEXT_SSIM``; the first (scale, quality) whose size is within the target wins. JPEG is used where this
OpenCV build cannot write WebP.

Legibility is measured, not guessed: the decoded image is scaled back to the uncompressed warp's size and
compared with it on the text only (pixels near strong gradients): mean SSIM there (``text_ssim``), and the F1
score of the Canny edges with one pixel of tolerance (``edge_f1``). The reference is the treated, uncompressed
warp.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.vision.detect import to_gray

log = logging.getLogger(__name__)

TARGET_BYTES = {"card": 60_000, "page": 150_000, "frame": 150_000}
"""Largest encoded size per document family."""
MIN_TEXT_SSIM = 0.90
"""SSIM on the text regions that still reads as the original (tuned on the generated cards and pages)."""
QUALITY_FLOOR = 25
"""Lowest quality ever used: below it WebP smears the face photo on a card even where the text still reads."""
SCALES = (1.0, 0.85, 0.7, 0.6, 0.5)
"""Scales tried, largest first, when even a low quality does not fit the target."""


class EncodeError(RuntimeError):
    """The image could not be encoded at all."""


@dataclass(frozen=True)
class Encoded:
    """The bytes to send and what they are."""

    data: bytes
    mime: str
    width: int
    height: int
    quality: int
    scale: float
    text_ssim: float
    edge_f1: float
    legible: bool
    """text_ssim reached MIN_TEXT_SSIM within the target size."""

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return ".webp" if self.mime == "image/webp" else ".jpg"

    def to_dict(self) -> dict[str, object]:
        """Everything but the bytes."""
        return {
            "mime": self.mime,
            "bytes": self.size,
            "width": self.width,
            "height": self.height,
            "quality": self.quality,
            "scale": self.scale,
            "text_ssim": round(self.text_ssim, 4),
            "edge_f1": round(self.edge_f1, 4),
            "legible": self.legible,
            "sha256": self.sha256,
        }


def treat(warp: np.ndarray, family: str) -> np.ndarray:
    """Grey; for pages also even out the paper."""
    gray = to_gray(warp)
    if family != "page":
        return gray
    k = max(15, (min(gray.shape) // 40) | 1)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    background = cv2.GaussianBlur(background, (0, 0), k / 2)
    flat = gray.astype(np.float32) / np.maximum(background.astype(np.float32), 1.0)
    # paper (about 1.0) goes to white, ink keeps its tone: paper grain and noise cost no bytes
    return np.clip((flat - 0.15) * (255.0 / 0.75), 0, 255).astype(np.uint8)


def text_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels on or next to strokes: morphological gradient above a threshold, dilated."""
    grad = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    mask = (grad > 40).astype(np.uint8)
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    if mask.sum() < 0.01 * mask.size:
        mask[:] = 1  # no strokes: judge the whole picture
    return mask.astype(bool)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Structural similarity per pixel (Gaussian window, sigma 1.5, the usual constants)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (7, 7), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def edge_f1(reference: np.ndarray, other: np.ndarray) -> float:
    """F1 of Canny edges with one pixel of tolerance."""
    er = cv2.Canny(reference, 60, 150) > 0
    eo = cv2.Canny(other, 60, 150) > 0
    if not er.any():
        return 1.0 if not eo.any() else 0.0
    kernel = np.ones((3, 3), np.uint8)
    near_r = cv2.dilate(er.astype(np.uint8), kernel) > 0
    near_o = cv2.dilate(eo.astype(np.uint8), kernel) > 0
    precision = (eo & near_r).sum() / max(1, eo.sum())
    recall = (er & near_o).sum() / er.sum()
    return float(0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))


def legibility(
    reference: np.ndarray, decoded: np.ndarray, mask: np.ndarray | None = None
) -> tuple[float, float]:
    """(text_ssim, edge_f1) of ``decoded`` against the uncompressed grey ``reference``, at the reference's
    size."""
    if decoded.shape != reference.shape:
        decoded = cv2.resize(decoded, (reference.shape[1], reference.shape[0]), interpolation=cv2.INTER_CUBIC)
    mask = text_mask(reference) if mask is None else mask
    return float(ssim_map(reference, decoded)[mask].mean()), edge_f1(reference, decoded)


def _codec() -> tuple[str, str, int]:
    ok, _ = cv2.imencode(".webp", np.zeros((8, 8), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 50])
    if ok:
        return ".webp", "image/webp", cv2.IMWRITE_WEBP_QUALITY
    return ".jpg", "image/jpeg", cv2.IMWRITE_JPEG_QUALITY  # pragma: no cover - depends on the OpenCV build


def _encode(img: np.ndarray, quality: int) -> bytes:
    ext, _, flag = _codec()
    ok, buf = cv2.imencode(ext, img, [flag, int(quality)])
    if not ok:
        raise EncodeError(f"OpenCV could not encode a {img.shape[1]}x{img.shape[0]} image as {ext}")
    return buf.tobytes()


def _decode(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise EncodeError("the encoded image does not decode")
    return img


def encode_document(
    warp: np.ndarray,
    family: str,
    target: int | None = None,
    min_text_ssim: float = MIN_TEXT_SSIM,
    quality_floor: int = QUALITY_FLOOR,
) -> Encoded:
    """The smallest encoding of the treated warp that stays legible; within ``target`` bytes if at all
    possible. ``family`` is ``card``, ``page`` or ``frame`` (a whole photo kept for the clerk: grey, no paper
    levelling, a page's budget)."""
    if family not in TARGET_BYTES:
        raise ValueError(f"unknown document family {family!r}; use card, page or frame")
    target = TARGET_BYTES[family] if target is None else target
    reference = treat(warp, family)
    mask = text_mask(reference)
    _, mime, _ = _codec()
    fallback: Encoded | None = None
    for scale in SCALES:
        img = (
            reference
            if scale == 1.0
            else cv2.resize(
                reference,
                (max(8, int(reference.shape[1] * scale)), max(8, int(reference.shape[0] * scale))),
                interpolation=cv2.INTER_AREA,
            )
        )
        cache: dict[int, tuple[bytes, float, float]] = {}

        def trial(q: int, img: np.ndarray = img, cache: dict[int, tuple[bytes, float, float]] = cache):
            if q not in cache:
                data = _encode(img, q)
                cache[q] = (data, *legibility(reference, _decode(data), mask))
            return cache[q]

        lo, hi = quality_floor, 95
        if trial(lo)[1] >= min_text_ssim:
            hi = lo  # the usual case for clean documents: two encodes, no search
        elif trial(hi)[1] < min_text_ssim:
            continue  # even the best quality at this scale is not legible; smaller scales are worse
        while lo < hi:  # lowest quality that is legible
            mid = (lo + hi) // 2
            if trial(mid)[1] >= min_text_ssim:
                hi = mid
            else:
                lo = mid + 1
        data, ssim, f1 = trial(hi)
        result = Encoded(data, mime, img.shape[1], img.shape[0], hi, scale, ssim, f1, len(data) <= target)
        if len(data) <= target:
            log.debug("encoded %s at scale %.2f quality %d: %d bytes", family, scale, hi, len(data))
            return result
        fallback = fallback if fallback is not None and fallback.size <= result.size else result
    # nothing legible fits: send the smallest legible one found, or the lowest quality at the smallest scale
    if fallback is None:
        img = cv2.resize(reference, None, fx=SCALES[-1], fy=SCALES[-1], interpolation=cv2.INTER_AREA)
        data = _encode(img, 30)
        ssim, f1 = legibility(reference, _decode(data), mask)
        fallback = Encoded(data, mime, img.shape[1], img.shape[0], 30, SCALES[-1], ssim, f1, False)
    log.warning("encoded %s is %d bytes (target %d) or below legibility", family, fallback.size, target)
    return Encoded(
        fallback.data,
        fallback.mime,
        fallback.width,
        fallback.height,
        fallback.quality,
        fallback.scale,
        fallback.text_ssim,
        fallback.edge_f1,
        False,
    )
