"""The ticket slip (kiosk/slip.py) without a window: working days, the bytes a printer gets, a failing printer."""

from __future__ import annotations

import datetime as dt

import numpy as np

from kiosk.compose import office_calendar
from kiosk.slip import TicketSlips, make_slip, open_printer, raster_to_image, render_slip
from layanan.calendar import Calendar
from layanan.config import KioskSettings, Settings
from layanan.domain.catalog import load_catalog
from layanan.domain.prompts import PromptBook, load_pack

CATALOG = load_catalog()
BOOKS = {lang: PromptBook(CATALOG, load_pack(lang)) for lang in ("id", "en")}


def test_the_ready_date_skips_weekends_and_public_holidays():
    friday = dt.date(2026, 12, 11)
    slip = make_slip(CATALOG, BOOKS["id"], "akta_lahir", "L-0007", friday, "")
    sla = CATALOG.services["akta_lahir"].sla_days
    calendar = Calendar()
    assert slip.ready_by == calendar.add_working_days(friday, sla)
    assert calendar.add_working_days(friday, 1) == dt.date(2026, 12, 14)  # Monday
    # Christmas (Friday 25th) and New Year (Friday 1st) are not working days: 14 days end on 4 January, not 31 December
    assert calendar.add_working_days(friday, 14) == dt.date(2027, 1, 4)


def test_the_slip_counts_the_offices_own_days_from_its_holiday_file(tmp_path, caplog):
    settings = Settings(kiosk=KioskSettings(data_dir=tmp_path))
    (tmp_path / "holidays.txt").write_text("# cuti bersama\n2026-12-14 cuti bersama\n", encoding="utf-8")
    slips = TicketSlips(
        CATALOG, BOOKS, lambda: None, today=lambda: dt.date(2026, 12, 11), calendar=office_calendar(settings)
    )
    make = make_slip(CATALOG, BOOKS["id"], "akta_lahir", "L-0007", dt.date(2026, 12, 11), "", slips.calendar)
    assert make.ready_by == Calendar(frozenset({dt.date(2026, 12, 14)})).add_working_days(
        dt.date(2026, 12, 11), CATALOG.services["akta_lahir"].sla_days
    )
    assert slips.calendar.add_working_days(dt.date(2026, 12, 11), 1) == dt.date(2026, 12, 15)
    # a broken file is named and does not stop the kiosk: national holidays only
    (tmp_path / "holidays.txt").write_text("14 Desember cuti\n", encoding="utf-8")
    assert office_calendar(settings).add_working_days(dt.date(2026, 12, 11), 1) == dt.date(2026, 12, 14)
    assert "holidays.txt:1" in caplog.text and "fix or remove that file" in caplog.text


def test_the_printer_gets_the_slip_as_one_raster_image_and_it_reads_back_dot_for_dot():
    slip = make_slip(CATALOG, BOOKS["en"], "akta_lahir", "L-0007", dt.date(2026, 12, 11), "Mon-Fri 8-15")
    assert slip.free and slip.labels["free"] == "FREE" and len(slip.bring) == 3
    drawn = render_slip(slip, 384)
    printer = open_printer("dummy", 384)
    assert printer is not None
    printer.print_slip(drawn.image)
    assert printer.output.count(b"\x1dv0") >= 1 and printer.output.endswith(b"\x1dV\x00")  # then a full cut
    back = np.asarray(raster_to_image(printer.output))[: drawn.image.height] < 128
    assert np.array_equal(back, np.asarray(drawn.image) < 128)


def test_without_a_printer_or_when_it_fails_the_slip_is_kept_for_the_screen():
    class Jammed:
        def print_slip(self, image):  # type: ignore[no-untyped-def]
            raise OSError("out of paper")

    for printer in (lambda: None, Jammed):
        slips = TicketSlips(CATALOG, BOOKS, printer, today=lambda: dt.date(2026, 12, 11))
        assert slips.issue("ktp_new", "K-0001", "id") is False
        assert slips.last_png and slips.last_png.startswith(b"\x89PNG")
    assert open_printer("") is None


def test_the_ticket_code_fits_the_paper_with_its_margins_at_both_widths():
    for width in (576, 384):
        slip = make_slip(CATALOG, BOOKS["id"], "ktp_new", "1230427", dt.date(2026, 12, 11), "")
        drawn = render_slip(slip, width)
        left, _, right, _ = drawn.boxes["ticket"]
        margin = width // 24
        assert margin <= left and right <= width - margin, (width, drawn.boxes["ticket"])
        assert right - left > width // 2, "still the largest thing on the slip"
