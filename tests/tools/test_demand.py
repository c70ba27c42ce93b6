"""The demand generator: it looks like village offices, and what is missing stays missing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from central.forecast.history import kecamatan_of
from tools.demand import SERVICES, Spec, generate


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return generate(Spec(villages=150, weeks=156, end=dt.date(2026, 11, 30), seed=3))


def test_the_same_seed_gives_the_same_history(gen) -> None:  # type: ignore[no-untyped-def]
    again = generate(Spec(villages=150, weeks=156, end=dt.date(2026, 11, 30), seed=3))
    assert np.array_equal(gen.panel.counts, again.panel.counts, equal_nan=True)


def test_small_villages_have_intermittent_counts_and_large_ones_do_not(gen) -> None:  # type: ignore[no-untyped-def]
    c = gen.panel.counts
    weekly = np.nansum(c, axis=(1, 2)) / np.isfinite(c[:, 0, :]).sum(axis=1)
    small, large = np.argmin(weekly), np.argmax(weekly)
    assert np.nanmean(c[small] == 0) > 0.7
    assert np.nanmean(c[large] == 0) < 0.5
    assert len(gen.panel.services) == len(SERVICES) == 13
    assert all(kecamatan_of(v).count(".") == 2 for v in gen.panel.villages)


def test_akta_lahir_rises_at_school_enrolment_and_lebaran_empties_the_office(gen) -> None:  # type: ignore[no-untyped-def]
    total = np.nansum(gen.panel.counts, axis=0)
    weeks = gen.panel.weeks
    akta = total[list(SERVICES).index("akta_lahir")]
    june = [i for i, w in enumerate(weeks) if w.month == 6]
    feb = [i for i, w in enumerate(weeks) if w.month == 2]
    assert akta[june].mean() > 1.8 * akta[feb].mean()
    lebaran = weeks.index(dt.date(2025, 3, 31))  # Idul Fitri 2025-03-31
    everything = total.sum(axis=0)
    assert everything[lebaran] < 0.2 * np.median(everything)


def test_bansos_complaints_follow_the_monthly_distribution(gen) -> None:  # type: ignore[no-untyped-def]
    expected = np.nansum(gen.expected, axis=0)[list(SERVICES).index("bansos_complaint")]
    first_half = [i for i, w in enumerate(gen.panel.weeks) if 3 <= w.day <= 9 and w.month not in (3, 4)]
    last = [i for i, w in enumerate(gen.panel.weeks) if 17 <= w.day <= 23 and w.month not in (3, 4)]
    assert expected[first_half].mean() > 1.5 * expected[last].mean()


def test_a_late_kiosk_has_no_data_before_it_opens_then_ramps_up(gen) -> None:  # type: ignore[no-untyped-def]
    assert gen.opened
    village, opened = next(iter(gen.opened.items()))
    v = gen.panel.villages.index(village)
    w0 = gen.panel.weeks.index(opened)
    assert np.isnan(gen.panel.counts[v, :, :w0]).all()
    assert np.isfinite(gen.panel.counts[v, :, w0]).all()
    ramp = gen.expected[v].sum(axis=0)
    assert ramp[w0 + 1] < 0.5 * ramp[w0 + 20]


def test_an_outage_week_is_missing_not_zero(gen) -> None:  # type: ignore[no-untyped-def]
    assert gen.outages
    village, weeks = next(iter(gen.outages.items()))
    v = gen.panel.villages.index(village)
    for week in weeks:
        t = gen.panel.weeks.index(week)
        assert np.isnan(gen.panel.counts[v, :, t]).all()
        assert gen.expected[v, :, t].sum() > 0  # the citizens were there; the data was not
    kec = gen.panel.kecamatan()
    k = kec.villages.index(kecamatan_of(village))
    assert np.isnan(kec.counts[k, :, gen.panel.weeks.index(weeks[0])]).all()
