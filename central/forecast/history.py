"""Weekly demand history: counts per village x service and ISO week, with missing weeks kept apart from zeros.

A week is *missing* when there is no data for it (the kiosk was broken or not yet open, a register page was lost):
it is NaN here and never reads as zero demand. A village's series starts at its first week with data.

The CSV of past counts (paper registers, SIAK exports) has the columns ``week`` (ISO date of the week's Monday),
``village`` (kode wilayah, ``PP.RR.KK.VVVV``), ``service`` (catalog id) and ``count``. Within a village's span (its
first row's week to the last week of the file) a service without a row that week counted 0; an empty ``count`` (or
``NA``) says the week is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

VILLAGE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
COLUMNS = ("week", "village", "service", "count")
MAX_COUNT = 100_000
"""More requests than this for one village, service and week is a typing error, not demand."""


class HistoryError(ValueError):
    """A history file that cannot be read; the message names the file, the line and the reason."""


def kecamatan_of(village: str) -> str:
    """``91.03.05.2001`` -> ``91.03.05`` (the first three parts of the kode wilayah)."""
    return village[:8]


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Panel:
    """Weekly counts ``counts[village, service, week]`` (float, NaN where missing) over consecutive Mondays."""

    weeks: tuple[dt.date, ...]
    villages: tuple[str, ...]
    services: tuple[str, ...]
    counts: np.ndarray

    def __post_init__(self) -> None:
        shape = (len(self.villages), len(self.services), len(self.weeks))
        if self.counts.shape != shape:
            raise ValueError(f"counts has shape {self.counts.shape}, expected {shape}")
        for a, b in zip(self.weeks, self.weeks[1:], strict=False):
            if (b - a).days != 7:
                raise ValueError(f"weeks must be consecutive Mondays: {a} then {b}")

    def kecamatan(self) -> Panel:
        """The same counts summed per kecamatan; a kecamatan-week with a missing village is missing too, unless
        the village's series had not started (a kiosk opened later adds to the sum from its first week)."""
        kecs = sorted({kecamatan_of(v) for v in self.villages})
        index = {k: i for i, k in enumerate(kecs)}
        rows = np.array([index[kecamatan_of(v)] for v in self.villages])
        out = np.zeros((len(kecs), len(self.services), len(self.weeks)))
        missing = np.zeros_like(out, dtype=bool)
        started = np.isfinite(self.counts).cumsum(axis=2) > 0
        gap = ~np.isfinite(self.counts) & started
        np.add.at(out, rows, np.nan_to_num(self.counts))
        np.logical_or.at(missing, rows, gap)
        any_data = np.zeros_like(missing)
        np.logical_or.at(any_data, rows, started)
        out[missing | ~any_data] = np.nan
        return Panel(self.weeks, tuple(kecs), self.services, out)

    def select(self, area: str) -> Panel:
        """Only the villages whose code is ``area`` or starts with ``area.``."""
        keep = [i for i, v in enumerate(self.villages) if v == area or v.startswith(area + ".")]
        return Panel(self.weeks, tuple(self.villages[i] for i in keep), self.services, self.counts[keep])

    def head(self, n_weeks: int) -> Panel:
        """The first ``n_weeks`` weeks (what was known at that origin)."""
        return Panel(self.weeks[:n_weeks], self.villages, self.services, self.counts[:, :, :n_weeks])


def empty_panel(services: Sequence[str]) -> Panel:
    return Panel((), (), tuple(services), np.zeros((0, len(services), 0)))


# --- CSV --------------------------------------------------------------------------------------------------------


def _parse_row(
    source: str, line: int, row: dict[str, str], services: frozenset[str]
) -> tuple[dt.date, str, str, float]:
    def fail(reason: str) -> HistoryError:
        return HistoryError(f"{source}:{line}: {reason}")

    text = (row.get("week") or "").strip()
    try:
        week = dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"week {text!r} is not a date (YYYY-MM-DD, the week's Monday)") from None
    if week.weekday() != 0:
        raise fail(
            f"week {text} is a {week.strftime('%A')}; give the Monday of its ISO week ({monday(week)})"
        )
    village = (row.get("village") or "").strip()
    if not VILLAGE.match(village):
        raise fail(f"village {village!r} is not a kode wilayah such as 91.03.05.2001")
    service = (row.get("service") or "").strip()
    if service not in services:
        raise fail(f"service {service!r} is not in the catalog ({', '.join(sorted(services))})")
    raw = (row.get("count") or "").strip()
    if raw in ("", "NA", "na"):
        return week, village, service, float("nan")
    if not raw.isdigit():
        raise fail(f"count {raw!r} is not a whole number of requests (empty or NA: the week is missing)")
    count = int(raw)
    if count > MAX_COUNT:
        raise fail(f"count {count} is more than {MAX_COUNT} requests in one week; check the row")
    return week, village, service, float(count)


