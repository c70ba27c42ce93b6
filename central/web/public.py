"""``/publik``: how each region and village is served, for anyone, without a login; and its open data.

The page reads only the published tables that ``central.transparency`` fills (already suppressed), so it can show
nothing else: per region the children's table for one service (or all), the region's own row per service, a weekly
chart drawn here as SVG, and how fresh it all is. The same pages are written to disk by ``kiosk-central publish``
(``render_page`` with ``static=True``: relative links, no server). Open data: ``/publik/data.csv|json`` (cells)
and ``/publik/minggu.csv|json`` (weeks), optionally under one region (``?wilayah=``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from central import transparency as tr
from central.db import Database
from central.forecast.plan import demand_services
from central.web.console import Console, console_of, render
from layanan.domain.catalog import Catalog

_AREA = re.compile(r"^$|^\d{2}(\.\d{2}){0,2}(\.\d{4})?$")
CELL_COLS = (
    "area, level, parent, service, received, received_note, completed, completed_note, backlog, backlog_note,"
    " median_days, within_sla, oldest_days, availability, kiosks"
)
MARK = {"lt5": "< 5", "x": "x"}


@dataclass(frozen=True)
class Cell:
    area: str
    level: str
    parent: str
    service: str
    received: int | None
    received_note: str
    completed: int | None
    completed_note: str
    backlog: int | None
    backlog_note: str
    median_days: float | None
    within_sla: float | None
    oldest_days: float | None
    availability: float | None
    kiosks: int

    def shown(self, name: str) -> str:
        value = getattr(self, name)
        return MARK.get(getattr(self, name + "_note"), "-") if value is None else str(value)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _cells(db: Database, where: str, params: tuple[Any, ...]) -> list[Cell]:
    rows = db.query(f"SELECT {CELL_COLS} FROM public_cells WHERE {where} ORDER BY area, service", params)
    return [Cell(*r) for r in rows]


def region_names(path: Path | None) -> dict[str, str]:
    """Optional names of regions (``wilayah.csv`` in the data dir: ``code,name`` a line)."""
    if path is None or not path.exists():
        return {}
    names = {}
    for row in csv.reader(path.read_text(encoding="utf-8").splitlines()):
        if len(row) >= 2 and _AREA.match(row[0].strip()):
            names[row[0].strip()] = row[1].strip()
    return names


@dataclass(frozen=True)
class View:
    area: str
    service: str
    own: list[Cell]
    """The region's row per service (the total last)."""
    children: list[Cell]
    total: Cell | None
    weeks: list[tuple[str, int | None, str, int | None, str]]
    chart_area: str
    meta: tuple[float, str, str, int] | None
    crumbs: list[str]


def view(db: Database, area: str, service: str, order: tuple[str, ...] = ()) -> View | None:
    """What the page shows for ``area`` and ``service`` (``*``: all services, last); None for an unknown region.
    ``order``: the services in the catalog's order."""
    own = _cells(db, "area = ?", (area,))
    if not own:
        return None
    rank = {s: i for i, s in enumerate(order)}
    own.sort(key=lambda c: (c.service == tr.ALL, rank.get(c.service, len(rank)), c.service))
    children = _cells(db, "parent = ? AND service = ? AND area <> ''", (area, service))
    total = next((c for c in own if c.service == service), None)
    chart_area = area if tr.level_of(area) in tr.CHART_LEVELS else tr.parent_of(area)
    weeks = [
        (str(r[0]), r[1], r[2], r[3], r[4])
        for r in db.query(
            "SELECT week, received, received_note, completed, completed_note FROM public_weeks"
            " WHERE area = ? ORDER BY week",
            (chart_area,),
        )
    ]
    crumbs = list(reversed(tr.ancestors(area))) if area else [""]
    return View(area, service, own, children, total, weeks, chart_area, tr.meta(db), crumbs)


