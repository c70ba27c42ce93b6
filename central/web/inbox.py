"""The inbox (requests by state, sorted by SLA due date, filtered, keyset-paged), search, and bulk state change."""

from __future__ import annotations

import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from central import cases
from central.accounts import User
from central.web.auth import page
from central.web.console import console_of, flash, redirect, remote_of, render
from central.web.requests import apply_state

WORKERS = ("clerk", "supervisor")


def filters_of(request: Request) -> cases.Filters:
    try:
        return cases.Filters.parse(dict(request.query_params), list(console_of(request).catalog.services))
    except cases.QueryError as exc:
        raise HTTPException(400, str(exc)) from None


@page(*WORKERS)
def inbox(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    f = filters_of(request)
    today = console.today()
    rows = cases.inbox(console.db, user, f, today)
    more = len(rows) > cases.PAGE
    rows = rows[: cases.PAGE]
    services = [s for s in console.catalog.services.values() if user.sees_office(s.office)]
    return render(
        request,
        "inbox.html",
        f=f,
        rows=rows,
        today=today,
        next_query=f.as_query(after=rows[-1].cursor) if more else None,
        services=services,
        overdue=cases.counts_overdue(console.db, user, today),
        states=cases.STATES,
        reasons=cases.REASONS,
        next_states=("diproses", "siap_diambil", "selesai", "ditolak"),
    )


@page(*WORKERS)
def search(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    text = request.query_params.get("q", "")
    try:
        rows = cases.search(console.db, user, text, console.nik_index())
    except cases.QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    # the search words are not echoed back: a NIK typed here stays out of the page and the log
    return render(request, "search.html", rows=rows, today=console.today())


@page(*WORKERS)
def bulk(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    ids = [str(v) for v in form.getlist("ids")] if form is not None else []
    state = str(form.get("state", "")) if form is not None else ""
    reason = str(form.get("reason", "")) if form is not None else ""
    back = str(form.get("back", "/inbox")) if form is not None else "/inbox"
    if state not in cases.STATES:
        raise HTTPException(400, f"state={state!r}: use one of {', '.join(cases.STATES)}")
    if not ids:
        flash(request, "bulk.none")
        return redirect(back if back.startswith("/inbox") else "/inbox")
    if len(ids) > 500:
        raise HTTPException(400, "at most 500 requests at once")
    done = skipped = 0
    now = time.time()
    for msg_id in ids:
        case = cases.get(console.db, user, msg_id)
        if case is None:
            skipped += 1
            continue
        problem = apply_state(console, user, case, state, reason, remote_of(request), now)
        done += not problem
        skipped += bool(problem)
    if console.status_link is not None:
        console.status_link.wake()
    message = console.word(request.session.get("lang", "id"), "bulk.done", n=done)
    if skipped:
        message += " " + console.word(request.session.get("lang", "id"), "bulk.skipped", n=skipped)
    request.session["flash"] = message
    return redirect(back if back.startswith("/inbox") else "/inbox")
