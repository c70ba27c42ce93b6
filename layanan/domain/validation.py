"""Checks of what a citizen enters: NIK, KK number, phone, small numbers, dates.

Each check returns ``None`` when the value is good, or an error key (``nik.length``, ``phone.prefix`` ...) that the
language pack turns into a spoken and written message. Values are never logged.
"""

from __future__ import annotations

import datetime as dt

PROVINCE_CODES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        21,
        31,
        32,
        33,
        34,
        35,
        36,
        51,
        52,
        53,
        61,
        62,
        63,
        64,
        65,
        71,
        72,
        73,
        74,
        75,
        76,
        81,
        82,
        91,
        92,
        93,
        94,
        95,
        96,
    }
)
"""Kemendagri province codes (Aceh 11 ... Papua Barat Daya 96)."""


def _valid_day_month_yy(day: int, month: int, yy: int) -> bool:
    for century in (1900, 2000):
        try:
            dt.date(century + yy, month, day)
            return True
        except ValueError:
            continue
    return False


def _region_error(prefix: str, digits: str) -> str | None:
    if int(digits[0:2]) not in PROVINCE_CODES:
        return f"{prefix}.province"
    if digits[2:4] == "00" or digits[4:6] == "00":
        return f"{prefix}.region"
    return None


def check_nik(value: str) -> str | None:
    """A NIK: 16 digits = region PPKKCC + birth date DDMMYY (women: day + 40) + serial 0001-9999."""
    if not value.isdigit():
        return "nik.digits"
    if len(value) != 16:
        return "nik.length"
    if err := _region_error("nik", value):
        return err
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    if day > 40:
        day -= 40
    if not _valid_day_month_yy(day, month, yy):
        return "nik.date"
    if value[12:] == "0000":
        return "nik.serial"
    return None


def check_kk(value: str) -> str | None:
    """A family card number: 16 digits = region PPKKCC + issue date DDMMYY + serial 0001-9999."""
    if not value.isdigit():
        return "kk.digits"
    if len(value) != 16:
        return "kk.length"
    if err := _region_error("kk", value):
        return err
    if not _valid_day_month_yy(int(value[6:8]), int(value[8:10]), int(value[10:12])):
        return "kk.date"
    if value[12:] == "0000":
        return "kk.serial"
    return None


def normalize_phone(value: str) -> str:
    """``+62 812-3456-789`` / ``62812...`` / ``0812...`` -> ``0812...`` (what the keypad shows)."""
    digits = "".join(c for c in value if c.isdigit())
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return digits


def check_phone(value: str) -> str | None:
    """An Indonesian mobile (08xx, 10-13 digits) or landline with area code (0xx, 9-12 digits)."""
    digits = normalize_phone(value)
    if not digits:
        return "phone.empty"
    if not digits.startswith("0"):
        return "phone.prefix"
    if digits.startswith("08"):
        return None if 10 <= len(digits) <= 13 else "phone.length"
    if 9 <= len(digits) <= 12 and digits[1] in "123456789":
        return None
    return "phone.length"


def check_digits(value: str, min_len: int, max_len: int) -> str | None:
    if not value.isdigit():
        return "digits.empty"
    if not min_len <= len(value) <= max_len:
        return "digits.length"
    if int(value) == 0:
        return "digits.zero"
    return None


def check_date(value: str) -> str | None:
    """DDMMYYYY, a real calendar date from 1900 on."""
    if not value.isdigit() or len(value) != 8:
        return "date.length"
    try:
        day = dt.date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        return "date.invalid"
    if day.year < 1900:
        return "date.invalid"
    return None


FAULTY_DIGITS = {"province": (0, 2), "region": (2, 6), "date": (6, 12), "serial": (12, 16)}
"""Which digits of a 16-digit NIK or KK number an error is about (start, end): the screen marks their groups
of four, and the spoken error names them in plain words ("dua angka pertama salah")."""


def faulty_groups(error: str | None, size: int = 4) -> tuple[int, ...]:
    """The groups of four digits (0 to 3) that a NIK or KK number's error points at; none for other errors."""
    if not error or error.partition(".")[0] not in ("nik", "kk"):
        return ()
    span = FAULTY_DIGITS.get(error.partition(".")[2])
    if span is None:
        return ()
    return tuple(range(span[0] // size, (span[1] - 1) // size + 1))