def chart(
    weeks: list[tuple[str, int | None, str, int | None, str]], label: str, width: int = 720, height: int = 200
) -> Markup:
    """Weekly received (bars) and completed (line) as inline SVG; a suppressed week is a gap with a tick."""
    pad_l, pad_b, pad_t = 36, 26, 10
    values = [v for _, r, _, c, _ in weeks for v in (r, c) if v is not None]
    top = max(values + [5])
    n = max(len(weeks), 1)
    step = (width - pad_l - 6) / n
    y0 = height - pad_b

    def y(v: float) -> float:
        return y0 - (height - pad_b - pad_t) * v / top

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
        f'<line x1="{pad_l}" y1="{y0}" x2="{width - 4}" y2="{y0}" class="axis"/>',
        f'<text x="2" y="{pad_t + 8}" class="label">{top}</text>',
        f'<text x="2" y="{y0}" class="label">0</text>',
    ]
    line: list[str] = []
    segments: list[list[str]] = []
    for i, (week, rec, _, com, _) in enumerate(weeks):
        x = pad_l + i * step
        if rec is not None:
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y(rec):.1f}" width="{max(step - 2, 1):.1f}" height="{y0 - y(rec):.1f}"'
                f' class="bar"><title>{week}: {rec}</title></rect>'
            )
        else:
            parts.append(
                f'<line x1="{x + step / 2:.1f}" y1="{y0}" x2="{x + step / 2:.1f}" y2="{y0 - 6}" class="hidden"/>'
            )
        if com is not None:
            line.append(f"{x + step / 2:.1f},{y(com):.1f}")
        elif line:
            segments.append(line)
            line = []
        if i % 13 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" class="label">{week[5:]}</text>')
    if line:
        segments.append(line)
    for seg in segments:
        if len(seg) == 1:
            cx, cy = seg[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" class="dot"/>')
        else:
            parts.append(f'<polyline points="{" ".join(seg)}" class="line"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def page_context(
    console: Console, v: View, lang: str, href: Callable[[str, str], str], names: dict[str, str], static: bool
) -> dict[str, Any]:
    tz = ZoneInfo(console.settings.site.time_zone)
    meta = v.meta
    fresh = dt.datetime.fromtimestamp(meta[0], tz).strftime("%Y-%m-%d %H:%M") if meta else ""
    return {
        "v": v,
        "href": href,
        "names": names,
        "static": static,
        "fresh": fresh,
        "services": demand_services(console.catalog),
        "chart": chart(v.weeks, console.word(lang, "pub.chart")) if v.weeks else None,
        "pct": lambda x: "-" if x is None else f"{round(100 * x)} %",
        "num": lambda x: "-" if x is None else f"{x:g}",
    }


def _parse(request: Request, services: tuple[str, ...]) -> tuple[str, str]:
    area = request.query_params.get("wilayah", "").strip()
    if not _AREA.match(area):
        raise HTTPException(400, f"wilayah={area!r}: use a kode wilayah such as 91.03.05 or leave it out")
    service = request.query_params.get("layanan", tr.ALL) or tr.ALL
    if service != tr.ALL and service not in services:
        raise HTTPException(400, f"layanan={service!r} is not a service of the catalog")
    return area, service


def live_href(area: str, service: str) -> str:
    query = "&".join(
        p for p in (f"wilayah={area}" if area else "", f"layanan={service}" if service != tr.ALL else "") if p
    )
    return "/publik" + ("?" + query if query else "")


def public_page(request: Request) -> Response:
    console = console_of(request)
    area, service = _parse(request, demand_services(console.catalog))
    v = view(console.db, area, service, demand_services(console.catalog))
    if v is None:
        if area:
            raise HTTPException(404)
        return render(request, "publik_empty.html", public=True)
    names = region_names(console.settings.data_dir / "wilayah.csv")
    lang = request.session.get("lang", "id") if "session" in request.scope else "id"
    response = render(
        request, "publik.html", public=True, **page_context(console, v, lang, live_href, names, False)
    )
    response.headers["Cache-Control"] = "private, max-age=300"  # the language form carries a CSRF token
    return response


# --- open data ----------------------------------------------------------------------------------------------------


def _under(area: str) -> tuple[str, tuple[Any, ...]]:
    if not area:
        return "1 = 1", ()
    return "(area = ? OR (area > ? AND area < ?))", (area, area + ".", area + "/")


def cells_csv(cells: list[Cell]) -> Iterator[str]:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        (
            "wilayah",
            "tingkat",
            "layanan",
            "diterima",
            "selesai",
            "median_hari",
            "tepat_waktu",
            "antrean",
            "tertua_hari",
            "ketersediaan_kios",
            "kios",
        )
    )
    for c in cells:
        w.writerow(
            (
                c.area or "ID",
                c.level,
                c.service,
                c.shown("received"),
                c.shown("completed"),
                "" if c.median_days is None else c.median_days,
                "" if c.within_sla is None else c.within_sla,
                c.shown("backlog"),
                "" if c.oldest_days is None else c.oldest_days,
                "" if c.availability is None else c.availability,
                c.kiosks,
            )
        )
    yield out.getvalue()


def weeks_rows(db: Database, area: str) -> list[dict[str, Any]]:
    where, params = _under(area)
    return [
        {
            "area": r[0],
            "week": r[1],
            "received": r[2],
            "received_note": r[3],
            "completed": r[4],
            "completed_note": r[5],
        }
        for r in db.query(
            f"SELECT area, week, received, received_note, completed, completed_note FROM public_weeks WHERE {where}"
            " ORDER BY area, week",
            params,
        )
    ]


def weeks_csv(rows: list[dict[str, Any]]) -> Iterator[str]:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("wilayah", "minggu", "diterima", "selesai"))
    for r in rows:
        rec = MARK.get(r["received_note"], "") if r["received"] is None else r["received"]
        com = MARK.get(r["completed_note"], "") if r["completed"] is None else r["completed"]
        w.writerow((r["area"] or "ID", r["week"], rec, com))
    yield out.getvalue()


def meta_dict(db: Database) -> dict[str, Any]:
    m = tr.meta(db)
    if m is None:
        return {}
    return {"refreshed_at": m[0], "period_start": m[1], "period_end": m[2], "suppressed_below": 5}


def open_data(request: Request) -> Response:
    console = console_of(request)
    area, _ = _parse(request, demand_services(console.catalog))
    kind, fmt = request.url.path.rsplit("/", 1)[1].split(".")
    db = console.db
    if kind == "data":
        where, params = _under(area)
        cells = _cells(db, where, params)
        if fmt == "csv":
            return StreamingResponse(
                cells_csv(cells), media_type="text/csv; charset=utf-8", headers=_attachment("data.csv")
            )
        body: Any = {**meta_dict(db), "cells": [c.as_dict() for c in cells]}
    else:
        rows = weeks_rows(db, area)
        if fmt == "csv":
            return StreamingResponse(
                weeks_csv(rows), media_type="text/csv; charset=utf-8", headers=_attachment("minggu.csv")
            )
        body = {**meta_dict(db), "weeks": rows}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def catalog_titles(catalog: Catalog, lang: str) -> dict[str, str]:
    return {sid: s.title.get(lang) for sid, s in catalog.services.items()}
