"""The ticket slip (kiosk/slip.py) without a window: working days, the bytes a printer gets, a failing printer."""

from __future__ import annotations

import datetime as dt

import numpy as np

from kiosk.slip import TicketSlips, make_slip, open_printer, raster_to_image, render_slip, working_days_after
from layanan.domain.catalog import load_catalog
from layanan.domain.prompts import PromptBook, load_pack

CATALOG = load_catalog()
BOOKS = {lang: PromptBook(CATALOG, load_pack(lang)) for lang in ("id", "en")}


def test_the_ready_date_counts_working_days_only():
    friday = dt.date(2026, 12, 11)
    assert working_days_after(friday, 1) == dt.date(2026, 12, 14)  # Monday
    assert working_days_after(friday, 5) == dt.date(2026, 12, 18)
    assert working_days_after(friday, 14) == dt.date(2026, 12, 31)


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
