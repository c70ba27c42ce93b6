"""The weekly history the office's own database holds: requests per village x service and week (the village is
the kiosk's, from the device registry, as the inbox has it).

A village's series starts at the week its first kiosk was registered or its first request came, whichever is
earlier. A week without any request from a village whose kiosks were all offline the whole week (no hour online
in ``kiosk_hours``, kept by the transparency refresher from telemetry) is missing, not zero; weeks before those
records began count as observed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from central.db import SQLITE, Database
from central.forecast.history import Panel, empty_panel, monday

WEEK_S = 7 * 86400
_MONDAY_SHIFT = 3 * 86400
"""1970-01-01 was a Thursday: shifting by three days puts week boundaries on Mondays."""


def offset_s(tz: str) -> int:
    """The zone's offset from UTC in seconds (Indonesia's zones have no daylight saving)."""
    now = dt.datetime.now(ZoneInfo(tz)).utcoffset()
    return int(now.total_seconds()) if now is not None else 0


def week_expr(db: Database, column: str) -> str:
    """SQL for the local week number of epoch seconds ``column`` (weeks since the Monday 1969-12-29)."""
    inner = f"({column} + ? + {_MONDAY_SHIFT}) / {WEEK_S}"
    return f"CAST({inner} AS INTEGER)" if db.dialect == SQLITE else f"CAST(FLOOR({inner}) AS INTEGER)"


def week_monday(n: int) -> dt.date:
    return dt.date(1969, 12, 29) + dt.timedelta(weeks=n)


def week_number(day: dt.date) -> int:
    return (monday(day) - dt.date(1969, 12, 29)).days // 7


def _area(area: str, column: str) -> tuple[str, list[str]]:
    if not area:
        return "", []
    return f" AND ({column} = ? OR ({column} > ? AND {column} < ?))", [area, area + ".", area + "/"]


def panel_from_db(
    db: Database, services: Sequence[str], tz: str, area: str = "", until: dt.date | None = None
) -> Panel:
    """Counts of complete weeks up to the week before ``until`` (default: today)."""
    off = offset_s(tz)
    last = week_number(until or dt.datetime.now(ZoneInfo(tz)).date()) - 1
    where, params = _area(area, "c.village_code")
    rows = db.query(
        f"SELECT c.village_code, c.service_id, {week_expr(db, 'c.received_at')} AS wk, COUNT(*) FROM cases c"
        f" WHERE c.village_code <> ''{where} GROUP BY c.village_code, c.service_id, wk",
        (off, *params),
    )
    dwhere, dparams = _area(area, "d.village_code")
    starts = db.query(
        f"SELECT d.village_code, MIN({week_expr(db, 'd.registered_at')}) FROM devices d"
        f" WHERE d.village_code <> ''{dwhere} GROUP BY d.village_code",
        (off, *dparams),
    )
    begin: dict[str, int] = {str(v): int(w) for v, w in starts if w is not None}
    for village, _, wk, _ in rows:
        begin[village] = min(begin.get(village, int(wk)), int(wk))
    begin = {v: w for v, w in begin.items() if w <= last}
    if not begin:
        return empty_panel(services)
    first = min(begin.values())
    n = last - first + 1
    villages = tuple(sorted(begin))
    vi = {v: i for i, v in enumerate(villages)}
    si = {s: i for i, s in enumerate(services)}
    counts = np.full((len(villages), len(services), n), np.nan)
    for v, w in begin.items():
        counts[vi[v], :, w - first :] = 0.0
    for village, service, wk, count in rows:
        if service in si and village in vi and first <= int(wk) <= last:
            counts[vi[village], si[service], int(wk) - first] = float(count)
    _mark_offline(db, counts, villages, first, last, area, off)
    return Panel(tuple(week_monday(first + i) for i in range(n)), villages, tuple(services), counts)


def _mark_offline(
    db: Database, counts: np.ndarray, villages: tuple[str, ...], first: int, last: int, area: str, off: int
) -> None:
    """Weeks with no request whose village's kiosks were offline all week become missing."""
    recorded = db.one("SELECT MIN(hour) FROM kiosk_hours")
    if not recorded or recorded[0] is None:
        return
    since = (int(recorded[0]) * 3600 + off + _MONDAY_SHIFT) // WEEK_S + 1  # the first whole week with records
    dwhere, dparams = _area(area, "d.village_code")
    online = db.query(
        f"SELECT d.village_code, (k.hour * 3600 + {off + _MONDAY_SHIFT}) / {WEEK_S} AS wk FROM kiosk_hours k"
        f" JOIN devices d ON d.device_id = k.device_id WHERE k.hour >= ?{dwhere}"
        " GROUP BY d.village_code, wk",
        ((since * WEEK_S - _MONDAY_SHIFT - off) // 3600, *dparams),
    )
    seen = {(str(v), int(w)) for v, w in online}
    vi = {v: i for i, v in enumerate(villages)}
    for v, i in vi.items():
        for wk in range(max(first, since), last + 1):
            t = wk - first
            block = counts[i, :, t]
            if np.isfinite(block).all() and not block.any() and (v, wk) not in seen:
                counts[i, :, t] = np.nan
