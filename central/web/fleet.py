"""The fleet: every kiosk of the area with its last telemetry, silent ones flagged, and a small history chart
per kiosk drawn on the server as SVG (no script, no chart library)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from central.accounts import User
from central.web.auth import page
from central.web.console import console_of, render

PAGE = 100
_DEVICE = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
ROLES = ("technician", "supervisor", "clerk")


def _area(user: User) -> tuple[str, list[Any]]:
    if not user.area:
        return "", []
    return (
        " AND (d.village_code = ? OR (d.village_code > ? AND d.village_code < ?))",
        [user.area, user.area + ".", user.area + "/"],
    )


def _row(r: tuple[Any, ...], now: float, silent_s: float) -> dict[str, Any]:
    tel = json.loads(r[2]) if r[2] else {}
    seen = r[3]
    return {
        "device_id": r[0],
        "village": r[1],
        "seen_ago": None if seen is None else now - float(seen),
        "silent": seen is None or now - float(seen) > silent_s,
        "queue": tel.get("q"),
        "oldest": tel.get("old"),
        "disk": tel.get("disk"),
        "quarantined": tel.get("quar"),
        "versions": tel.get("ver", {}),
    }


@page(*ROLES)
def fleet(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    after = request.query_params.get("after", "")
    if after and not _DEVICE.match(after):
        raise HTTPException(400, "after: not a kiosk id")
    where, params = _area(user)
    rows = console.db.query(
        "SELECT d.device_id, d.village_code, t.data, t.received_at FROM devices d"
        " LEFT JOIN telemetry t ON t.device_id = d.device_id WHERE d.device_id > ?"
        f"{where} ORDER BY d.device_id LIMIT ?",
        (after, *params, PAGE + 1),
    )
    now = time.time()
    silent_s = console.settings.central.fleet_silent_h * 3600
    items = [_row(r, now, silent_s) for r in rows[:PAGE]]
    return render(
        request,
        "fleet.html",
        items=items,
        next_after=items[-1]["device_id"] if len(rows) > PAGE else None,
        silent_h=console.settings.central.fleet_silent_h,
    )


@page(*ROLES)
def device(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    device_id = request.path_params["device_id"]
    if not _DEVICE.match(device_id):
        raise HTTPException(404)
    where, params = _area(user)
    rows = console.db.query(
        "SELECT d.device_id, d.village_code, t.data, t.received_at FROM devices d"
        f" LEFT JOIN telemetry t ON t.device_id = d.device_id WHERE d.device_id = ?{where}",
        (device_id, *params),
    )
    if not rows:
        raise HTTPException(404)
    now = time.time()
    item = _row(rows[0], now, console.settings.central.fleet_silent_h * 3600)
    points = [
        (float(at), json.loads(data).get("q", 0) or 0)
        for at, data in console.db.query(
            "SELECT received_at, data FROM telemetry_log WHERE device_id = ? AND received_at > ? ORDER BY received_at",
            (device_id, now - 7 * 86400),
        )
    ]
    return render(request, "device.html", item=item, chart=chart(points, now - 7 * 86400, now))


def chart(
    points: list[tuple[float, float]], start: float, end: float, width: int = 640, height: int = 160
) -> Markup:
    """A line chart of (time, value) as inline SVG, with the largest value and the days marked."""
    pad = 28
    top = max([v for _, v in points] + [1])
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="queue depth, 7 days">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - 4}" y2="{height - pad}" class="axis"/>',
        f'<line x1="{pad}" y1="6" x2="{pad}" y2="{height - pad}" class="axis"/>',
        f'<text x="2" y="14" class="label">{int(top)}</text>',
        f'<text x="2" y="{height - pad}" class="label">0</text>',
    ]
    span = max(end - start, 1.0)
    for day in range(8):
        x = pad + (width - pad - 4) * day / 7
        parts.append(
            f'<line x1="{x:.1f}" y1="{height - pad}" x2="{x:.1f}" y2="{height - pad + 4}" class="axis"/>'
        )
        label, shift = (f"-{7 - day}d", 8) if day < 7 else ("0", 8)
        parts.append(f'<text x="{x - shift:.1f}" y="{height - 8}" class="label">{label}</text>')
    coords = [
        (pad + (width - pad - 4) * (t - start) / span, (height - pad) - (height - pad - 10) * v / top)
        for t, v in points
    ]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" class="line"/>')
        for x, y in coords[-1:]:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
