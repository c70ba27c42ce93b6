"""``kiosk-central bench forecast [--villages N] [--json]``: the forecast's accuracy and time on generated demand.

The generator (``tools.demand``) makes ``--weeks`` weeks of demand for ``--villages`` villages x 13 services; the
last ``--holdout`` weeks are held out, the whole forecast (``central.forecast.engine``: backtest, choice, fallback,
intervals) runs on the weeks before, and is scored on the held-out weeks against SeasonalNaive (the same week a
year before) at village and kecamatan level:

- MASE: mean absolute error over the held-out weeks that were observed, divided by the series' mean absolute
  week-to-week change over its training weeks (Hyndman and Koehler 2006); averaged over series. Series with a
  zero scale (no change at all in training) or without a year of history for SeasonalNaive are left out (counted);
- coverage_80: the share of observed held-out weeks, over all village and kecamatan series, inside the 80% interval;
- seconds: wall time of the whole forecast (not of the generation).

``--per-model`` also scores each candidate alone on every series (one fit each at the holdout origin).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import Any

import numpy as np

from layanan.config import Settings

TARGETS = {"kecamatan_gain": 0.15, "coverage": (0.75, 0.85), "seconds": 300.0}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--villages", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--holdout", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--windows", type=int, default=3, help="backtest origins per series")
    parser.add_argument("--step", type=int, default=None, help="weeks between origins (default: the horizon)")
    parser.add_argument("--per-model", action="store_true", help="also score each candidate alone")
    parser.add_argument("--json", action="store_true")


def _truth(counts: np.ndarray, n_train: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training part, held-out part, and each series' first week (as ``engine`` sees them)."""
    finite = np.isfinite(counts[..., :n_train])
    started = finite.any(axis=1)
    begin = np.where(started.any(axis=1), started.argmax(axis=1), n_train)
    return counts[..., :n_train], counts[..., n_train:], begin


def seasonal_naive(train: np.ndarray, h: int, season: int = 52) -> np.ndarray:
    """The same weeks a year before (the training weeks filled where missing), NaN without a year of history."""
    n = train.shape[-1]
    if n < season:
        return np.full(train.shape[:-1] + (h,), np.nan)
    idx = [n - season + (i % season) for i in range(h)]
    return train[..., idx]


