"""Small-cell suppression: no published combination of cells gives back a count under 5.

The check is an attacker's: every equation the tables satisfy (totals of villages, of services, of weeks), every
shown value, what each mark says ("< 5": 1 to 4; "x": 5 or more), solved as an integer programme for the smallest
and largest value of each hidden small cell. If the two are equal, the cell is revealed.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from central.suppression import PRIMARY, SECONDARY, suppress


def attack(
    values: Mapping[Hashable, int],
    hidden: Mapping[Hashable, str],
    groups: Sequence[tuple[Hashable, Sequence[Hashable]]],
) -> dict[Hashable, tuple[int, int]]:
    """The range each hidden small cell could have, given everything published."""
    cells = list(values)
    index = {c: i for i, c in enumerate(cells)}
    big = sum(values.values()) + 10
    # "< 5" is 0 to 4; an "x" is 5 or more (5 s <= x <= big s with s = 1; the switch is kept general)
    switches = [c for c, note in hidden.items() if note == SECONDARY]
    n = len(cells) + len(switches)
    lo = np.array([values[c] if c not in hidden else 0 for c in cells] + [0] * len(switches), float)
    hi = np.array(
        [values[c] if c not in hidden else (4 if hidden[c] == PRIMARY else big) for c in cells]
        + [1] * len(switches),
        float,
    )
    rows, low, high = [], [], []
    for total, parts in groups:
        row = np.zeros(n)
        row[index[total]] = 1
        for p in parts:
            row[index[p]] -= 1
        rows.append(row)
        low.append(0)
        high.append(0)
    for j, c in enumerate(switches):
        for coef, lb, ub in ((5, -np.inf, 0), (big, 0, np.inf)):
            row = np.zeros(n)
            row[index[c]] = -1 if coef == 5 else 1
            row[len(cells) + j] = coef if coef == 5 else -coef
            rows.append(row if coef == 5 else -row)
            low.append(lb)
            high.append(ub)
    cons = LinearConstraint(np.array(rows), low, high)
    out = {}
    for c, note in hidden.items():
        if note != PRIMARY:
            continue
        obj = np.zeros(n)
        obj[index[c]] = 1
        ends = []
        for sign in (1, -1):
            r = milp(sign * obj, constraints=cons, bounds=Bounds(lo, hi), integrality=np.ones(n))
            assert r.status == 0, "the published table must be consistent"
            ends.append(round(r.x[index[c]]))
        out[c] = (ends[0], ends[1])
    return out


def crafted(seed: int, villages: int = 4, services: int = 3, weeks: int = 4) -> tuple[dict, list]:
    """A kecamatan K of a few villages, services and weeks, many cells small, with every total."""
    rnd = random.Random(seed)
    weekly = {
        (v, s, w): rnd.choice([0, 0, 1, 1, 2, 3, 4, 6, 9, 15])
        for v in range(villages)
        for s in range(services)
        for w in range(weeks)
    }
    values: dict = {}
    areas = [f"V{v}" for v in range(villages)] + ["K"]
    for v in range(villages):
        for s in range(services):
            values[(f"V{v}", f"s{s}")] = sum(weekly[(v, s, w)] for w in range(weeks))
        for w in range(weeks):
            values[(f"V{v}", f"w{w}")] = sum(weekly[(v, s, w)] for s in range(services))
        values[(f"V{v}", "*")] = sum(weekly[(v, s, w)] for s in range(services) for w in range(weeks))
    for x in [f"s{s}" for s in range(services)] + [f"w{w}" for w in range(weeks)] + ["*"]:
        values[("K", x)] = sum(values[(f"V{v}", x)] for v in range(villages))
    groups: list = []
    for a in areas:
        groups.append(((a, "*"), [(a, f"s{s}") for s in range(services)]))
        groups.append(((a, "*"), [(a, f"w{w}") for w in range(weeks)]))
    for x in [f"s{s}" for s in range(services)] + [f"w{w}" for w in range(weeks)] + ["*"]:
        groups.append((("K", x), [(f"V{v}", x) for v in range(villages)]))
    return values, groups


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_small_cell_can_be_worked_out_from_the_published_ones(seed: int) -> None:
    values, groups = crafted(seed)
    hidden = suppress(values, groups)
    assert {c for c, v in values.items() if v < 5} == {c for c, n in hidden.items() if n == PRIMARY}
    assert all(values[c] >= 5 for c, n in hidden.items() if n == SECONDARY)
    for cell, (low, high) in attack(values, hidden, groups).items():
        assert low < high, f"{cell} (value {values[cell]}) is revealed: it can only be {low}"


def test_one_request_is_not_given_away_by_a_total_minus_the_shown_cells() -> None:
    # village A asked once for s1; its total and s2 alone would give the 1 back
    values = {("A", "s1"): 1, ("A", "s2"): 10, ("A", "*"): 11, ("B", "s1"): 8, ("B", "s2"): 9, ("B", "*"): 17}
    values.update({("K", "s1"): 9, ("K", "s2"): 19, ("K", "*"): 28})
    groups = [((a, "*"), [(a, "s1"), (a, "s2")]) for a in "ABK"]
    groups += [(("K", x), [("A", x), ("B", x)]) for x in ("s1", "s2", "*")]
    hidden = suppress(values, groups)
    assert hidden[("A", "s1")] == PRIMARY and len(hidden) >= 4
    [(low, high)] = attack(values, hidden, groups).values()
    assert low < high


def test_large_cells_are_published_and_a_zero_is_under_5_too() -> None:
    values = {("A", "s1"): 0, ("A", "s2"): 12, ("A", "s3"): 9, ("A", "*"): 21}
    hidden = suppress(values, [(("A", "*"), [("A", "s1"), ("A", "s2"), ("A", "s3")])])
    assert hidden == {("A", "s1"): PRIMARY, ("A", "s3"): SECONDARY}


def test_four_single_requests_under_a_small_total_stay_unknown() -> None:
    # were zeros shown, "< 5" would mean 1 to 4 and four of them under a total of "< 5" would each be 1
    values = {(f"V{i}", "s"): 1 if i < 4 else 0 for i in range(6)} | {("K", "s"): 4}
    groups = [(("K", "s"), [(f"V{i}", "s") for i in range(6)])]
    hidden = suppress(values, groups)
    assert all(hidden[c] == PRIMARY for c in values)
    assert all(low < high for low, high in attack(values, hidden, groups).values())
