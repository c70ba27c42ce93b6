"""The public aggregates on crafted data (SQLite and PostgreSQL): counts, SLA with holidays, suppression that no
published combination undoes, kiosk availability, and freshness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from central import transparency as tr
from central.suppression import PRIMARY
from tests.central.test_suppression import attack
from tests.support.office import Office, office_settings

TZ = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 6, 1, 12, tzinfo=TZ).timestamp()
SERVICES = ("ktp_new", "kk_new")


@pytest.fixture
def office(tmp_path: Path, central_db_url: str) -> Iterator[Office]:
    data = tmp_path / "office"
    data.mkdir()
    # cuti bersama around Idul Fitri 2026 (the office's own days, beside the national holidays)
    (data / "holidays.txt").write_text(
        "2026-03-20 cuti bersama\n2026-03-23 cuti bersama\n2026-03-24 cuti bersama\n"
    )
    o = Office(office_settings(data, central_db_url), central_db_url)
    try:
        yield o.start()
    finally:
        o.stop()


def at(day: dt.date, hour: int = 9) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TZ).timestamp()


def finish(office: Office, msg_id: str, day: dt.date, state: str = "siap_diambil") -> None:
    office.db.execute(
        "INSERT INTO case_history (msg_id, at, actor, state, reason) VALUES (?, ?, 'ani', ?, '')",
        (msg_id, at(day), state),
    )
    office.db.execute("UPDATE cases SET state = ?, state_at = ? WHERE msg_id = ?", (state, at(day), msg_id))


def crafted(office: Office) -> dict[tuple[str, str], int]:
    """Five villages in two kecamatan; village 2001 of 91.03.05 asked for a new KTP once."""
    plan = {
        ("91.03.05.2001", "ktp_new"): 1,
        ("91.03.05.2001", "kk_new"): 12,
        ("91.03.05.2002", "ktp_new"): 9,
        ("91.03.05.2002", "kk_new"): 8,
        ("91.03.05.2003", "ktp_new"): 15,
        ("91.03.05.2003", "kk_new"): 11,
        ("91.03.06.2001", "ktp_new"): 7,
        ("91.03.06.2001", "kk_new"): 3,
        ("91.03.06.2002", "ktp_new"): 12,
        ("91.03.06.2002", "kk_new"): 14,
    }
    for village in sorted({v for v, _ in plan}):
        office.device("kiosk-" + village.replace(".", ""), village)
    n = 0
    for (village, service), count in plan.items():
        for i in range(count):
            n += 1
            day = dt.date(2026, 4, 6) + dt.timedelta(days=7 * (n % 6) + i % 5)
            office.request("kiosk-" + village.replace(".", ""), service, received_at=at(day))
    office.index()
    return plan


def published(office: Office) -> tuple[dict[Any, int | None], dict[Any, str]]:
    values: dict[Any, int | None] = {}
    notes: dict[Any, str] = {}
    for area, service, rec, note in office.db.query(
        "SELECT area, service, received, received_note FROM public_cells"
    ):
        values[(area, service)] = rec
        if note:
            notes[(area, service)] = note
    for area, week, rec, note in office.db.query(
        "SELECT area, week, received, received_note FROM public_weeks"
    ):
        values[(area, "w:" + week)] = rec
        if note:
            notes[(area, "w:" + week)] = note
    return values, notes


def test_no_published_combination_reveals_the_one_request(office: Office) -> None:
    plan = crafted(office)
    pub = tr.refresh(office.db, SERVICES, "Asia/Jakarta", now=NOW)
    values, notes = published(office)
    assert values[("91.03.05.2001", "ktp_new")] is None and notes[("91.03.05.2001", "ktp_new")] == PRIMARY
    assert values[("91.03.06.2001", "kk_new")] is None  # 3 requests
    # the totals stay published: the small cells are shielded by their neighbours, not by hiding the region
    assert values[("", tr.ALL)] == 92 and values[("91.03.05", "ktp_new")] == 25
    assert values[("91.03.05.2001", tr.ALL)] == 13 and values[("91.03.05.2002", "ktp_new")] is None
    # every cell under 5 is hidden, in the tables and in the weekly charts
    truth = _truth(office, pub)
    assert all(values[c] is None for c, v in truth.items() if 0 < v < 5)
    # the attacker: every equation of the published tables, every shown value, what each mark says
    areas = sorted({a for a, _ in truth}, key=lambda a: (a.count("."), a))
    groups = tr._groups_of(areas, list(SERVICES)) + tr._week_groups(areas, pub.period)
    for cell, (low, high) in attack(truth, notes, groups).items():
        assert low < high, f"{cell} can be worked out: it is {low}"
    assert sum(v for (a, s), v in plan.items() if s == "ktp_new") == values[("", "ktp_new")]


def _truth(office: Office, pub: tr.Published) -> dict[Any, int]:
    """The real counts, straight from the cases (what the attacker wants)."""
    start = at(pub.period.start, 0)
    end = at(pub.period.end, 0)
    rows = office.db.query(
        "SELECT village_code, service_id, received_at FROM cases WHERE received_at >= ? AND received_at < ?",
        (start, end),
    )
    truth: dict[Any, int] = {}
    villages = sorted({r[0] for r in rows})
    for v in villages:
        for a in tr.ancestors(v):
            for s in (*SERVICES, tr.ALL):
                truth[(a, s)] = 0
            if tr.level_of(a) in tr.CHART_LEVELS:
                for w in pub.period.chart_mondays():
                    truth[(a, "w:" + w.isoformat())] = 0
    for village, service, received in rows:
        week = pub.period.start + dt.timedelta(weeks=int((received - start) // (7 * 86400)))
        for a in tr.ancestors(village):
            truth[(a, service)] += 1
            truth[(a, tr.ALL)] += 1
            if tr.level_of(a) in tr.CHART_LEVELS and week in pub.period.chart_mondays():
                truth[(a, "w:" + week.isoformat())] += 1
    return truth


def test_within_the_sla_counts_working_days_less_holidays_and_cuti_bersama(office: Office) -> None:
    office.device("kiosk-9103052001", "91.03.05.2001")
    made = [
        office.request("kiosk-9103052001", "ktp_new", received_at=at(dt.date(2026, 3, 16))) for _ in range(7)
    ]
    # five quick ones of each other service, so that no count beside them is under 5 (and none hides them)
    others = [
        office.request("kiosk-9103052001", s, received_at=at(dt.date(2026, 5, 4)))
        for s in SERVICES[1:]
        for _ in range(5)
    ]
    office.index()
    due = office.db.one("SELECT due_date FROM cases WHERE msg_id = ?", (made[0].msg_id,))
    # 14 working days from Monday 16 March: Nyepi, Idul Fitri and three days of cuti bersama do not count
    assert due == ("2026-04-10",)
    for r in made[:5]:
        finish(office, r.msg_id, dt.date(2026, 4, 9))  # 24 calendar days, yet within the SLA
    for r in made[5:]:
        finish(office, r.msg_id, dt.date(2026, 4, 13))  # late
    for r in others:
        finish(office, r.msg_id, dt.date(2026, 5, 5))
    tr.refresh(office.db, SERVICES, "Asia/Jakarta", now=NOW)
    row = office.db.one(
        "SELECT completed, median_days, within_sla FROM public_cells WHERE area = '91.03.05.2001' AND service = 'ktp_new'"
    )
    assert row is not None and row[0] == 7
    assert row[1] == 24.0 and row[2] == pytest.approx(5 / 7, abs=0.001)
    assert tr.within_sla(dt.date(2026, 4, 10), "2026-04-10") and not tr.within_sla(
        dt.date(2026, 4, 11), "2026-04-10"
    )


def test_backlog_age_availability_and_freshness(office: Office) -> None:
    office.device("kiosk-9103052001", "91.03.05.2001")
    office.db.execute("UPDATE devices SET registered_at = ?", (NOW - 10 * 86400,))
    for service in SERVICES:
        for _ in range(6):
            office.request("kiosk-9103052001", service, received_at=NOW - 9 * 86400)
    office.index()
    # heard from in 120 of the last 240 hours
    first = int((NOW - 10 * 86400) // 3600) + 1
    with office.db.tx() as cur:
        for h in range(first, first + 240, 2):
            cur.execute("INSERT INTO kiosk_hours (device_id, hour) VALUES ('kiosk-9103052001', ?)", (h,))
    tr.refresh(office.db, SERVICES, "Asia/Jakarta", now=NOW)
    row = office.db.one(
        "SELECT backlog, oldest_days, availability, kiosks FROM public_cells WHERE area = '91.03.05.2001' AND service = '*'"
    )
    assert row is not None and row[0] == 6 * len(SERVICES) and row[1] == pytest.approx(9.0, abs=0.01)
    assert row[2] == pytest.approx(0.5, abs=0.03) and row[3] == 1
    meta = tr.meta(office.db)
    assert meta is not None and meta[0] == NOW and meta[1:3] == ("2025-06-02", "2026-06-01")