def mase(
    train: np.ndarray, held: np.ndarray, forecast: np.ndarray, begin: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per series MASE (NaN where undefined) for ``[series, week]`` arrays; and whether it was defined."""
    out = np.full(train.shape[0], np.nan)
    for i in range(train.shape[0]):
        y = train[i, begin[i] :]
        obs = np.isfinite(y)
        both = obs[1:] & obs[:-1]
        diffs = np.abs(np.diff(np.nan_to_num(y)))[both]
        scale = diffs.mean() if diffs.size else 0.0
        seen = np.isfinite(held[i]) & np.isfinite(forecast[i])
        if scale > 0 and seen.any():
            out[i] = np.abs(held[i] - forecast[i])[seen].mean() / scale
    return out, np.isfinite(out)


def _filled(train: np.ndarray, begin: np.ndarray) -> np.ndarray:
    from central.forecast.models import fill_missing

    out = np.nan_to_num(train.copy())
    for i in range(train.shape[0]):
        y = train[i, begin[i] :]
        obs = np.isfinite(y)
        if not obs.all() and obs.any():
            out[i, begin[i] :] = fill_missing(np.nan_to_num(y), obs)
    return out


def score(args: argparse.Namespace) -> dict[str, Any]:
    from central.forecast import engine
    from central.forecast.history import Panel
    from tools.demand import Spec, generate

    gen = generate(Spec(villages=args.villages, weeks=args.weeks, seed=args.seed))
    full = gen.panel
    n_train = len(full.weeks) - args.holdout
    train_panel = full.head(n_train)
    cpu_before = _cpu()
    started = time.perf_counter()
    result = engine.forecast(
        train_panel, h=args.holdout, workers=args.workers, windows=args.windows, step=args.step
    )
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    report: dict[str, Any] = {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1)}
    levels = {
        "village": full,
        "kecamatan": Panel(full.weeks, *_kec_counts(full)),
    }
    chosen_models: dict[str, dict[str, int]] = {}
    coverage_hits = coverage_n = 0
    report["mase"] = {}
    per_level: dict[str, Any] = {}
    for level, panel in levels.items():
        series = [f for f in result.by(level) if f.item in panel.services]
        index = {(f.area, f.item): f for f in series}
        keys = [(a, s) for a in panel.villages for s in panel.services]
        counts = panel.counts.reshape(len(keys), -1)
        train, held, _ = _truth(counts[:, None, :], n_train)
        train, held = train[:, 0], held[:, 0]
        begin = np.array([int(np.argmax(np.isfinite(r))) if np.isfinite(r).any() else n_train for r in train])
        mean = np.stack([index[k].mean for k in keys])
        lo = np.stack([index[k].lo80 for k in keys])
        hi = np.stack([index[k].hi80 for k in keys])
        snaive = seasonal_naive(_filled(train, begin), args.holdout)
        snaive[n_train - begin < 52] = np.nan
        m_chosen, ok_c = mase(train, held, mean, begin)
        m_snaive, ok_s = mase(train, held, snaive, begin)
        both = ok_c & ok_s
        seen = np.isfinite(held)
        hits = ((held >= lo - 1e-9) & (held <= hi + 1e-9))[seen]
        coverage_hits += int(hits.sum())
        coverage_n += int(seen.sum())
        report["mase"][level] = {
            "chosen": round(float(m_chosen[both].mean()), 4),
            "seasonal_naive": round(float(m_snaive[both].mean()), 4),
        }
        counts_by_model: dict[str, int] = {}
        for k in keys:
            counts_by_model[index[k].model] = counts_by_model.get(index[k].model, 0) + 1
        chosen_models[level] = dict(sorted(counts_by_model.items(), key=lambda kv: -kv[1]))
        per_level[level] = {
            "series": len(keys),
            "scored": int(both.sum()),
            "left_out_no_scale_or_no_year": int(len(keys) - both.sum()),
            "coverage_80": round(float(hits.mean()), 4) if hits.size else None,
            "chosen_all_series_with_a_scale": round(float(m_chosen[ok_c].mean()), 4),
        }
        if args.per_model:
            per_level[level]["per_model_mase"] = _per_model(level, train, held, begin, both, args.holdout)
    report["coverage_80"] = round(coverage_hits / coverage_n, 4) if coverage_n else None
    report["levels"] = per_level
    report["chosen_models"] = chosen_models
    report["villages"] = args.villages
    report["services"] = len(full.services)
    report["weeks"] = args.weeks
    report["holdout_weeks"] = args.holdout
    k = report["mase"]["kecamatan"]
    v = report["mase"]["village"]
    lo_t, hi_t = TARGETS["coverage"]
    report["targets"] = {
        "kecamatan_chosen_at_least_15pct_below_seasonal_naive": {
            "gain": round(1 - k["chosen"] / k["seasonal_naive"], 4),
            "met": k["chosen"] <= (1 - TARGETS["kecamatan_gain"]) * k["seasonal_naive"],
        },
        "village_chosen_no_worse_than_seasonal_naive": {"met": v["chosen"] <= v["seasonal_naive"]},
        "coverage_80_within_75_85": {
            "met": report["coverage_80"] is not None and lo_t <= report["coverage_80"] <= hi_t
        },
        "seconds_under_300": {"met": seconds < TARGETS["seconds"]},
    }
    return report


def _cpu() -> float:
    """CPU seconds of this process and its finished workers."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _kec_counts(panel: Any) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    k = panel.kecamatan()
    return k.villages, k.services, k.counts


def _per_model(
    level: str, train: np.ndarray, held: np.ndarray, begin: np.ndarray, scored: np.ndarray, h: int
) -> dict[str, float]:
    from central.forecast import models as m

    names = m.VILLAGE_MODELS if level == "village" else m.KECAMATAN_MODELS
    models = m.Models()
    filled = _filled(train, begin)
    out = {}
    for name in names:
        fc = np.full(held.shape, np.nan)
        for i in np.flatnonzero(scored):
            with contextlib.suppress(ValueError):
                fc[i] = models.forecast(name, filled[i, begin[i] :], h)
        value, ok = mase(train, held, fc, begin)
        out[name] = round(float(value[ok & scored].mean()), 4)
    return out


def run(args: argparse.Namespace, settings: Settings) -> int:
    from tools.bench import machine

    report = {"machine": machine(), **score(args)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(json.dumps(report, indent=2), file=sys.stdout)
    return 0
