"""Small-cell suppression for published counts: no cell under 5, and no way to work one out from the others.

A table of counts is a set of *cells* tied by *groups* (a total and the parts that add up to it: the villages of
a kecamatan, the services of a village, the weeks of a year). A cell with fewer than 5 requests, none included,
is hidden (*primary*, shown as "< 5"): were zeros shown, a "< 5" beside them would say "at least 1", and four of
them under a total of "< 5" would each be exactly 1. Hiding is not enough when the total and the other parts are
shown: the total minus the shown parts gives the hidden one back. So more cells are hidden (*secondary*, shown
as "x"), the smallest first, until no hidden cell can be narrowed down to one value from what is shown.

What a reader can know is worked out by interval propagation over all groups (a "< 5" lies in [0, 4], an "x" is
5 or more, a shown cell is exact; each group's equation narrows each of its cells to the total's range less the
others' ranges) until nothing narrows any more. While a hidden cell's range is a single value, one more cell of
a group through which it was narrowed is hidden, and the check runs again (a secondary cell that can be worked
out shields nothing, so it counts too).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

SMALL = 5
PRIMARY, SECONDARY = "lt5", "x"
INF = math.inf


def _bounds(values: Mapping[K, int], hidden: Mapping[K, str], k: int) -> dict[K, tuple[float, float]]:
    out: dict[K, tuple[float, float]] = {}
    for c, v in values.items():
        note = hidden.get(c)
        out[c] = (v, v) if note is None else ((0, k - 1) if note == PRIMARY else (k, INF))
    return out


def propagate(
    values: Mapping[K, int],
    hidden: Mapping[K, str],
    groups: Sequence[tuple[K, Sequence[K]]],
    k: int = SMALL,
    rounds: int = 50,
) -> tuple[dict[K, tuple[float, float]], dict[K, int]]:
    """What a reader can infer: each cell's range, and for each hidden cell the last group that narrowed it."""
    b = _bounds(values, hidden, k)
    by: dict[K, int] = {}
    touched = [g for g in range(len(groups)) if any(c in hidden for c in (groups[g][0], *groups[g][1]))]
    for _ in range(rounds):
        changed = False
        for g in touched:
            total, parts = groups[g]
            lo_sum = sum(b[p][0] for p in parts)
            hi_sum = sum(b[p][1] for p in parts)
            t_lo, t_hi = b[total]
            new_t = (max(t_lo, lo_sum), min(t_hi, hi_sum))
            if new_t != b[total]:
                b[total] = new_t
                by[total] = g
                changed = True
            t_lo, t_hi = b[total]
            for p in parts:
                if p not in hidden:
                    continue
                p_lo, p_hi = b[p]
                others_lo = sum(b[q][0] for q in parts if q != p)
                others_hi = sum(b[q][1] for q in parts if q != p)
                new = (max(p_lo, t_lo - others_hi), min(p_hi, t_hi - others_lo))
                if new != (p_lo, p_hi):
                    b[p] = new
                    by[p] = g
                    changed = True
        if not changed:
            break
    return b, by


def suppress(
    values: Mapping[K, int], groups: Sequence[tuple[K, Sequence[K]]], k: int = SMALL
) -> dict[K, str]:
    """The cells to hide: ``{cell: "lt5" | "x"}``."""
    hidden: dict[K, str] = {c: PRIMARY for c, v in values.items() if v < k}
    member: dict[K, list[int]] = {}
    for g, (total, parts) in enumerate(groups):
        for c in (total, *parts):
            member.setdefault(c, []).append(g)
    for _ in range(10_000):
        bounds, by = propagate(values, hidden, groups, k)
        # a hidden cell that can be worked out exactly gives its neighbours away too, whatever its size
        exposed = [c for c in hidden if bounds[c][0] >= bounds[c][1]]
        if not exposed:
            return hidden
        before = len(hidden)
        for c in exposed:
            # hide the smallest shown, non-zero cell of the group that gave it away (any of its groups else)
            for g in dict.fromkeys([*([by[c]] if c in by else []), *member.get(c, [])]):
                total, parts = groups[g]
                shown = [p for p in (*parts, total) if p not in hidden]
                if shown:
                    pick = min(shown, key=lambda p: (values[p], p == total))
                    hidden[pick] = SECONDARY
                    break
        if len(hidden) == before:
            raise RuntimeError(f"suppression: {exposed[0]!r} is exposed and no cell is left to hide")
    raise RuntimeError("suppression did not settle")  # pragma: no cover - each round hides one more cell