def read_csv(stream: TextIO, services: Iterable[str], source: str = "history") -> Panel:
    """A :class:`Panel` from the history CSV; :class:`HistoryError` names the line of the first bad row."""
    order = tuple(dict.fromkeys(services))
    known = frozenset(order)
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != list(COLUMNS):
        raise HistoryError(f"{source}:1: the header must be {','.join(COLUMNS)}, found {reader.fieldnames}")
    cells: dict[tuple[str, str, dt.date], float] = {}
    first: dict[str, dt.date] = {}
    last = None
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise HistoryError(f"{source}:{line}: more values than the {len(COLUMNS)} columns")
        week, village, service, count = _parse_row(source, line, row, known)
        key = (village, service, week)
        if key in cells:
            raise HistoryError(f"{source}:{line}: a second row for {village} {service} {week}")
        cells[key] = count
        first[village] = min(first.get(village, week), week)
        last = week if last is None else max(last, week)
    svc = order
    if last is None:
        return empty_panel(svc)
    start = min(first.values())
    weeks = tuple(start + dt.timedelta(weeks=i) for i in range((last - start).days // 7 + 1))
    villages = tuple(sorted(first))
    counts = np.full((len(villages), len(svc), len(weeks)), np.nan)
    vi = {v: i for i, v in enumerate(villages)}
    si = {s: i for i, s in enumerate(svc)}
    for v, since in first.items():
        counts[vi[v], :, (since - start).days // 7 :] = 0.0
    for (v, s, w), c in cells.items():
        counts[vi[v], si[s], (w - start).days // 7] = c
    return Panel(weeks, villages, svc, counts)


def read_csv_file(path: Path, services: Iterable[str]) -> Panel:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return read_csv(f, services, str(path))
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise HistoryError(f"{path}: not UTF-8 text") from None


def write_csv(panel: Panel, stream: TextIO) -> None:
    """The CSV ``read_csv`` reads: non-zero counts, an empty count for each missing cell of a started series, and
    a 0 row at a village's first week when it had no request that week (so its series starts there)."""
    w = csv.writer(stream, lineterminator="\n")
    w.writerow(COLUMNS)
    for vi, village in enumerate(panel.villages):
        block = panel.counts[vi]
        has = np.isfinite(block).any(axis=0)
        if not has.any():
            continue
        begin = int(has.argmax())
        for t in range(begin, len(panel.weeks)):
            week = panel.weeks[t].isoformat()
            wrote = False
            for si, service in enumerate(panel.services):
                c = block[si, t]
                if not np.isfinite(c):
                    w.writerow((week, village, service, ""))
                elif c > 0:
                    w.writerow((week, village, service, int(c)))
                else:
                    continue
                wrote = True
            if t == begin and not wrote:
                w.writerow((week, village, panel.services[0], 0))


def to_csv_text(panel: Panel) -> str:
    out = io.StringIO()
    write_csv(panel, out)
    return out.getvalue()


def merge(older: Panel, newer: Panel) -> Panel:
    """``older`` (e.g. paper registers) followed by ``newer`` (the kiosks): per village, ``newer``'s weeks from its
    first week with data, ``older``'s before that."""
    if not older.villages:
        return newer
    if not newer.villages:
        return older
    services = tuple(sorted(set(older.services) | set(newer.services)))
    start = min(older.weeks[0], newer.weeks[0])
    end = max(older.weeks[-1], newer.weeks[-1])
    weeks = tuple(start + dt.timedelta(weeks=i) for i in range((end - start).days // 7 + 1))
    villages = tuple(sorted(set(older.villages) | set(newer.villages)))
    counts = np.full((len(villages), len(services), len(weeks)), np.nan)
    vi = {v: i for i, v in enumerate(villages)}
    si = {s: i for i, s in enumerate(services)}
    for p in (older, newer):
        off = (p.weeks[0] - start).days // 7
        cols = np.array([si[s] for s in p.services])
        for k, village in enumerate(p.villages):
            block = p.counts[k]
            has = np.isfinite(block).any(axis=0)
            if not has.any():
                continue
            begin = int(has.argmax()) if p is newer else 0
            span = slice(off + begin, off + block.shape[1])
            if p is newer:  # the kiosks' weeks replace the registers' from the first one on
                counts[vi[village], :, off + begin :] = np.nan
            counts[vi[village], cols[:, None], np.arange(span.start, span.stop)[None, :]] = block[:, begin:]
    return Panel(weeks, villages, services, counts)
