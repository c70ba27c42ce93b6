"""The public's view of how each village is served: aggregates per region and service, small cells suppressed.

Per province -> regency -> kecamatan -> village (the kode wilayah's parts) and per service, over the last 52
complete weeks: requests received, completed (ready to collect or done), median days from arrival to completion,
the share of those completed within the SLA (the due date in working days, holidays included), the open backlog
now and its oldest request's age, and kiosk availability (the share of hours a region's kiosks were heard from,
by telemetry or a request). Weekly received and completed counts per region down to the kecamatan feed the
trend charts.

Only aggregates leave this module, and only after ``central.suppression`` has hidden every count under 5 and
every cell from which one could be worked out (the services of a region add up to its total, its children to it,
its weeks to its year). Medians, SLA shares and the oldest age are shown only where their count is published and
at least 5. ``refresh`` writes the published tables (``public_cells``, ``public_weeks``, ``public_meta``) in one
transaction: the page reads them and never the cases.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from central.db import SQLITE, Cursor, Database
from central.forecast.plan import insert_many
from central.suppression import SMALL, suppress

log = logging.getLogger(__name__)

WEEKS = 52
REFRESH_S = 3600.0
"""How often the console recomputes what /publik shows (the page says when it last did)."""
ALL = "*"
"""The service column of a region's total over all services."""
LEVELS = ("root", "province", "regency", "kecamatan", "village")
CHART_LEVELS = ("root", "province", "regency", "kecamatan")
"""Levels with a weekly chart (a village's weekly counts are mostly under 5)."""
CHART_WEEKS = 26
"""The chart shows the last half of the period: its weeks do not add up to any published total, so a hidden week
cannot be had as the year's total less the shown weeks."""
DONE = ("siap_diambil", "selesai")
OPEN = ("diterima", "diproses")
_VILLAGE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")


def parent_of(area: str) -> str:
    """``91.03.05.2001`` -> ``91.03.05`` -> ``91.03`` -> ``91`` -> ``""`` (all of the country)."""
    return area.rsplit(".", 1)[0] if "." in area else ""


def level_of(area: str) -> str:
    return LEVELS[0 if not area else area.count(".") + 1]


