"""Backoff: doubles per try, capped, with jitter between half and all of the ceiling."""

from __future__ import annotations

from kiosk.outbox.retry import backoff


def test_backoff_doubles_and_is_capped() -> None:
    ceilings = [backoff(n, 5.0, 900.0, rand=lambda: 1.0) for n in range(9)]
    assert ceilings == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 900.0]
    assert backoff(3, 5.0, 900.0, rand=lambda: 0.0) == 20.0
    assert backoff(50, 5.0, 900.0, rand=lambda: 0.0) == 450.0


def test_jitter_spreads_retries_of_many_kiosks() -> None:
    import random

    rng = random.Random(1)
    delays = [backoff(4, 5.0, 900.0, rand=rng.random) for _ in range(1000)]
    assert min(delays) >= 40.0 and max(delays) < 80.0
    assert len({round(d, 3) for d in delays}) > 900
