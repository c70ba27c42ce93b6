"""From forecast to action: what each kecamatan should order or move to cover the next weeks, OpenLMIS-style.

OpenLMIS sets a facility's *maximum stock* to ``periods x average monthly consumption``; what to order is the
maximum less the stock on hand. Here a period is a week, the average consumption is the forecast's mean, and a
chosen *service level* replaces the mean by the forecast's upper quantile of the demand summed over the weeks
to cover (the chance that the stock lasts): ``target = upper quantile(level) of the demand in the next N weeks``,
``order = max(0, target - on hand)``. Kecamatan with more than their target may *move* the surplus to those short
of it in the same regency before anything is ordered. Staff: the forecast's staff minutes (each service's
``staff_minutes`` in the catalog) over the same weeks, against the staff days the supervisor recorded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from central.db import Cursor, Database
from central.forecast import engine
from layanan.domain.catalog import Catalog

STAFF = "staff_minutes"
MINUTES_PER_DAY = 6 * 60
"""A staff day at the counter (hours actually serving citizens)."""
SERVICE_LEVELS = engine.LEVELS


def demand_services(catalog: Catalog) -> tuple[str, ...]:
    """The services citizens ask for (calling staff is not a request for a document)."""
    return tuple(s.id for s in catalog.services.values() if s.category)


def derived_series(catalog: Catalog) -> dict[str, dict[str, float]]:
    """Kecamatan series that are weighted sums of services: each supply (units per request) and staff minutes."""
    out: dict[str, dict[str, float]] = {sid: {} for sid in catalog.supplies}
    for svc in catalog.services.values():
        if not svc.category:
            continue
        for sid, units in svc.supplies.items():
            out[sid][svc.id] = units
    out[STAFF] = {
        s.id: float(s.staff_minutes) for s in catalog.services.values() if s.category and s.staff_minutes
    }
    return out


def max_stock(weeks: int, average_weekly: float) -> float:
    """OpenLMIS's maximum stock: periods of stock x average consumption per period."""
    return weeks * average_weekly


def order_quantity(target: float, on_hand: float, pack: int = 1) -> int:
    """What to order to reach ``target`` from ``on_hand``: never negative, whole units rounded up to ``pack``."""
    need = max(0.0, target - max(on_hand, 0.0))
    if need <= 0:
        return 0
    return int(math.ceil(need / pack - 1e-9)) * pack


@dataclass(frozen=True)
class Line:
    """One kecamatan and supply on the plan."""

    kecamatan: str
    supply: str
    on_hand: int | None
    mean: float
    """Forecast demand over the weeks to cover (the OpenLMIS maximum: weeks x average weekly consumption)."""
    target: float
    """The forecast's upper quantile at the service level: the stock that covers the weeks that often."""
    order: int
    move_in: list[tuple[str, int]]
    """(from kecamatan, units) to move here before ordering."""
    move_out: list[tuple[str, int]]


def plan_supplies(
    totals: Mapping[tuple[str, str], tuple[float, float]], stock: Mapping[tuple[str, str], int]
) -> list[Line]:
    """Lines per (kecamatan, supply) from ``totals`` ((mean, upper) over the weeks to cover) and the stock on
    hand; surplus moves within a regency (the kode wilayah's first two parts) come before orders."""
    surplus: dict[tuple[str, str], int] = {}
    short: dict[tuple[str, str], float] = {}
    for key, (_, upper) in totals.items():
        have = stock.get(key)
        if have is None:
            continue
        target = math.ceil(upper - 1e-9)
        if have > target:
            surplus[key] = have - target
        elif have < upper:
            short[key] = upper - have
    moves: dict[tuple[str, str], list[tuple[str, int]]] = {}
    outs: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for key in sorted(short, key=lambda k: -short[k]):
        kec, supply = key
        need = math.ceil(short[key] - 1e-9)
        donors = sorted(
            (k for k in surplus if k[1] == supply and k[0][:5] == kec[:5] and surplus[k] > 0),
            key=lambda k: -surplus[k],
        )
        for donor in donors:
            if need <= 0:
                break
            n = min(need, surplus[donor])
            surplus[donor] -= n
            need -= n
            moves.setdefault(key, []).append((donor[0], n))
            outs.setdefault(donor, []).append((kec, n))
    lines = []
    for key, (mean, upper) in sorted(totals.items()):
        have = stock.get(key)
        moved_in = sum(n for _, n in moves.get(key, []))
        moved_out = sum(n for _, n in outs.get(key, []))
        order = order_quantity(upper, (have or 0) + moved_in - moved_out)
        lines.append(Line(key[0], key[1], have, mean, upper, order, moves.get(key, []), outs.get(key, [])))
    return lines


