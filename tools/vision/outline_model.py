"""The mask model of the learned detector (learned.py; trained by train_outline.py, not shipped): a small int8
LiteRT network marks which pixels of a 160x128 copy of the frame belong to the document; the mask's largest
region becomes a quadrilateral, which learned.py then refines on the full frame's edges.

The network sees the whole document at once (its colour, its print, its straight outline), so a dark header
band, a busy tablecloth or lines crossing the card do not fool it the way edge and threshold proposals are
fooled. What it cannot do is place a side to better than about a pixel of its 80x64 mask; the classical
sub-pixel refinement does that.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

INPUT_SIZE = (160, 128)
"""Width, height of the network's input (the frame is resized to it whatever its proportions)."""
MASK_SIZE = (80, 64)
"""Width, height of the mask it returns."""
MASK_MIN_AREA = 0.02
"""Smallest mask region, as a share of the frame, that is taken for a document."""


class OutlineModelError(RuntimeError):
    """The mask model is missing or cannot be loaded."""


def _interpreter(path: Path):  # type: ignore[no-untyped-def]
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - the fallback runtime of the speech stack
        from tflite_runtime.interpreter import Interpreter  # type: ignore[import-not-found,no-redef]
    return Interpreter(model_path=str(path), num_threads=1)


class MaskModel:
    """The document-mask network on LiteRT, one thread."""

    def __init__(self, model_path: str | Path, sha256: str | None = None) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise OutlineModelError(f"document mask model {path} is missing")
        if sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
            raise OutlineModelError(f"document mask model {path} is not the expected file (sha256 differs)")
        self.path = path
        self._it = _interpreter(path)
        self._it.allocate_tensors()
        self._in = self._it.get_input_details()[0]
        self._out = self._it.get_output_details()[0]
        scale, zero = self._out["quantization"]
        self._out_scale = float(scale) if scale else 1.0 / 255
        self._out_zero = int(zero)

    def mask(self, image: np.ndarray) -> np.ndarray:
        """Probability (0-1, float32, ``MASK_SIZE``) that each cell of the frame is the document."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        x = cv2.resize(image, INPUT_SIZE, interpolation=cv2.INTER_AREA)
        x = cv2.cvtColor(x, cv2.COLOR_BGR2RGB)[None]
        if self._in["dtype"] != np.uint8:
            x = x.astype(self._in["dtype"])
        self._it.set_tensor(self._in["index"], x)
        self._it.invoke()
        raw = self._it.get_tensor(self._out["index"])[0, ..., 0]
        return ((raw.astype(np.float32) - self._out_zero) * self._out_scale).clip(0, 1)


@dataclass(frozen=True)
class MaskQuad:
    """The quadrilateral the mask's largest region suggests, and how well the mask backs it."""

    corners: np.ndarray
    """(4, 2) float32 in frame pixels, clockwise from top-left."""
    agreement: float
    """Intersection over union of the mask region and the quadrilateral (at mask resolution)."""
    decisiveness: float
    """Mean of |2p - 1| over the mask: near 1 when every cell is clearly document or clearly not."""
    touches_border: bool
    """The region runs into the frame's border."""


def _quad_of_region(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.04, 0.06, 0.08):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
        if len(approx) < 4:
            break
    return None


def quad_from_mask(prob: np.ndarray, frame_size: tuple[int, int]) -> MaskQuad | None:
    """The largest region of ``prob`` >= 0.5 as a quadrilateral in the pixels of a frame of ``frame_size``
    (width, height); None when there is no region big enough or it has no four-sided outline."""
    mh, mw = prob.shape
    binary = (prob >= 0.5).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=4)
    if count < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[best, cv2.CC_STAT_AREA] < MASK_MIN_AREA * mw * mh:
        return None
    region = (labels == best).astype(np.uint8)
    # sub-cell outline: contour of the region upsampled 4x from the smooth probabilities
    up = cv2.resize(
        np.where(labels == best, prob, np.minimum(prob, 0.49)), (mw * 4, mh * 4), cv2.INTER_LINEAR
    )
    contours, _ = cv2.findContours((up >= 0.5).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    quad = _quad_of_region(contour)
    if quad is None:
        return None
    poly = np.zeros_like(region)
    cv2.fillConvexPoly(poly, np.round((quad + 0.5) / 4 * 16 - 8).astype(np.int32), 1, cv2.LINE_8, shift=4)
    inter = float((poly & region).sum())
    union = float((poly | region).sum())
    x, y, w, h = stats[best, :4]
    touches = x <= 1 or y <= 1 or x + w >= mw - 1 or y + h >= mh - 1  # within a cell of the border
    fw, fh = frame_size
    # 4x-upsampled mask pixel centre u -> mask coordinate (u + 0.5) / 4 - 0.5 -> frame pixel
    k = np.array([fw / mw, fh / mh], np.float32)
    corners = (((quad + 0.5) / 4) * k - 0.5).astype(np.float32)
    return MaskQuad(
        corners,
        inter / max(union, 1.0),
        float(np.abs(2 * prob - 1).mean()),
        bool(touches),
    )
