"""The audit log for supervisors: newest first, keyset-paged, and its CSV export (itself audited)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from central import audit
from central.accounts import User
from central.web.auth import page
from central.web.console import console_of, remote_of, render

PAGE = 100


@page("supervisor")
def audit_page(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    before = request.query_params.get("before", "")
    if before and not before.isdigit():
        raise HTTPException(400, "before: not an audit row number")
    rows = audit.rows(console.db, int(before) if before else None, PAGE + 1)
    return render(
        request,
        "audit.html",
        rows=rows[:PAGE],
        next_before=rows[PAGE - 1].id if len(rows) > PAGE else None,
    )


@page("supervisor")
def audit_export(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    audit.write(console.db, user.name, "audit_export", remote_of(request))

    def body() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["id", "at", "actor", "action", "ticket", "msg_id", "detail", "remote"])
        before = None
        while True:
            rows = audit.rows(console.db, before, 1000)
            for r in rows:
                writer.writerow(
                    [r.id, console.when(r.at), r.actor, r.action, r.ticket, r.msg_id, r.detail, r.remote]
                )
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            if len(rows) < 1000:
                return
            before = rows[-1].id

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"', "Cache-Control": "no-store"},
    )
