"""Exports of the inbox's requests (CSV or JSON), limited to the user's area and office, streamed page by page
(keyset, never one huge query) and audited before the first byte leaves."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from central import audit, cases
from central.accounts import User
from central.web.auth import page
from central.web.console import Console, console_of, remote_of
from central.web.inbox import filters_of
from layanan.security.crypto import unseal

COLUMNS = (
    "ticket",
    "msg_id",
    "device_id",
    "village_code",
    "service_id",
    "office",
    "state",
    "reason",
    "received_at",
    "due_date",
    "fields",
    "documents",
)


def _rows(console: Console, user: User, f: cases.Filters) -> Iterator[dict[str, Any]]:
    key = console.private_key() if user.may_open_personal_data else None
    today = console.today()
    while True:
        page_rows = cases.inbox(console.db, user, f, today)
        for case in page_rows[: cases.PAGE]:
            row: dict[str, Any] = {c: getattr(case, c, "") for c in COLUMNS[:10]}
            row["received_at"] = console.when(case.received_at)
            if key is not None:
                sealed = console.db.one("SELECT sealed FROM requests WHERE msg_id = ?", (case.msg_id,))
                try:
                    personal = json.loads(unseal(bytes(sealed[0]), key)) if sealed else {}
                except ValueError:
                    personal = {}
                row["fields"] = personal.get("fields", {})
                row["documents"] = personal.get("documents", [])
            yield row
        if len(page_rows) <= cases.PAGE:
            return
        f = cases.Filters(**{**f.__dict__, "after": page_rows[cases.PAGE - 1].cursor})


@page("clerk", "supervisor")
def export(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    fmt = request.query_params.get("format", "csv")
    if fmt not in ("csv", "json"):
        raise HTTPException(400, "format: use csv or json")
    f = filters_of(request)
    f = cases.Filters(**{**f.__dict__, "after": ""})
    detail = f"format={fmt} " + " ".join(f"{k}={v}" for k, v in f.as_query().items())
    audit.write(console.db, user.name, "export", remote_of(request), detail=detail)
    name = f"permohonan-{f.state}-{console.today().isoformat()}.{fmt}"

    def body() -> Iterator[str]:
        if fmt == "json":
            yield "["
            for n, row in enumerate(_rows(console, user, f)):
                yield ("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False)
            yield "\n]\n"
            return
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS)
        writer.writeheader()
        for row in _rows(console, user, f):
            writer.writerow(
                {
                    k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                    for k, v in row.items()
                }
            )
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    media = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
    return StreamingResponse(
        body(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
