"""Dead letters for supervisors: the receiver's reasons, and discard or re-queue (both audited). Re-queue
publishes the stored payload on its topic again, so the receiver judges it anew (a device registered since, a
fixed key ...); the receiver's table is never edited, what the office did is kept beside it."""

from __future__ import annotations

import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from central import audit
from central.accounts import User
from central.web.auth import page
from central.web.console import console_of, flash, redirect, remote_of, render

PAGE = 100


@page("supervisor")
def dead_letters(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    before = request.query_params.get("before", "")
    if before and not before.isdigit():
        raise HTTPException(400, "before: not a dead-letter number")
    rows = console.db.query(
        "SELECT l.id, l.received_at, l.reason, l.detail, l.topic, l.device_id, l.msg_id FROM dead_letters l"
        " LEFT JOIN dead_letter_actions a ON a.dead_id = l.id WHERE a.dead_id IS NULL AND l.id < ?"
        " ORDER BY l.id DESC LIMIT ?",
        (int(before) if before else 2**62, PAGE + 1),
    )
    items = [
        dict(zip(("id", "at", "reason", "detail", "topic", "device", "msg_id"), r, strict=True)) for r in rows
    ]
    return render(
        request,
        "deadletters.html",
        items=items[:PAGE],
        next_before=items[PAGE - 1]["id"] if len(items) > PAGE else None,
    )


def _act(request: Request, user: User, action: str) -> tuple[int, Any]:
    console = console_of(request)
    dead_id = request.path_params["dead_id"]
    row = console.db.one(
        "SELECT l.id, l.topic, l.payload, l.msg_id FROM dead_letters l LEFT JOIN dead_letter_actions a"
        " ON a.dead_id = l.id WHERE l.id = ? AND a.dead_id IS NULL",
        (dead_id,),
    )
    if row is None:
        raise HTTPException(404)
    return int(row[0]), row


@page("supervisor")
def discard(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    dead_id, row = _act(request, user, "discard")
    with console.db.tx() as cur:
        cur.execute(
            "INSERT INTO dead_letter_actions (dead_id, action, actor, at) VALUES (?, 'discard', ?, ?)",
            (dead_id, user.name, time.time()),
        )
        audit.write(
            cur, user.name, "deadletter_discard", remote_of(request), "", row[3], f"dead letter {dead_id}"
        )
    flash(request, "dead.discarded")
    return redirect("/dead-letters")


@page("supervisor")
def requeue(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    dead_id, row = _act(request, user, "requeue")
    link = console.status_link
    if link is None or not link.republish(str(row[1]), bytes(row[2])):
        raise HTTPException(503, "the broker is not reachable; try again")
    with console.db.tx() as cur:
        cur.execute(
            "INSERT INTO dead_letter_actions (dead_id, action, actor, at) VALUES (?, 'requeue', ?, ?)",
            (dead_id, user.name, time.time()),
        )
        audit.write(
            cur, user.name, "deadletter_requeue", remote_of(request), "", row[3], f"dead letter {dead_id}"
        )
    flash(request, "dead.requeued")
    return redirect("/dead-letters")
