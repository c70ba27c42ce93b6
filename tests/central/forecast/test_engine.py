"""The whole forecast on small panels: intervals, the kecamatan fallback, and outages that are not zero demand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from central.forecast import engine
from central.forecast.history import Panel

SERVICES = ("ktp_new", "kk_new")


def panel(counts: np.ndarray, villages: tuple[str, ...]) -> Panel:
    start = dt.date(2024, 1, 1)
    weeks = tuple(start + dt.timedelta(weeks=i) for i in range(counts.shape[2]))
    return Panel(weeks, villages, SERVICES, counts)


def steady(rng: np.random.Generator, rate: float, n: int) -> np.ndarray:
    return rng.poisson(rate, n).astype(float)


def test_every_series_gets_a_forecast_with_an_interval_around_it() -> None:
    rng = np.random.default_rng(1)
    counts = np.stack([np.stack([steady(rng, r, 110) for r in (4.0, 1.0)]) for _ in range(3)])
    result = engine.forecast(panel(counts, ("91.03.05.2001", "91.03.05.2002", "91.03.06.2001")), 8, 1)
    assert len(result.weeks) == 8 and result.weeks[0] == dt.date(2024, 1, 1) + dt.timedelta(weeks=110)
    levels = {(f.level, f.area, f.item) for f in result.forecasts}
    assert ("kecamatan", "91.03.05", "ktp_new") in levels and ("village", "91.03.06.2001", "kk_new") in levels
    for f in result.forecasts:
        assert (f.lo80 >= 0).all() and (f.lo80 <= f.mean + 1e-9).all() and (f.mean <= f.hi80 + 1e-9).all()
    kec = next(f for f in result.forecasts if (f.area, f.item) == ("91.03.05", "ktp_new"))
    assert 6.0 < kec.mean.mean() < 10.0  # two villages of about 4 a week


def test_a_village_with_little_history_takes_its_kecamatans_pattern_times_its_share() -> None:
    rng = np.random.default_rng(2)
    n = 110
    old = np.stack([steady(rng, 6.0, n), steady(rng, 2.0, n)])
    new = np.full((2, n), np.nan)
    new[:, -12:] = np.stack([steady(rng, 2.0, 12), steady(rng, 0.7, 12)])  # its kiosk opened 12 weeks ago
    result = engine.forecast(panel(np.stack([old, new]), ("91.03.05.2001", "91.03.05.2002")), 8, 1)
    young = next(f for f in result.forecasts if (f.area, f.item) == ("91.03.05.2002", "ktp_new"))
    kec = next(f for f in result.forecasts if (f.area, f.item) == ("91.03.05", "ktp_new"))
    assert young.model == engine.FALLBACK
    share = new[0, -12:].sum() / (old[0, -12:].sum() + new[0, -12:].sum())
    assert young.mean == pytest.approx(share * kec.mean)


def test_an_outage_is_not_read_as_zero_demand() -> None:
    rng = np.random.default_rng(3)
    y = np.full(110, 5.0)
    broken = y.copy()
    broken[-2:] = np.nan  # the kiosk was broken for the last two weeks
    zeros = y.copy()
    zeros[-2:] = 0.0  # what it would look like if the missing weeks counted as no demand
    got = {}
    for name, series in (("missing", broken), ("zeros", zeros)):
        counts = np.stack([np.stack([series, steady(rng, 1.0, 110)])])
        result = engine.forecast(panel(counts, ("91.03.05.2001",)), 8, 1)
        got[name] = next(f for f in result.forecasts if f.level == "village" and f.item == "ktp_new")
    assert got["missing"].mean == pytest.approx(np.full(8, 5.0))
    assert got["zeros"].mean.mean() < 4.5


def test_derived_kecamatan_series_sum_services_with_their_weights() -> None:
    rng = np.random.default_rng(4)
    counts = np.stack([np.stack([steady(rng, 5.0, 110), steady(rng, 2.0, 110)]) for _ in range(2)])
    result = engine.forecast(
        panel(counts, ("91.03.05.2001", "91.03.05.2002")),
        8,
        1,
        derived={"minutes": {"ktp_new": 10, "kk_new": 30}},
    )
    minutes = next(f for f in result.forecasts if f.item == "minutes")
    assert minutes.level == "kecamatan" and 150 < minutes.mean.mean() < 250
    assert set(minutes.cum_upper) == set(engine.LEVELS)
    assert (np.diff(minutes.cum_upper[0.95]) > 0).all()
    assert (minutes.cum_upper[0.95] >= minutes.cum_upper[0.5]).all()
