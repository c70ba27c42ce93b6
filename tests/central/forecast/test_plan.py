"""From forecast to action: OpenLMIS-style order quantities, moves within a regency, staff days."""

from __future__ import annotations

import pytest

from central.forecast import plan
from layanan.domain.catalog import load_catalog


def test_openlmis_maximum_stock_is_periods_times_average_consumption() -> None:
    assert plan.max_stock(4, 12.5) == 50.0


@pytest.mark.parametrize(
    ("target", "on_hand", "pack", "order"),
    [
        (50.0, 20, 1, 30),
        (50.2, 20, 1, 31),  # whole units, rounded up: the stock must cover the target
        (50.0, 60, 1, 0),  # enough on hand: nothing, never a negative order
        (50.0, 50, 1, 0),
        (41.0, 0, 25, 50),  # packs of 25
        (10.0, -3, 1, 10),  # a miscounted negative stock counts as none
    ],
)
def test_the_order_brings_the_stock_on_hand_up_to_the_target(
    target: float, on_hand: int, pack: int, order: int
) -> None:
    assert plan.order_quantity(target, on_hand, pack) == order


def test_a_surplus_moves_to_a_short_kecamatan_of_the_same_regency_before_anything_is_ordered() -> None:
    totals = {
        ("91.03.05", "ktp_blank"): (30.0, 40.0),
        ("91.03.06", "ktp_blank"): (20.0, 28.0),
        ("91.04.01", "ktp_blank"): (10.0, 15.0),
        ("91.03.05", "kk_form"): (5.0, 9.0),
    }
    stock = {("91.03.05", "ktp_blank"): 10, ("91.03.06", "ktp_blank"): 60, ("91.04.01", "ktp_blank"): 0}
    lines = {(line.kecamatan, line.supply): line for line in plan.plan_supplies(totals, stock)}
    short = lines[("91.03.05", "ktp_blank")]
    assert short.move_in == [("91.03.06", 30)] and short.order == 0  # 40 needed, 10 + 30 moved
    rich = lines[("91.03.06", "ktp_blank")]
    assert rich.move_out == [("91.03.05", 30)] and rich.order == 0  # keeps its own 28
    other = lines[("91.04.01", "ktp_blank")]
    assert other.move_in == [] and other.order == 15  # another regency: ordered, not moved
    unknown = lines[("91.03.05", "kk_form")]
    assert unknown.on_hand is None and unknown.order == 9  # no stock recorded: the whole target


def test_staff_days_come_from_the_forecast_minutes() -> None:
    [line] = plan.plan_staff({"91.03.05": (3600.0, 4320.0)}, {"91.03.05": 2.0}, 4)
    assert line.mean_days == 10.0 and line.needed_days == 12.0
    assert line.available_days == 8.0 and line.gap == -4.0


def test_the_catalog_names_what_each_kecamatan_series_sums() -> None:
    derived = plan.derived_series(load_catalog())
    assert derived["ktp_blank"] == {"ktp_new": 1.0, "ktp_replace": 1.0}
    assert derived["akta_paper"] == {"akta_lahir": 1.0, "akta_kematian": 1.0}
    assert derived[plan.STAFF]["ktp_new"] == 25 and "call_staff" not in derived[plan.STAFF]
    assert len(plan.demand_services(load_catalog())) == 13
