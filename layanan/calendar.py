"""Working days: Monday to Friday, less Indonesia's public holidays (the ``holidays`` package) and the days the
office adds itself (cuti bersama, local days) in a text file, ``YYYY-MM-DD name`` a line.

Shared by the office (SLA due dates, the transparency page) and the kiosk (the "ready by" date on the ticket
slip), so the citizen's slip and the clerk's inbox count the same days. The kiosk reads the same file, copied
into its data directory as ``holidays.txt`` (docs/provisioning.md)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import holidays

log = logging.getLogger(__name__)
_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\b")


class HolidayFileError(ValueError):
    """The office's holiday file has a line that is not a date; the message names the line."""


def read_office_days(path: Path | None) -> frozenset[dt.date]:
    if path is None or not path.exists():
        return frozenset()
    days = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        m = _LINE.match(text)
        try:
            if m is None:
                raise ValueError
            days.add(dt.date.fromisoformat(m.group(1)))
        except ValueError:
            raise HolidayFileError(f"{path}:{n}: {text!r} is not 'YYYY-MM-DD name'") from None
    return frozenset(days)


class Calendar:
    """Which days are working days at the office."""

    def __init__(self, office_days: frozenset[dt.date] = frozenset()) -> None:
        self._national = holidays.country_holidays("ID")
        self.office_days = office_days

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._national and day not in self.office_days

    def holiday_name(self, day: dt.date) -> str:
        return str(self._national.get(day) or ("" if day not in self.office_days else "office"))

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (the day the request came in does not count)."""
        day = start
        left = days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is before)."""
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        n, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            n += self.is_working_day(day)
        return sign * n
