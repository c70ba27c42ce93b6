"""The tests' one fake :class:`~kiosk.vision.presence.FaceDetector`, for the presence debounce on its own.
tests/vision/test_presence.py holds it to the real detector's contract."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class ScriptedFaces:
    """Face scores in a fixed order, whatever the frame; 0.0 once they run out (nobody there)."""

    def __init__(self, scores: Iterable[float]) -> None:
        self.scores = list(scores)

    def max_score(self, frame: np.ndarray) -> float:
        return self.scores.pop(0) if self.scores else 0.0
