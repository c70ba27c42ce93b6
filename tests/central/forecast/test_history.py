"""The history CSV: what it means, and clear errors for bad rows."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest

from central.forecast.history import HistoryError, Panel, merge, read_csv, to_csv_text
from tools.demand import SERVICES, Spec, generate

SVC = tuple(SERVICES)


def read(text: str) -> Panel:
    return read_csv(io.StringIO(text), SVC, "h.csv")


def test_absent_rows_are_zero_and_an_empty_count_is_missing() -> None:
    p = read(
        "week,village,service,count\n"
        "2026-01-05,91.03.05.2001,ktp_new,3\n"
        "2026-01-12,91.03.05.2001,ktp_new,\n"
        "2026-01-19,91.03.05.2001,kk_new,1\n"
        "2026-01-19,91.03.05.2002,kk_new,2\n"
    )
    assert p.weeks == (dt.date(2026, 1, 5), dt.date(2026, 1, 12), dt.date(2026, 1, 19))
    ktp = p.counts[0, p.services.index("ktp_new")]
    assert ktp[0] == 3 and np.isnan(ktp[1]) and ktp[2] == 0
    # the second village's series starts at its first row: before it nothing is known
    assert np.isnan(p.counts[1, :, :2]).all() and p.counts[1, p.services.index("kk_new"), 2] == 2


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("2026-01-06,91.03.05.2001,ktp_new,3", "h.csv:2: week 2026-01-06 is a Tuesday; give the Monday"),
        ("06/01/2026,91.03.05.2001,ktp_new,3", "h.csv:2: week '06/01/2026' is not a date"),
        ("2026-01-05,9103052001,ktp_new,3", "h.csv:2: village '9103052001' is not a kode wilayah"),
        ("2026-01-05,91.03.05.2001,paspor,3", "h.csv:2: service 'paspor' is not in the catalog"),
        ("2026-01-05,91.03.05.2001,ktp_new,-1", "h.csv:2: count '-1' is not a whole number"),
        ("2026-01-05,91.03.05.2001,ktp_new,2.5", "h.csv:2: count '2.5' is not a whole number"),
        ("2026-01-05,91.03.05.2001,ktp_new,3,4", "h.csv:2: more values than the 4 columns"),
    ],
)
def test_a_bad_row_is_named_with_its_line_and_reason(row: str, says: str) -> None:
    with pytest.raises(HistoryError) as err:
        read("week,village,service,count\n" + row + "\n")
    assert str(err.value).startswith(says)


def test_a_wrong_header_or_a_repeated_row_is_refused() -> None:
    with pytest.raises(HistoryError, match="h.csv:1: the header must be week,village,service,count"):
        read("minggu,desa,layanan,jumlah\n")
    with pytest.raises(HistoryError, match="h.csv:3: a second row for 91.03.05.2001 ktp_new 2026-01-05"):
        read(
            "week,village,service,count\n2026-01-05,91.03.05.2001,ktp_new,3\n2026-01-05,91.03.05.2001,ktp_new,1\n"
        )


def test_the_generators_history_goes_through_csv_unchanged() -> None:
    gen = generate(Spec(villages=25, weeks=70, end=dt.date(2026, 11, 30), seed=5))
    back = read(to_csv_text(gen.panel))
    assert back.villages == gen.panel.villages and back.weeks[-1] == gen.panel.weeks[-1]
    offset = len(gen.panel.weeks) - len(back.weeks)
    assert np.array_equal(back.counts, gen.panel.counts[:, :, offset:], equal_nan=True)


def test_the_kiosks_weeks_replace_the_registers_from_their_first_week() -> None:
    paper = read(
        "week,village,service,count\n2026-01-05,91.03.05.2001,ktp_new,3\n2026-01-12,91.03.05.2001,ktp_new,4\n"
    )
    kiosk = read(
        "week,village,service,count\n2026-01-12,91.03.05.2001,ktp_new,6\n2026-01-19,91.03.05.2001,ktp_new,5\n"
    )
    both = merge(paper, kiosk)
    assert list(both.counts[0, both.services.index("ktp_new")]) == [3, 6, 5]
