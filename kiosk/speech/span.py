"""Where the talker is in a recording: the loud span, without the silence around it.

Used at run time to trim recorded prompts, and by the tooling (augmentation, evaluation, benchmarks).
"""

from __future__ import annotations

import numpy as np


def speech_span(x: np.ndarray, frame: int = 320, range_db: float = 35.0) -> tuple[int, int]:
    """First and last sample of the 20 ms frames within ``range_db`` of the loudest frame: where the talker
    is, without the silence a recording has around it. The whole signal when it is shorter than a frame."""
    n = len(x) // frame
    if n == 0:
        return 0, len(x)
    frames = np.asarray(x[: n * frame], dtype=np.float64).reshape(n, frame)
    first, end = loud_span(np.mean(frames**2, axis=1), range_db)
    return first * frame, end * frame


def loud_span(energies: np.ndarray, range_db: float = 35.0) -> tuple[int, int]:
    """First and one-past-last frame whose power is within ``range_db`` of the loudest frame's."""
    db = 10 * np.log10(np.asarray(energies, dtype=np.float64) + 1e-12)
    loud = np.nonzero(db > db.max() - range_db)[0]
    return int(loud[0]), int(loud[-1]) + 1