def ancestors(village: str) -> list[str]:
    """The village and every region above it, the country (``""``) last."""
    out = [village]
    while out[-1]:
        out.append(parent_of(out[-1]))
    return out


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    """The Monday after the last complete week (exclusive)."""

    @classmethod
    def ending(cls, today: dt.date, weeks: int = WEEKS) -> Period:
        end = today - dt.timedelta(days=today.weekday())
        return cls(end - dt.timedelta(weeks=weeks), end)

    def mondays(self) -> list[dt.date]:
        return [self.start + dt.timedelta(weeks=i) for i in range((self.end - self.start).days // 7)]

    def chart_mondays(self) -> list[dt.date]:
        return self.mondays()[-CHART_WEEKS:]


# --- kiosk hours ------------------------------------------------------------------------------------------------


def record_hours(db: Database) -> int:
    """Add the hours in which each kiosk was heard from (telemetry history, requests) since the last look."""
    row = db.one("SELECT MAX(hour) FROM kiosk_hours")
    since = (int(row[0]) - 1) * 3600 if row and row[0] is not None else 0
    hour = (
        "CAST(received_at / 3600 AS INTEGER)" if db.dialect == SQLITE else "FLOOR(received_at / 3600)::bigint"
    )
    added = 0
    with db.tx() as cur:
        for table in ("telemetry_log", "requests"):
            cur.execute(
                f"INSERT INTO kiosk_hours (device_id, hour) SELECT DISTINCT device_id, {hour} FROM {table}"
                " WHERE received_at >= ? ON CONFLICT DO NOTHING",
                (float(since),),
            )
            added += max(cur.rowcount, 0)
    return added


# --- the aggregates ---------------------------------------------------------------------------------------------


@dataclass
class Cases:
    """One row per case (numpy columns)."""

    village: np.ndarray
    service: np.ndarray
    received: np.ndarray
    state: np.ndarray
    done_at: np.ndarray
    """When it became ready or done (NaN when it has not)."""
    within: np.ndarray
    """Completed by its due date."""


def load_cases(db: Database, since: float, tz: ZoneInfo) -> Cases:
    rows = db.query(
        "SELECT c.village_code, c.service_id, c.received_at, c.state, c.state_at, c.due_date, h.done"
        " FROM cases c LEFT JOIN (SELECT msg_id, MIN(at) AS done FROM case_history"
        " WHERE state IN ('siap_diambil', 'selesai') GROUP BY msg_id) h ON h.msg_id = c.msg_id"
        " WHERE c.received_at >= ? OR c.state IN ('diterima', 'diproses')",
        (since,),
    )
    rows = [r for r in rows if _VILLAGE.match(r[0] or "")]
    state = np.array([r[3] for r in rows], dtype=object)
    done_at = np.array(
        [float(r[6]) if r[6] is not None else (float(r[4]) if r[3] in DONE else np.nan) for r in rows]
    )
    within = np.array(
        [
            np.isfinite(d) and dt.datetime.fromtimestamp(d, tz).date().isoformat() <= r[5]
            for d, r in zip(done_at, rows, strict=True)
        ],
        dtype=bool,
    )
    return Cases(
        np.array([r[0] for r in rows], dtype=object),
        np.array([r[1] for r in rows], dtype=object),
        np.array([float(r[2]) for r in rows]),
        state,
        done_at,
        within,
    )


def within_sla(done_local: dt.date, due_date: str) -> bool:
    """Completed on or before its due date (which ``layanan.calendar`` counted in working days)."""
    return done_local.isoformat() <= due_date


@dataclass(frozen=True)
class Published:
    cells: list[tuple[Any, ...]]
    weeks: list[tuple[Any, ...]]
    period: Period
    requests: int


def _groups_of(
    areas: Sequence[str], items: Sequence[str]
) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    """Every total and its parts: a region's items to its total, its children to it (per item)."""
    children: dict[str, list[str]] = {}
    for a in areas:
        if a:
            children.setdefault(parent_of(a), []).append(a)
    groups = []
    for a in areas:
        groups.append(((a, ALL), [(a, s) for s in items]))
    for a, kids in children.items():
        for s in (*items, ALL):
            groups.append(((a, s), [(k, s) for k in kids]))
    return groups


_PREFIX = {"root": 0, "province": 2, "regency": 5, "kecamatan": 8, "village": 13}


def _frame(c: Cases, services: Sequence[str], start_ts: float, end_ts: float, now: float) -> Any:
    import pandas as pd

    df = pd.DataFrame(
        {
            "village": c.village.astype(str),
            "service": c.service.astype(str),
            "received": c.received,
            "days": (c.done_at - c.received) / 86400.0,
            "within": c.within,
            "age": (now - c.received) / 86400.0,
        }
    )
    df = df[df["service"].isin(list(services))]
    df["in_period"] = (df["received"] >= start_ts) & (df["received"] < end_ts)
    df["completed"] = df["in_period"] & np.isfinite(df["days"].to_numpy())
    df["open"] = np.isin(c.state[df.index.to_numpy()], list(OPEN))
    df["week"] = np.floor((df["received"] - start_ts) / (7 * 86400)).astype(int)
    return df


def _aggregate(
    df: Any, areas: Sequence[str], items: Sequence[str], mondays: Sequence[dt.date]
) -> dict[str, Any]:
    """Counts per (area, item), medians, SLA shares, oldest ages, weekly counts (chart levels)."""
    counts = {
        name: {(a, s): 0 for a in areas for s in (*items, ALL)}
        for name in ("received", "completed", "backlog")
    }
    weekly = {
        name: {(a, "w:" + w.isoformat()): 0 for a in areas if level_of(a) in CHART_LEVELS for w in mondays}
        for name in ("received", "completed")
    }
    median: dict[tuple[str, str], float] = {}
    share: dict[tuple[str, str], float] = {}
    oldest: dict[tuple[str, str], float] = {}
    period = df[df["in_period"]]
    done = df[df["completed"]]
    backlog = df[df["open"]]
    for level, k in _PREFIX.items():
        for frame, name in ((period, "received"), (done, "completed"), (backlog, "backlog")):
            area = frame["village"].str[:k]
            for (a, s), n in frame.groupby([area, frame["service"]]).size().items():
                counts[name][(a, s)] = int(n)
            for a, n in frame.groupby(area).size().items():
                counts[name][(a, ALL)] = int(n)
        area = done["village"].str[:k]
        for keys, by in (([area, done["service"]], True), ([area], False)):
            g = done.groupby(keys)
            for key, value in g["days"].median().items():
                median[key if by else (key, ALL)] = round(float(value), 1)
            for key, value in g["within"].mean().items():
                share[key if by else (key, ALL)] = round(float(value), 3)
        area = backlog["village"].str[:k]
        for keys, by in (([area, backlog["service"]], True), ([area], False)):
            for key, value in backlog.groupby(keys)["age"].max().items():
                oldest[key if by else (key, ALL)] = round(float(value), 1)
        if level in CHART_LEVELS:
            for frame, name in ((period, "received"), (done, "completed")):
                area = frame["village"].str[:k]
                for (a, w), n in frame.groupby([area, frame["week"]]).size().items():
                    if 0 <= w < len(mondays):
                        weekly[name][(a, "w:" + mondays[w].isoformat())] = int(n)
    return {"counts": counts, "weekly": weekly, "median": median, "share": share, "oldest": oldest}


def compute(db: Database, services: Sequence[str], tz: str, now: float | None = None) -> Published:
    """The published aggregates, suppressed (not written anywhere)."""
    now = time.time() if now is None else now
    zone = ZoneInfo(tz)
    period = Period.ending(dt.datetime.fromtimestamp(now, zone).date())
    start_ts = dt.datetime.combine(period.start, dt.time(), zone).timestamp()
    end_ts = dt.datetime.combine(period.end, dt.time(), zone).timestamp()
    c = load_cases(db, start_ts, zone)
    df = _frame(c, services, start_ts, end_ts, now)
    villages = sorted(set(df["village"].tolist()) | set(_registered_villages(db)))
    areas = sorted({a for v in villages for a in ancestors(v)}, key=lambda a: (a.count("."), a))
    items = list(services)
    mondays = period.mondays()
    agg = _aggregate(df, areas, items, mondays)
    chart = set(period.chart_mondays())
    for name in ("received", "completed"):
        agg["weekly"][name] = {
            k: n for k, n in agg["weekly"][name].items() if dt.date.fromisoformat(k[1][2:]) in chart
        }
    counts, weekly = agg["counts"], agg["weekly"]
    groups = _groups_of(areas, items)
    week_groups = _week_groups(areas, period)
    notes = {
        "received": suppress({**counts["received"], **weekly["received"]}, groups + week_groups),
        "completed": suppress({**counts["completed"], **weekly["completed"]}, groups + week_groups),
        "backlog": suppress(counts["backlog"], groups),
    }
    avail = availability(db, villages, start_ts, min(end_ts, now))
    cells = []
    for a in areas:
        av, kiosks = avail.get(a, (None, 0))
        for s in (*items, ALL):
            key = (a, s)
            rec, rnote = _published(counts["received"][key], notes["received"].get(key))
            com, cnote = _published(counts["completed"][key], notes["completed"].get(key))
            bac, bnote = _published(counts["backlog"][key], notes["backlog"].get(key))
            enough = com is not None and com >= SMALL
            cells.append(
                (
                    a,
                    level_of(a),
                    parent_of(a) if a else "",
                    s,
                    rec,
                    rnote,
                    com,
                    cnote,
                    bac,
                    bnote,
                    agg["median"].get(key) if enough else None,
                    agg["share"].get(key) if enough else None,
                    agg["oldest"].get(key) if bac is not None and bac >= SMALL else None,
                    av,
                    kiosks,
                )
            )
    weeks_rows = []
    for a in areas:
        if level_of(a) not in CHART_LEVELS:
            continue
        for w in period.chart_mondays():
            key = (a, "w:" + w.isoformat())
            rec, rnote = _published(weekly["received"][key], notes["received"].get(key))
            com, cnote = _published(weekly["completed"][key], notes["completed"].get(key))
            weeks_rows.append((a, w.isoformat(), rec, rnote, com, cnote))
    return Published(cells, weeks_rows, period, int(df["in_period"].sum()))


def _published(value: int, note: str | None) -> tuple[int | None, str]:
    return (None, note) if note else (value, "")


def _week_groups(areas: Sequence[str], period: Period) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    """A region's children's weeks add up to its week (chart levels). The charted weeks do not add up to a
    published total (``CHART_WEEKS``)."""
    charted = [a for a in areas if level_of(a) in CHART_LEVELS]
    weeks = ["w:" + w.isoformat() for w in period.chart_mondays()]
    groups: list[tuple[tuple[str, str], list[tuple[str, str]]]] = []
    children: dict[str, list[str]] = {}
    for a in charted:
        if a:
            children.setdefault(parent_of(a), []).append(a)
    for a, kids in children.items():
        for w in weeks:
            groups.append(((a, w), [(k, w) for k in kids]))
    return groups


def _registered_villages(db: Database) -> list[str]:
    return [
        str(r[0]) for r in db.query("SELECT DISTINCT village_code FROM devices") if _VILLAGE.match(r[0] or "")
    ]


def availability(
    db: Database, villages: Sequence[str], start: float, end: float
) -> dict[str, tuple[float | None, int]]:
    """Per region: the share of hours its kiosks were heard from (since each was registered and since hours are
    recorded), and how many kiosks it has."""
    first = db.one("SELECT MIN(hour) FROM kiosk_hours")
    recorded_from = float(first[0]) * 3600 if first and first[0] is not None else end
    devices = db.query("SELECT device_id, village_code, registered_at FROM devices WHERE disabled_at IS NULL")
    heard = {
        str(d): int(n)
        for d, n in db.query(
            "SELECT device_id, COUNT(*) FROM kiosk_hours WHERE hour >= ? AND hour < ? GROUP BY device_id",
            (int(start // 3600), int(end // 3600)),
        )
    }
    online: dict[str, float] = {}
    possible: dict[str, float] = {}
    kiosks: dict[str, int] = {}
    for device_id, village, registered in devices:
        if not _VILLAGE.match(village or ""):
            continue
        begin = max(start, float(registered), recorded_from)
        hours = max(0.0, (end - begin) / 3600)
        for a in ancestors(village):
            kiosks[a] = kiosks.get(a, 0) + 1
            if hours >= 1:
                possible[a] = possible.get(a, 0.0) + hours
                online[a] = online.get(a, 0.0) + min(heard.get(device_id, 0), hours)
    return {
        a: (round(online[a] / possible[a], 3) if possible.get(a) else None, kiosks.get(a, 0))
        for a in set(kiosks) | set(possible)
    }


def refresh(db: Database, services: Sequence[str], tz: str, now: float | None = None) -> Published:
    """Record kiosk hours, compute and suppress the aggregates, replace the published tables in one transaction."""
    started = time.perf_counter()
    record_hours(db)
    pub = compute(db, services, tz, now)
    seconds = time.perf_counter() - started
    with db.tx() as cur:
        _write(cur, pub, time.time() if now is None else now, seconds)
    log.info(
        "transparency: %d requests in %d cells published in %.1f s", pub.requests, len(pub.cells), seconds
    )
    return pub


def _write(cur: Cursor, pub: Published, at: float, seconds: float) -> None:
    if cur.dialect != SQLITE:
        # two refreshes at once (the console's thread, 'kiosk-central publish'): one after the other, and each
        # DELETE sees what the other committed (SQLite's BEGIN IMMEDIATE already serialises them)
        cur.execute("SELECT pg_advisory_xact_lock(4244)")
    cur.execute("DELETE FROM public_cells")
    cur.execute("DELETE FROM public_weeks")
    cur.execute("DELETE FROM public_meta")
    insert_many(
        cur,
        "public_cells (area, level, parent, service, received, received_note, completed, completed_note, backlog,"
        " backlog_note, median_days, within_sla, oldest_days, availability, kiosks)",
        pub.cells,
    )
    insert_many(
        cur, "public_weeks (area, week, received, received_note, completed, completed_note)", pub.weeks
    )
    cur.execute(
        "INSERT INTO public_meta (id, refreshed_at, period_start, period_end, requests, seconds)"
        " VALUES (1, ?, ?, ?, ?, ?)",
        (at, pub.period.start.isoformat(), pub.period.end.isoformat(), pub.requests, round(seconds, 2)),
    )


class Refresher:
    """Refreshes the published aggregates now and then every ``every_s`` seconds, in a thread of the console."""

    def __init__(self, db: Database, services: Sequence[str], tz: str, every_s: float = REFRESH_S) -> None:
        import threading

        self.db, self.services, self.tz, self.every_s = db, tuple(services), tz, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="transparency", daemon=True)

    def start(self) -> Refresher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)

    def _loop(self) -> None:
        from central.db import is_database_error

        while not self._stop.is_set():
            try:
                refresh(self.db, self.services, self.tz)
            except Exception as exc:  # noqa: BLE001 - the database may be down: try again later
                if is_database_error(exc):
                    log.warning("transparency: database not reachable (%s); trying again", type(exc).__name__)
                else:
                    log.exception("transparency: refresh failed; trying again")
            self._stop.wait(self.every_s)


def meta(db: Database) -> tuple[float, str, str, int] | None:
    """(refreshed at, period start, period end, requests) of the published tables, or None before the first."""
    row = db.one("SELECT refreshed_at, period_start, period_end, requests FROM public_meta WHERE id = 1")
    return None if row is None else (float(row[0]), str(row[1]), str(row[2]), int(row[3]))
