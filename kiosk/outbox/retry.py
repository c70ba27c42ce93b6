"""Exponential backoff with jitter for resends and rejections (pure)."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Delay before try ``attempt + 1``: ``base * 2**attempt`` capped at ``cap``, scaled by a factor in [0.5, 1).

    The jitter keeps thousands of kiosks that came back online together from resending in lock step.
    """
    ceiling = min(cap, base * float(2 ** min(max(attempt, 0), 30)))
    return float(ceiling * (0.5 + 0.5 * rand()))
