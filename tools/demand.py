"""A demand generator that looks like village offices, for the forecast's tests, benchmark and the demo.

Weekly requests per village x service over consecutive ISO weeks, drawn day by day (then summed per week) from:

- villages of very different sizes: a small village sees a service a few times a year (intermittent counts), a
  large one several times a week;
- a weekly pattern: busy Mondays, a short Friday, little on Saturdays, nothing on Sundays and public holidays
  (Indonesia's, from the ``holidays`` package), and the village's market day, which brings people to the office:
  a fixed weekday, or the Javanese five-day *pasaran* cycle, so that some weeks hold two market days;
- a monthly bansos cycle: complaints after each month's distribution, DTKS registrations before the cut-off;
- the school enrolment season (PPDB, mid-May to mid-July): birth certificates (akta lahir), family-card changes
  and SKTM letters for fee waivers;
- Ramadan (quieter, more travel letters before Lebaran), Lebaran's closure with its cuti bersama, then the Syawal
  weddings (pengantar nikah) and the moves after mudik (KK changes, domisili letters);
- Dukcapil's outreach days (*jemput bola*): a week a year per kecamatan with many new KTP-el;
- busy and slow weeks shared by all services of a village (over-dispersion), and slow growth;
- kiosks that open in the middle of the history and ramp up over about three months (no data before: the
  series starts at the opening);
- outages: weeks without any data from a broken kiosk, marked missing (NaN), never zero demand.

Everything is seeded: the same arguments give the same history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass, field

import holidays
import numpy as np

from central.forecast.history import Panel, monday, write_csv

SERVICES: dict[str, float] = {
    "ktp_new": 0.11,
    "ktp_replace": 0.06,
    "kk_new": 0.05,
    "kk_change": 0.14,
    "akta_lahir": 0.10,
    "akta_kematian": 0.03,
    "sk_domisili": 0.13,
    "sktm": 0.08,
    "sk_usaha": 0.06,
    "pengantar_nikah": 0.05,
    "bansos_dtks": 0.07,
    "bansos_complaint": 0.05,
    "pengaduan": 0.07,
}
"""The 13 services citizens ask for at the kiosk, with their share of a village's requests."""

WEEKDAY = np.array([1.25, 1.0, 1.0, 1.0, 0.7, 0.12, 0.0])
"""Monday .. Sunday: how busy the office is."""
MARKET = 1.7
"""A market day brings this many times the requests."""


@dataclass(frozen=True)
class Spec:
    """What to generate."""

    villages: int = 120
    weeks: int = 156
    end: dt.date = field(default_factory=lambda: monday(dt.date.today()) - dt.timedelta(weeks=1))
    """The last week's Monday (by default the last complete week)."""
    seed: int = 1
    villages_per_kecamatan: int = 12
    kecamatan_per_regency: int = 15
    late_kiosks: float = 0.15
    """Share of villages whose kiosk opens in the middle of the history."""
    outages: float = 0.12
    """Share of villages with one outage (one or two weeks without data)."""
    requests_per_week: float = 5.0
    """A typical (median) village's requests per week, all services together."""


@dataclass(frozen=True)
class Generated:
    panel: Panel
    expected: np.ndarray
    """The mean each count was drawn from (same shape as ``panel.counts``)."""
    opened: dict[str, dt.date]
    """Villages whose kiosk opened during the history: the Monday of the week it opened."""
    outages: dict[str, tuple[dt.date, ...]]
    """Villages with an outage: the Mondays of the weeks without data."""


