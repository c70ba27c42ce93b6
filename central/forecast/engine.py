"""The whole forecast: every village x service series and every kecamatan sum, with 80% prediction intervals.

1. Each village's series starts at its first week with data. Missing weeks (outages) are filled with the
   village's usual demand around them for fitting and never scored.
2. A village with at least ``MIN_WEEKS`` weeks of history gets its own model, chosen by the rolling-origin backtest
   (``models.backtest``) among ``models.VILLAGE_MODELS``. One with less takes its kecamatan's forecast for the
   service scaled by the village's share of the kecamatan's requests over the weeks it has data.
3. Kecamatan sums (of the filled village series) are forecast the same way among ``models.KECAMATAN_MODELS``,
   and so are derived kecamatan series (supplies, staff minutes: weighted sums of services).
4. Intervals are split-conformal: the chosen models' backtest errors, divided by each series' MASE scale, are
   pooled per level (village or kecamatan) and week ahead; their 10% and 90% quantiles, times a series' own scale,
   around its forecast give the 80% interval (never below zero). Running sums over the first N weeks are pooled
   the same way, for the upper quantiles the order page needs.

Series are fitted in parallel by ``workers`` processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from central.forecast import models as m
from central.forecast.history import Panel, kecamatan_of

log = logging.getLogger(__name__)

MIN_WEEKS = m.SEASON + 8
"""Weeks of history below which a village borrows its kecamatan's pattern."""
LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)
"""Upper quantiles kept for running sums (service levels the order page offers)."""
CHUNK = 1500

VILLAGE, KECAMATAN = "village", "kecamatan"
FALLBACK = "kecamatan_share"


@dataclass(frozen=True)
class Forecast:
    """One series' forecast for the ``h`` weeks after the history."""

    level: str
    area: str
    """Village or kecamatan code."""
    item: str
    """A service id, or a derived series' name (a supply, ``staff_minutes``)."""
    model: str
    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    scale: float
    cum_upper: dict[float, np.ndarray] = field(default_factory=dict)
    """Service level -> upper quantile of the demand summed over the first 1..h weeks."""


@dataclass(frozen=True)
class Result:
    weeks: tuple  # the Mondays forecast
    forecasts: list[Forecast]
    quantiles: dict[str, np.ndarray]
    """Per level: ``[step, 2]`` the pooled 10% and 90% quantiles of normalised errors."""
    services: tuple[str, ...] = ()

    def by(self, level: str) -> Iterator[Forecast]:
        return (f for f in self.forecasts if f.level == level)


# --- the work of one process ------------------------------------------------------------------------------------

_MODELS: m.Models | None = None


def _models() -> m.Models:
    global _MODELS
    if _MODELS is None:
        _MODELS = m.Models()
    return _MODELS


@dataclass(frozen=True)
class _Job:
    y: np.ndarray
    observed: np.ndarray
    candidates: tuple[str, ...]
    windows: int = m.WINDOWS
    step: int | None = None


@dataclass(frozen=True)
class _Fit:
    model: str
    mean: np.ndarray
    scale: float
    residuals: np.ndarray
    cum_residuals: np.ndarray


def fit_one(job: _Job, h: int) -> _Fit:
    """Backtest, choose and refit one series (``y`` already filled where not ``observed``)."""
    models = _models()
    y, observed = job.y, job.observed
    scale = max(m.mase_scale(y, observed), 1.0 / max(len(y), 1))
    if len(y) < h + 4:
        mean = np.full(h, float(np.mean(y)) if len(y) else 0.0)
        nan = np.full((1, h), np.nan)
        return _Fit("historic_average", mean, scale, nan, nan)
    choice = m.backtest(models, y, observed, h, job.candidates, job.windows, job.step)
    return _Fit(
        choice.model, models.forecast(choice.model, y, h), scale, choice.residuals, choice.cum_residuals
    )


def _fit_chunk(args: tuple[list[_Job], int]) -> list[_Fit]:
    jobs, h = args
    return [fit_one(j, h) for j in jobs]


