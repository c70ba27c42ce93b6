"""The candidate models (all from statsforecast) and the rolling-origin backtest that picks one per series.

For each series the backtest cuts its own history at a few origins; at each origin every candidate is fitted on
the weeks before it only and forecasts the ``h`` weeks after it, which are then compared with what happened
(missing weeks are not scored). The candidate with the smallest mean absolute error over all origins is chosen
and refitted on the whole history. ``SeasonalNaive`` (same week last year) is always a candidate; the series'
MASE scale (the mean absolute change from one week to the next, Hyndman and Koehler 2006) turns its backtest errors
into the normalised residuals from which ``engine`` draws the prediction intervals.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SEASON = 52
"""Weeks in a season (a year) for SeasonalNaive."""
WINDOWS = 3
"""Backtest origins per series."""


def _factories() -> dict[str, Callable[[], Any]]:
    # imported here: statsforecast takes seconds to import, and only a forecast needs it
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        AutoETS,
        CrostonSBA,
        SeasonalNaive,
        SimpleExponentialSmoothingOptimized,
    )

    return {
        "seasonal_naive": lambda: SeasonalNaive(season_length=SEASON),
        "ses": SimpleExponentialSmoothingOptimized,
        "croston_sba": CrostonSBA,
        "tsb": lambda: TSB(alpha_d=0.1, alpha_p=0.1),
        "adida": ADIDA,
        "imapa": IMAPA,
        "auto_ets": lambda: AutoETS(season_length=1, model="ZNN"),
    }


BASELINE = "seasonal_naive"
VILLAGE_MODELS = ("ses", "croston_sba", "tsb", "adida", BASELINE)
"""Candidates for a village's series (mostly intermittent counts)."""
KECAMATAN_MODELS = ("ses", "auto_ets", "adida", "imapa", "tsb", BASELINE)
"""Candidates for a kecamatan's sums (denser)."""


class Models:
    """One instance of each model, made once per process (they keep no state between ``forecast`` calls)."""

    def __init__(self) -> None:
        self._made = {name: make() for name, make in _factories().items()}
        # statsforecast warns about short histories and flat series; the backtest handles both
        warnings.filterwarnings("ignore", module="statsforecast")

    def forecast(self, name: str, y: np.ndarray, h: int) -> np.ndarray:
        """The mean forecast of model ``name`` for ``h`` weeks after ``y`` (never negative, never NaN)."""
        if not y.any():
            return np.zeros(h)
        if name == BASELINE and len(y) < SEASON:
            raise ValueError(f"seasonal naive needs {SEASON} weeks, the series has {len(y)}")
        mean = self._made[name].forecast(y=y, h=h)["mean"]
        if not np.isfinite(mean).all():
            mean = np.where(np.isfinite(mean), mean, y[-8:].mean())
        return np.maximum(mean, 0.0)


def origins(n: int, h: int, windows: int = WINDOWS, step: int | None = None) -> list[int]:
    """Where the backtest cuts a series of ``n`` weeks: each origin ``t`` fits on ``y[:t]`` and scores
    ``y[t:t + h]``; the last window ends at the last week; earlier ones go back ``step`` (default ``h``) each."""
    step = h if step is None else step
    last = n - h
    return [t for t in (last - step * k for k in reversed(range(windows))) if t > 0]


def split(y: np.ndarray, origin: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """What a model may see at ``origin`` (everything before it) and what it is scored on (the ``h`` after)."""
    return y[:origin], y[origin : origin + h]


def mase_scale(y: np.ndarray, observed: np.ndarray | None = None) -> float:
    """Mean absolute change between consecutive observed weeks (the in-sample naive forecast's error)."""
    if observed is not None:
        both = observed[1:] & observed[:-1]
        diffs = np.abs(np.diff(y))[both]
    else:
        diffs = np.abs(np.diff(y))
    return float(diffs.mean()) if diffs.size else 0.0


@dataclass(frozen=True)
class Choice:
    """The backtest's verdict on one series."""

    model: str
    errors: dict[str, float]
    """Mean absolute error per candidate over the backtest's scored weeks."""
    residuals: np.ndarray
    """``[window, step]`` actual minus forecast of the chosen model (NaN where the week was missing)."""
    cum_residuals: np.ndarray
    """``[window, step]`` the same for the running sums over the first ``step + 1`` weeks."""


def backtest(
    models: Models,
    y: np.ndarray,
    observed: np.ndarray,
    h: int,
    candidates: Sequence[str],
    windows: int = WINDOWS,
    step: int | None = None,
) -> Choice:
    """Pick the candidate with the smallest backtest error on ``y`` (missing weeks already filled in, and
    ``observed`` False there: they are never scored). A candidate that cannot run at an origin (seasonal naive
    before a year of history) is left out of the choice."""
    cuts = origins(len(y), h, windows, step)
    errors: dict[str, float] = {}
    forecasts: dict[str, list[np.ndarray]] = {}
    for name in candidates:
        total, count, got = 0.0, 0, []
        try:
            for t in cuts:
                seen, actual = split(y, t, h)
                mask = observed[t : t + h]
                f = models.forecast(name, seen, h)
                got.append(f)
                total += float(np.abs(actual - f)[mask].sum())
                count += int(mask.sum())
        except ValueError:
            continue
        forecasts[name] = got
        errors[name] = total / count if count else 0.0
    if not errors:
        raise ValueError(f"no candidate could be backtested on a series of {len(y)} weeks")
    best = min(errors, key=lambda k: (errors[k], list(candidates).index(k)))
    res = np.full((len(cuts), h), np.nan)
    cum = np.full((len(cuts), h), np.nan)
    for i, t in enumerate(cuts):
        actual = y[t : t + h]
        mask = observed[t : t + h]
        diff = actual - forecasts[best][i]
        res[i] = np.where(mask, diff, np.nan)
        # a running sum is scored only while every week in it was observed
        cum[i] = np.where(np.cumsum(~mask) == 0, np.cumsum(diff), np.nan)
    return Choice(best, errors, res, cum)


def fill_missing(y: np.ndarray, observed: np.ndarray, around: int = 8) -> np.ndarray:
    """Missing weeks filled with the mean of up to ``around`` observed weeks on each side: an outage reads as
    the village's usual demand, never as zero."""
    out = y.copy()
    idx = np.flatnonzero(observed)
    if idx.size == 0:
        return np.zeros_like(y)
    for t in np.flatnonzero(~observed):
        pos = np.searchsorted(idx, t)
        near = idx[max(0, pos - around) : pos + around]
        out[t] = float(y[near].mean())
    return out