@dataclass(frozen=True)
class StaffLine:
    kecamatan: str
    needed_days: float
    """Staff days the forecast's requests take over the weeks (upper quantile at the service level)."""
    mean_days: float
    available_days: float | None
    """Days per week recorded by the supervisor, times the weeks."""

    @property
    def gap(self) -> float | None:
        return None if self.available_days is None else self.available_days - self.needed_days


def plan_staff(
    minutes: Mapping[str, tuple[float, float]], days_per_week: Mapping[str, float], weeks: int
) -> list[StaffLine]:
    return [
        StaffLine(
            kec,
            upper / MINUTES_PER_DAY,
            mean / MINUTES_PER_DAY,
            None if kec not in days_per_week else days_per_week[kec] * weeks,
        )
        for kec, (mean, upper) in sorted(minutes.items())
    ]


# --- saved runs -------------------------------------------------------------------------------------------------


def save(db: Database, result: engine.Result, source: str) -> int:
    """Keep the kecamatan forecasts of ``result`` (weekly, and running totals per service level)."""
    kec = list(result.by(engine.KECAMATAN))
    with db.tx() as cur:
        cur.execute(
            "INSERT INTO forecast_runs (made_at, first_week, horizon, source, series) VALUES (?, ?, ?, ?, ?)",
            (time.time(), result.weeks[0].isoformat(), len(result.weeks), source, len(result.forecasts)),
        )
        row = cur.execute("SELECT MAX(id) FROM forecast_runs").fetchone()
        assert row is not None
        run_id = int(row[0])
        weekly = [
            (run_id, f.area, f.item, i, f.model, float(f.mean[i]), float(f.lo80[i]), float(f.hi80[i]))
            for f in kec
            for i in range(len(result.weeks))
        ]
        totals = [
            (run_id, f.area, f.item, n + 1, level, float(f.mean[: n + 1].sum()), float(upper[n]))
            for f in kec
            if f.item not in result.services
            for level, upper in f.cum_upper.items()
            for n in range(len(result.weeks))
        ]
        insert_many(cur, "forecast_weeks (run_id, area, item, step, model, mean, lo80, hi80)", weekly)
        insert_many(cur, "forecast_totals (run_id, area, item, weeks, level, mean, upper)", totals)
        # only the newest runs are read: keep three
        cur.execute("DELETE FROM forecast_weeks WHERE run_id <= ?", (run_id - 3,))
        cur.execute("DELETE FROM forecast_totals WHERE run_id <= ?", (run_id - 3,))
    return run_id


def insert_many(cur: Cursor, table: str, rows: Sequence[tuple[object, ...]], per: int = 200) -> None:
    """Rows in multi-row INSERTs (a round trip per ``per`` rows, on both databases)."""
    if not rows:
        return
    marks = "(" + ", ".join("?" * len(rows[0])) + ")"
    for i in range(0, len(rows), per):
        chunk = rows[i : i + per]
        cur.execute(
            f"INSERT INTO {table} VALUES {', '.join([marks] * len(chunk))}", [v for r in chunk for v in r]
        )