def _fit_all(jobs: list[_Job], h: int, workers: int) -> list[_Fit]:
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    if workers <= 1 or len(chunks) <= 1:
        return [f for c in chunks for f in _fit_chunk((c, h))]
    m.Models()  # import statsforecast before the fork, so that the workers inherit it
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return [f for part in pool.map(_fit_chunk, [(c, h) for c in chunks]) for f in part]


# --- pooling the errors into intervals --------------------------------------------------------------------------


def pooled_quantiles(fits: Sequence[_Fit], h: int) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """``[step, 2]`` 10%/90% quantiles of normalised errors, and per service level the upper quantile of
    normalised running-sum errors per number of weeks (the chosen models' backtest, pooled)."""
    res = [f.residuals / f.scale for f in fits if np.isfinite(f.residuals).any()]
    cum = [f.cum_residuals / f.scale for f in fits if np.isfinite(f.cum_residuals).any()]
    q = np.zeros((h, 2))
    upper = {lv: np.zeros(h) for lv in LEVELS}
    if res:
        stacked = np.concatenate(res, axis=0)
        for step in range(h):
            col = stacked[:, step]
            col = col[np.isfinite(col)]
            if col.size:
                q[step] = np.quantile(col, [0.1, 0.9])
    if cum:
        stacked = np.concatenate(cum, axis=0)
        for step in range(h):
            col = stacked[:, step]
            col = col[np.isfinite(col)]
            if col.size:
                for lv in LEVELS:
                    upper[lv][step] = np.quantile(col, lv)
    return q, upper


