"""The office's SLA calendar is the shared one (:mod:`layanan.calendar`); this name stays for the office modules
that import it."""

from layanan.calendar import Calendar, HolidayFileError, read_office_days

__all__ = ["Calendar", "HolidayFileError", "read_office_days"]
