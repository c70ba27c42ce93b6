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
from collections import deque
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


def _members(groups: Sequence[tuple[K, Sequence[K]]]) -> dict[K, list[int]]:
    member: dict[K, list[int]] = {}
    for g, (total, parts) in enumerate(groups):
        for c in (total, *parts):
            member.setdefault(c, []).append(g)
    return member


def propagate(
    values: Mapping[K, int],
    hidden: Mapping[K, str],
    groups: Sequence[tuple[K, Sequence[K]]],
    k: int = SMALL,
    member: Mapping[K, list[int]] | None = None,
) -> tuple[dict[K, tuple[float, float]], dict[K, int]]:
    """What a reader can infer: each cell's range, and for each hidden cell the last group that narrowed it.

    A work list of groups: a group is looked at again only when one of its cells narrowed elsewhere."""
    member = _members(groups) if member is None else member
    b = _bounds(values, hidden, k)
    by: dict[K, int] = {}
    queue = deque(
        g for g, (total, parts) in enumerate(groups) if total in hidden or any(p in hidden for p in parts)
    )
    queued = set(queue)
    budget = 200 * (len(queue) + 1)
    while queue:
        budget -= 1
        if budget < 0:
            raise RuntimeError("suppression: the ranges do not settle (are the totals consistent?)")
        g = queue.popleft()
        queued.discard(g)
        total, parts = groups[g]
        lo_sum, hi_fin, hi_inf = 0.0, 0.0, 0
        for p in parts:
            lo, hi = b[p]
            lo_sum += lo
            if hi == INF:
                hi_inf += 1
            else:
                hi_fin += hi
        changed: list[K] = []
        t_lo, t_hi = b[total]
        new_t = (max(t_lo, lo_sum), min(t_hi, INF if hi_inf else hi_fin))
        if new_t != (t_lo, t_hi):
            b[total] = new_t
            by[total] = g
            changed.append(total)
            t_lo, t_hi = new_t
        for p in parts:
            if p not in hidden:
                continue
            p_lo, p_hi = b[p]
            others_lo = lo_sum - p_lo
            others_hi = INF if hi_inf - (p_hi == INF) > 0 else hi_fin - (0 if p_hi == INF else p_hi)
            new = (max(p_lo, t_lo - others_hi), min(p_hi, t_hi - others_lo))
            if new != (p_lo, p_hi):
                b[p] = new
                by[p] = g
                changed.append(p)
                lo_sum += new[0] - p_lo
                if p_hi == INF:
                    hi_inf -= 1
                else:
                    hi_fin -= p_hi
                if new[1] == INF:
                    hi_inf += 1
                else:
                    hi_fin += new[1]
        for c in changed:
            for other in member[c]:
                if other not in queued:
                    queue.append(other)
                    queued.add(other)
    return b, by


def suppress(
    values: Mapping[K, int], groups: Sequence[tuple[K, Sequence[K]]], k: int = SMALL
) -> dict[K, str]:
    """The cells to hide: ``{cell: "lt5" | "x"}``."""
    hidden: dict[K, str] = {c: PRIMARY for c, v in values.items() if v < k}
    member = _members(groups)
    for _ in range(10_000):
        bounds, by = propagate(values, hidden, groups, k, member)
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
