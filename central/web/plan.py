"""``/rencana``: supervisors turn the saved forecast into orders and moves of supplies and into staff days.

The page reads the newest run saved by ``kiosk-central forecast --save`` (kecamatan totals per supply and staff
minutes at each service level), the stock on hand and staff days recorded here, and lays them out with
``central.forecast.plan`` (OpenLMIS-style: target = the forecast's upper quantile of the weeks' demand; order =
target - on hand, after moving surpluses within a regency). Recording stock or staff writes an audit row; so does
the CSV export. Only the supervisor's area (its kode wilayah prefix) is shown or may be recorded.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from central import audit
from central.accounts import User
from central.db import Database
from central.forecast import plan
from central.web.auth import page
from central.web.console import console_of, flash, redirect, remote_of, render

_KEC = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
WEEK_CHOICES = tuple(range(1, 27))
MAX_STOCK = 1_000_000


@dataclass(frozen=True)
class Run:
    id: int
    made_at: float
    first_week: str
    horizon: int


def latest_run(db: Database) -> Run | None:
    row = db.one("SELECT id, made_at, first_week, horizon FROM forecast_runs ORDER BY id DESC LIMIT 1")
    return None if row is None else Run(int(row[0]), float(row[1]), str(row[2]), int(row[3]))


def _area(user: User, column: str) -> tuple[str, list[Any]]:
    if not user.area:
        return "", []
    return f" AND ({column} = ? OR ({column} > ? AND {column} < ?))", [
        user.area,
        user.area + ".",
        user.area + "/",
    ]


def _choices(request: Request, run: Run) -> tuple[int, float]:
    weeks_text = request.query_params.get("minggu", str(min(4, run.horizon)))
    level_text = request.query_params.get("tingkat", "0.9")
    if not weeks_text.isdigit() or not 1 <= int(weeks_text) <= run.horizon:
        raise HTTPException(400, f"minggu={weeks_text!r}: give weeks from 1 to {run.horizon}")
    try:
        level = float(level_text)
    except ValueError:
        level = -1.0
    if level not in plan.SERVICE_LEVELS:
        raise HTTPException(
            400, f"tingkat={level_text!r}: use one of {', '.join(str(x) for x in plan.SERVICE_LEVELS)}"
        )
    return int(weeks_text), level


def compute(db: Database, user: User, run: Run, weeks: int, level: float) -> dict[str, Any]:
    where, params = _area(user, "area")
    totals = {
        (str(a), str(i)): (float(m), float(u))
        for a, i, m, u in db.query(
            "SELECT area, item, mean, upper FROM forecast_totals WHERE run_id = ? AND weeks = ? AND level = ?"
            f"{where} ORDER BY area, item",
            (run.id, weeks, level, *params),
        )
    }
    swhere, sparams = _area(user, "kecamatan")
    stock = {
        (str(k), str(s)): int(n)
        for k, s, n in db.query(f"SELECT kecamatan, supply, on_hand FROM stock WHERE 1 = 1{swhere}", sparams)
    }
    days = {
        str(k): float(d)
        for k, d in db.query(f"SELECT kecamatan, days_per_week FROM staff WHERE 1 = 1{swhere}", sparams)
    }
    supplies = {k: v for k, v in totals.items() if k[1] != plan.STAFF}
    minutes = {k[0]: v for k, v in totals.items() if k[1] == plan.STAFF}
    demand: dict[str, dict[str, tuple[float, float, float]]] = {}
    for a, i, m, lo, hi in db.query(
        f"SELECT area, item, mean, lo80, hi80 FROM forecast_weeks WHERE run_id = ? AND step = 0{where}",
        (run.id, *params),
    ):
        demand.setdefault(str(a), {})[str(i)] = (float(m), float(lo), float(hi))
    return {
        "lines": plan.plan_supplies(supplies, stock),
        "staff": plan.plan_staff(minutes, days, weeks),
        "demand": demand,
        "kecamatan": sorted({k for k, _ in totals} | {k for k, _ in stock} | set(days)),
        "stock": stock,
        "days": days,
    }


@page("supervisor")
def plan_page(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    run = latest_run(console.db)
    if run is None:
        return render(request, "plan.html", run=None)
    weeks, level = _choices(request, run)
    data = compute(console.db, user, run, weeks, level)
    return render(
        request,
        "plan.html",
        run=run,
        weeks=weeks,
        level=level,
        levels=plan.SERVICE_LEVELS,
        supplies=list(console.catalog.supplies.values()),
        services=plan.demand_services(console.catalog),
        **data,
    )


def _lines_csv(data: dict[str, Any], weeks: int, level: float) -> Iterator[str]:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        (
            "kecamatan",
            "barang",
            "stok_ada",
            "minggu",
            "tingkat_layanan",
            "maks_openlmis",
            "stok_target",
            "pesan",
            "terima",
            "kirim",
        )
    )
    for line in data["lines"]:
        w.writerow(
            (
                line.kecamatan,
                line.supply,
                "" if line.on_hand is None else line.on_hand,
                weeks,
                level,
                round(line.mean, 1),
                round(line.target, 1),
                line.order,
                " ".join(f"{k}:{n}" for k, n in line.move_in),
                " ".join(f"{k}:{n}" for k, n in line.move_out),
            )
        )
    yield out.getvalue()


@page("supervisor")
def plan_export(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    run = latest_run(console.db)
    if run is None:
        raise HTTPException(404)
    weeks, level = _choices(request, run)
    data = compute(console.db, user, run, weeks, level)
    audit.write(
        console.db, user.name, "export", remote_of(request), detail=f"rencana weeks={weeks} level={level}"
    )
    return StreamingResponse(
        _lines_csv(data, weeks, level),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rencana.csv"', "Cache-Control": "no-store"},
    )


def _whole(text: str, top: float, whole: bool = True) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text) if whole else float(text.replace(",", "."))
    except ValueError:
        raise ValueError(text) from None
    if not 0 <= value <= top:
        raise ValueError(text)
    return value


@page("supervisor")
def record(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    kec = str(form.get("kecamatan", "")).strip()
    in_area = not user.area or kec == user.area or kec.startswith(user.area + ".")
    if not _KEC.match(kec) or not in_area:
        raise HTTPException(
            400, "kecamatan: give a kode wilayah of a kecamatan in your area, such as 91.03.05"
        )
    back = str(form.get("back", "/rencana"))
    back = back if back.startswith("/rencana") else "/rencana"
    try:
        counts = {s: _whole(str(form.get(f"stok_{s}", "")), MAX_STOCK) for s in console.catalog.supplies}
        days = _whole(str(form.get("hari", "")), 500, whole=False)
    except ValueError:
        flash(request, "err.plan_value")
        return redirect(back)
    now = time.time()
    with console.db.tx() as cur:
        for supply, n in counts.items():
            if n is None:
                continue
            cur.execute("DELETE FROM stock WHERE kecamatan = ? AND supply = ?", (kec, supply))
            cur.execute(
                "INSERT INTO stock (kecamatan, supply, on_hand, at, actor) VALUES (?, ?, ?, ?, ?)",
                (kec, supply, int(n), now, user.name),
            )
            audit.write(cur, user.name, "stock", remote_of(request), detail=f"{kec} {supply}={int(n)}")
        if days is not None:
            cur.execute("DELETE FROM staff WHERE kecamatan = ?", (kec,))
            cur.execute(
                "INSERT INTO staff (kecamatan, days_per_week, at, actor) VALUES (?, ?, ?, ?)",
                (kec, days, now, user.name),
            )
            audit.write(cur, user.name, "staff", remote_of(request), detail=f"{kec} days_per_week={days}")
    flash(request, "plan.saved")
    return redirect(back)