def village_codes(n: int, per_kecamatan: int, per_regency: int, rng: np.random.Generator) -> list[str]:
    """Kemendagri codes PP.RR.KK.VVVV (desa from 2001), provinces in Papua and beyond first."""
    codes = []
    kec = 0
    while len(codes) < n:
        size = max(3, int(rng.poisson(per_kecamatan)))
        province = 91 + (kec // (per_regency * 99)) % 9
        regency = 1 + (kec // per_regency) % 99
        district = 1 + kec % per_regency
        for v in range(min(size, n - len(codes))):
            codes.append(f"{province:02d}.{regency:02d}.{district:02d}.{2001 + v:04d}")
        kec += 1
    return codes


def _days(spec: Spec) -> tuple[list[dt.date], np.ndarray]:
    start = spec.end - dt.timedelta(weeks=spec.weeks - 1)
    days = [start + dt.timedelta(days=i) for i in range(spec.weeks * 7)]
    return days, np.array([d.toordinal() for d in days])


def _calendar(days: list[dt.date]) -> dict[str, np.ndarray]:
    """Day-level multipliers shared by every village: weekday, holidays, Ramadan and Lebaran."""
    years = range(days[0].year, days[-1].year + 1)
    national = holidays.country_holidays("ID", years=years)
    eid = sorted(d for d, name in national.items() if name == "Eid al-Fitr")
    open_ = np.array([WEEKDAY[d.weekday()] * (0.05 if d in national else 1.0) for d in days])
    ramadan = np.ones(len(days))
    before_lebaran = np.zeros(len(days))
    syawal = np.zeros(len(days))
    for i, d in enumerate(days):
        for e in eid:
            k = (d - e).days
            if -30 <= k < 0:
                ramadan[i] = 0.85
            if -14 <= k < -2:
                before_lebaran[i] = 1.0
            if -3 <= k <= 5:
                open_[i] *= 0.03  # cuti bersama: the office is all but closed
            if 7 <= k <= 50:
                syawal[i] = 1.0
    enrolment = np.array([1.0 if (5, 15) <= (d.month, d.day) <= (7, 20) else 0.0 for d in days])
    dom = np.array([d.day for d in days])
    return {
        "open": open_ * ramadan,
        "before_lebaran": before_lebaran,
        "syawal": syawal,
        "enrolment": enrolment,
        "bansos_out": ((dom >= 3) & (dom <= 12)).astype(float),
        "bansos_cutoff": (dom >= 20).astype(float),
    }


def _service_days(cal: dict[str, np.ndarray], n_days: int) -> np.ndarray:
    """[service, day] multipliers of each service's own seasons."""
    s = {name: np.ones(n_days) for name in SERVICES}
    s["akta_lahir"] = 1 + 1.6 * cal["enrolment"]
    s["kk_change"] = 1 + 0.4 * cal["enrolment"] + 0.5 * cal["syawal"]
    s["sktm"] = 1 + 1.0 * cal["enrolment"]
    s["sk_domisili"] = 1 + 0.8 * cal["before_lebaran"] + 0.3 * cal["syawal"]
    s["pengantar_nikah"] = 1 + 1.8 * cal["syawal"]
    s["bansos_complaint"] = 1 + 2.0 * cal["bansos_out"]
    s["bansos_dtks"] = 1 + 0.8 * cal["bansos_cutoff"]
    return np.stack([s[name] for name in SERVICES])


def generate(spec: Spec = Spec()) -> Generated:
    rng = np.random.default_rng(spec.seed)
    codes = village_codes(spec.villages, spec.villages_per_kecamatan, spec.kecamatan_per_regency, rng)
    days, ordinals = _days(spec)
    n_v, n_d, n_w = len(codes), len(days), spec.weeks
    cal = _calendar(days)
    # village size: most are small (a few requests a week), a few are busy
    size = spec.requests_per_week * rng.lognormal(0.0, 0.9, n_v) / (cal["open"].sum() / spec.weeks)
    market_weekday = rng.integers(0, 5, n_v)
    pasaran = rng.random(n_v) < 0.4
    pasaran_day = rng.integers(0, 5, n_v)
    weekday = np.array([d.weekday() for d in days])
    market = np.where(
        pasaran[:, None],
        (ordinals[None, :] % 5) == pasaran_day[:, None],
        weekday[None, :] == market_weekday[:, None],
    )
    growth = 1.0 + 0.05 * (ordinals - ordinals[0]) / 365.0
    village_day = size[:, None] * cal["open"][None, :] * np.where(market, MARKET, 1.0) * growth[None, :]
    # kiosks that open late, and ramp up from about 5% to all of their village's demand over some 12 weeks
    opened: dict[str, dt.date] = {}
    ready = np.full(n_v, -1)
    for v in np.flatnonzero(rng.random(n_v) < spec.late_kiosks):
        w0 = int(rng.integers(n_w // 3, n_w - n_w // 4))
        ready[v] = w0
        opened[codes[v]] = days[w0 * 7]
        since = np.arange(n_d) / 7.0 - w0
        village_day[v] *= np.where(since < 0, 0.0, 1.0 / (1.0 + np.exp(-(since - 6.0) / 2.0)))
    shares = np.array(list(SERVICES.values()))
    service_day = _service_days(cal, n_d) * shares[:, None]
    lam = np.einsum("vwd,swd->vsw", village_day.reshape(n_v, n_w, 7), service_day.reshape(-1, n_w, 7))
    # outreach days: one week a year per kecamatan with many new KTP-el
    kec = np.array([c[:8] for c in codes])
    ktp = list(SERVICES).index("ktp_new")
    for k in np.unique(kec):
        rows = kec == k
        for year_start in range(0, n_w, 52):
            w = year_start + int(rng.integers(0, 52))
            if w < n_w:
                lam[rows, ktp, w] *= 4.0
    # busy and slow weeks, shared by a village's services (gamma: mean 1, CV about 0.35)
    lam *= rng.gamma(8.0, 1.0 / 8.0, (n_v, 1, n_w))
    counts = rng.poisson(lam).astype(float)
    for v, w0 in enumerate(ready):
        if w0 >= 0:
            counts[v, :, :w0] = np.nan
    outages: dict[str, tuple[dt.date, ...]] = {}
    for v in np.flatnonzero(rng.random(n_v) < spec.outages):
        first = max(int(ready[v]), 0) + 4
        if first >= n_w - 2:
            continue
        w = int(rng.integers(first, n_w - 1))
        span = 1 + int(rng.random() < 0.3)
        counts[v, :, w : w + span] = np.nan
        outages[codes[v]] = tuple(days[(w + i) * 7] for i in range(span) if w + i < n_w)
    weeks = tuple(days[i * 7] for i in range(n_w))
    order = np.argsort(codes, kind="stable")
    panel = Panel(weeks, tuple(codes[i] for i in order), tuple(SERVICES), counts[order])
    return Generated(panel, lam[order], opened, outages)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--villages", type=int, default=Spec.villages)
    parser.add_argument("--weeks", type=int, default=Spec.weeks)
    parser.add_argument("--seed", type=int, default=Spec.seed)


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.demand [--villages N] [--weeks N] [--seed N] > history.csv``"""
    parser = argparse.ArgumentParser(description="Generated weekly demand of village offices, as history CSV")
    configure(parser)
    args = parser.parse_args(argv)
    gen = generate(Spec(villages=args.villages, weeks=args.weeks, seed=args.seed))
    write_csv(gen.panel, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
