"""Weekly counts from the office's own database (SQLite and PostgreSQL), offline weeks kept missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from central.forecast.source import panel_from_db
from tests.support.office import Office, office_settings

TZ = "Asia/Jakarta"


@pytest.fixture
def office(tmp_path: Path, central_db_url: str) -> Iterator[Office]:
    o = Office(office_settings(tmp_path / "office", central_db_url), central_db_url)
    try:
        yield o.start()
    finally:
        o.stop()


def at(day: dt.date, hour: int = 9) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(TZ)).timestamp()


def test_requests_count_in_their_local_week_and_an_offline_week_is_missing(office: Office) -> None:
    office.device("kiosk-a", "91.03.05.2001")
    office.db.execute("UPDATE devices SET registered_at = ?", (at(dt.date(2026, 10, 5)),))
    mon = dt.date(2026, 10, 12)
    office.request("kiosk-a", "ktp_new", received_at=at(mon))
    office.request("kiosk-a", "ktp_new", received_at=at(mon + dt.timedelta(days=6), 23))  # Sunday night, WIB
    office.request("kiosk-a", "kk_new", received_at=at(mon + dt.timedelta(days=14)))
    office.index()
    # heard from every hour but in the week of 2026-10-19 (broken) and that of 2026-11-02 (online, no one came)
    hours = [
        int(at(dt.date(2026, 10, 5), 0) // 3600) + h
        for h in range(0, 6 * 7 * 24)
        if not dt.date(2026, 10, 19) <= (dt.date(2026, 10, 5) + dt.timedelta(hours=h)) < dt.date(2026, 10, 26)
    ]
    with office.db.tx() as cur:
        for h in hours:
            cur.execute("INSERT INTO kiosk_hours (device_id, hour) VALUES ('kiosk-a', ?)", (h,))
    p = panel_from_db(office.db, ("ktp_new", "kk_new"), TZ, until=dt.date(2026, 11, 10))
    assert p.villages == ("91.03.05.2001",)
    assert p.weeks[0] == dt.date(2026, 10, 5) and p.weeks[-1] == dt.date(2026, 11, 2)
    ktp = p.counts[0, 0]
    assert list(ktp[:2]) == [0.0, 2.0]
    assert np.isnan(p.counts[0, :, 2]).all()  # offline all week, no request: missing
    assert p.counts[0, 1, 3] == 1.0 and p.counts[0, :, 4].sum() == 0.0  # online but quiet: zero
    assert panel_from_db(office.db, ("ktp_new",), TZ, area="91.04").villages == ()