def _interval(mean: np.ndarray, scale: float, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = np.maximum(mean + scale * q[:, 0], 0.0)
    hi = np.maximum(mean + scale * q[:, 1], lo)
    return lo, hi


def _cum_upper(mean: np.ndarray, scale: float, upper: Mapping[float, np.ndarray]) -> dict[float, np.ndarray]:
    running = np.cumsum(mean)
    return {lv: np.maximum(running + scale * u, running * 0) for lv, u in upper.items()}


# --- the panel --------------------------------------------------------------------------------------------------


def _village_series(panel: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filled counts, observed mask and each village's first week."""
    finite = np.isfinite(panel.counts)
    started = finite.any(axis=1)
    begin = np.where(started.any(axis=1), started.argmax(axis=1), panel.counts.shape[2])
    filled = np.zeros_like(panel.counts)
    for v in range(panel.counts.shape[0]):
        for s in range(panel.counts.shape[1]):
            b = begin[v]
            obs = finite[v, s, b:]
            if obs.all():
                filled[v, s, b:] = panel.counts[v, s, b:]
            else:
                filled[v, s, b:] = m.fill_missing(np.nan_to_num(panel.counts[v, s, b:]), obs)
    return filled, finite, begin


def forecast(
    panel: Panel,
    h: int = 8,
    workers: int | None = None,
    derived: Mapping[str, Mapping[str, float]] | None = None,
    village_models: Sequence[str] = m.VILLAGE_MODELS,
    kecamatan_models: Sequence[str] = m.KECAMATAN_MODELS,
    windows: int = m.WINDOWS,
    step: int | None = None,
) -> Result:
    """Forecast every series of ``panel`` ``h`` weeks ahead. ``derived`` adds kecamatan series that are weighted
    sums of services (``{"ktp_blank": {"ktp_new": 1, "ktp_replace": 1}}``)."""
    import datetime as dt

    workers = workers or min(2, os.cpu_count() or 1)
    n_v, n_s, n_w = panel.counts.shape
    filled, finite, begin = _village_series(panel)
    weeks = tuple(panel.weeks[-1] + dt.timedelta(weeks=i + 1) for i in range(h)) if panel.weeks else ()

    # villages with enough history get their own model
    own = [v for v in range(n_v) if n_w - begin[v] >= MIN_WEEKS]
    v_jobs = [
        _Job(filled[v, s, begin[v] :], finite[v, s, begin[v] :], tuple(village_models), windows, step)
        for v in own
        for s in range(n_s)
    ]
    # kecamatan sums of the filled series: observed where every started village was observed
    kecs = sorted({kecamatan_of(v) for v in panel.villages})
    k_index = {k: i for i, k in enumerate(kecs)}
    rows = np.array([k_index[kecamatan_of(v)] for v in panel.villages], dtype=int)
    k_sum = np.zeros((len(kecs), n_s, n_w))
    np.add.at(k_sum, rows, filled)
    started = np.arange(n_w)[None, :] >= begin[:, None]
    gap = (~finite) & started[:, None, :]
    k_gap = np.zeros(k_sum.shape, dtype=bool)
    np.logical_or.at(k_gap, rows, gap)
    k_begin = np.array([begin[rows == i].min() for i in range(len(kecs))], dtype=int)
    names = list(panel.services)
    k_items: list[tuple[int, str, np.ndarray, np.ndarray]] = []
    for k in range(len(kecs)):
        b = k_begin[k]
        for s, service in enumerate(names):
            k_items.append((k, service, k_sum[k, s, b:], ~k_gap[k, s, b:]))
        for name, weights in (derived or {}).items():
            w = np.array([float(weights.get(s, 0.0)) for s in names])
            series = np.tensordot(w, k_sum[k, :, b:], axes=1)
            obs = ~(k_gap[k, :, b:][w != 0].any(axis=0)) if (w != 0).any() else np.ones(n_w - b, bool)
            k_items.append((k, name, series, obs))
    k_jobs = [_Job(y, obs, tuple(kecamatan_models), windows, step) for _, _, y, obs in k_items]
    log.info(
        "forecast: %d village series, %d kecamatan series, %d workers", len(v_jobs), len(k_jobs), workers
    )
    fits = _fit_all(v_jobs + k_jobs, h, workers)
    v_fits, k_fits = fits[: len(v_jobs)], fits[len(v_jobs) :]

    q_v, _ = pooled_quantiles(v_fits, h)
    q_k, up_k = pooled_quantiles(k_fits, h)
    if not v_fits:
        q_v = q_k
    out: list[Forecast] = []
    k_mean: dict[tuple[int, str], np.ndarray] = {}
    k_scale: dict[tuple[int, str], float] = {}
    for (k, item, _, _), fit in zip(k_items, k_fits, strict=True):
        k_scale[(k, item)] = fit.scale
        lo, hi = _interval(fit.mean, fit.scale, q_k)
        k_mean[(k, item)] = fit.mean
        out.append(
            Forecast(
                KECAMATAN,
                kecs[k],
                item,
                fit.model,
                fit.mean,
                lo,
                hi,
                fit.scale,
                _cum_upper(fit.mean, fit.scale, up_k),
            )
        )
    fit_of = {
        (v, s): fit for (v, s), fit in zip(((v, s) for v in own for s in range(n_s)), v_fits, strict=True)
    }
    for v, village in enumerate(panel.villages):
        b = begin[v]
        for s, service in enumerate(names):
            fit = fit_of.get((v, s))
            if fit is not None:
                model, mean, scale = fit.model, fit.mean, fit.scale
            else:
                model = FALLBACK
                k = rows[v]
                obs = finite[v, s, b:]
                mine = float(filled[v, s, b:][obs].sum())
                theirs = float(k_sum[k, s, b:][obs].sum())
                if (
                    theirs <= 0
                ):  # the kecamatan never saw the service while the village had data: all services
                    mine = float(filled[v, :, b:].sum())
                    theirs = float(k_sum[k, :, b:].sum())
                share = mine / theirs if theirs > 0 else 0.0
                mean = share * k_mean[(k, service)]
                own_scale = m.mase_scale(filled[v, s, b:], obs)
                scale = max(own_scale, share * k_scale[(k, service)], 1.0 / MIN_WEEKS)
            lo, hi = _interval(mean, scale, q_v)
            out.append(Forecast(VILLAGE, village, service, model, mean, lo, hi, scale))
    return Result(weeks, out, {VILLAGE: q_v, KECAMATAN: q_k}, tuple(names))
