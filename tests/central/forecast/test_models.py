"""The backtest: where it cuts, that no model ever sees past its origin, and what it picks."""

from __future__ import annotations

import numpy as np
import pytest

from central.forecast import models as m


class Recorder:
    """A stand-in for the models: remembers what each saw and forecasts a constant per model."""

    def __init__(self, level: dict[str, float]) -> None:
        self.level = level
        self.seen: list[tuple[str, int, float]] = []

    def forecast(self, name: str, y: np.ndarray, h: int) -> np.ndarray:
        self.seen.append((name, len(y), float(y[-1])))
        return np.full(h, self.level[name])


def test_origins_step_back_from_the_end_one_horizon_at_a_time() -> None:
    assert m.origins(100, 8) == [76, 84, 92]
    assert m.origins(100, 8, windows=2, step=4) == [88, 92]
    assert m.origins(20, 8) == [4, 12]  # a window that would start before the series is dropped


def test_the_split_gives_a_model_only_the_weeks_before_its_origin() -> None:
    y = np.arange(100.0)
    seen, scored = m.split(y, 76, 8)
    assert seen.max() < 76 and list(scored) == list(range(76, 84))


def test_no_candidate_ever_sees_a_week_past_its_origin() -> None:
    y = np.arange(1.0, 121.0)  # each week's value is its number: what a model saw shows where it stopped
    rec = Recorder({"a": 0.0, "b": 0.0})
    m.backtest(rec, y, np.ones(120, bool), 8, ("a", "b"))  # type: ignore[arg-type]
    cuts = m.origins(120, 8)
    assert sorted({(n, last) for _, n, last in rec.seen}) == [(t, float(t)) for t in cuts]
    assert all(last == n for _, n, last in rec.seen)


def test_the_smallest_backtest_error_wins_and_missing_weeks_are_not_scored() -> None:
    y = np.full(120, 10.0)
    observed = np.ones(120, bool)
    y[-3:] = 0.0  # a broken kiosk's weeks, filled with zeros here to show they are not scored
    observed[-3:] = False
    rec = Recorder({"near": 9.0, "far": 4.0, "zero": 0.0})
    choice = m.backtest(rec, y, observed, 8, ("far", "near", "zero"))  # type: ignore[arg-type]
    assert choice.model == "near"
    assert choice.errors["near"] == pytest.approx(1.0)
    assert np.isnan(choice.residuals[-1, -3:]).all() and np.isnan(choice.cum_residuals[-1, -3:]).all()
    assert choice.cum_residuals[0, -1] == pytest.approx(8.0)


def test_seasonal_naive_is_always_a_candidate_and_runs_from_a_year_of_history() -> None:
    assert m.BASELINE in m.VILLAGE_MODELS and m.BASELINE in m.KECAMATAN_MODELS
    rng = np.random.default_rng(0)
    y = rng.poisson(3.0, 120).astype(float)
    choice = m.backtest(m.Models(), y, np.ones(120, bool), 8, m.VILLAGE_MODELS)
    assert set(choice.errors) == set(m.VILLAGE_MODELS)
    with pytest.raises(ValueError, match="seasonal naive needs 52 weeks"):
        m.Models().forecast(m.BASELINE, y[:40], 8)


def test_a_missing_week_is_filled_with_the_usual_demand_around_it() -> None:
    y = np.array([4.0, 6.0, 0.0, 0.0, 5.0, 5.0])
    observed = np.array([True, True, False, False, True, True])
    filled = m.fill_missing(y, observed)
    assert filled[2] == pytest.approx(5.0) and filled[3] == pytest.approx(5.0)
