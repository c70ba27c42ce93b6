"""One request: the sealed fields opened on the server (every opening audited), photos, the state history,
the state change (sent to the kiosk over ``upd``) and whether the kiosk has acknowledged it."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from central import audit, cases, updates
from central.accounts import User
from central.web.auth import page
from central.web.console import Console, console_of, flash, redirect, remote_of, render
from layanan.photo_review import read_review
from layanan.security.crypto import unseal

log = logging.getLogger(__name__)
_MSG_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
WORKERS = ("clerk", "supervisor")


def case_or_404(request: Request, user: User) -> cases.Case:
    msg_id = request.path_params["msg_id"]
    if not _MSG_ID.match(msg_id):
        raise HTTPException(404)
    case = cases.get(console_of(request).db, user, msg_id)
    if case is None:
        raise HTTPException(404)
    return case


def status_text(console: Console, lang: str, state: str, reason: str) -> str:
    """What the kiosk shows the citizen: the state's word in the citizen's language, and the reason if refused."""
    text = console.word(lang, f"state.{state}")
    if state == "ditolak" and reason:
        text += ": " + console.word(lang, f"reason.{reason}")
    return text[:64]


def apply_state(
    console: Console, user: User, case: cases.Case, state: str, reason: str, remote: str, now: float
) -> str:
    """Change one request's state, queue its status update for the kiosk and audit it, in one transaction.
    '' when done, else the language-pack key of the problem."""
    with console.db.tx() as cur:
        lock = " FOR UPDATE" if cur.dialect == "postgresql" else ""
        row = cur.execute(f"SELECT state FROM cases WHERE msg_id = ?{lock}", (case.msg_id,)).fetchone()
        if row is None:
            return "err.404"
        current = cases.Case(**{**case.__dict__, "state": row[0]})
        problem = cases.check_change(current, state, reason)
        if problem:
            return problem
        cases.set_state(cur, current, state, reason, user.name, now)
        text = status_text(console, case.lang, state, reason)
        updates.enqueue(cur, case.msg_id, case.device_id, case.ticket, state, text, now)
        detail = f"{current.state} -> {state}" + (f" ({reason})" if state == "ditolak" else "")
        audit.write(cur, user.name, "state", remote, case.ticket, case.msg_id, detail)
    return ""


def _open(console: Console, case: cases.Case, user: User) -> tuple[dict[str, Any] | None, str, list[Any]]:
    """(personal data, problem key, photos): opened with the office key on the server only."""
    if not user.may_open_personal_data:
        return None, "request.no_rights", []
    key = console.private_key()
    if key is None:
        return None, "request.key_missing", []
    row = console.db.one("SELECT sealed FROM requests WHERE msg_id = ?", (case.msg_id,))
    try:
        personal = json.loads(unseal(bytes(row[0]), key)) if row else {}
    except ValueError:
        return None, "request.key_wrong", []
    photos = []
    for att_id, status, data in console.db.query(
        "SELECT att_id, status, data FROM attachments WHERE msg_id = ? ORDER BY att_id", (case.msg_id,)
    ):
        if status != "complete" or data is None:
            photos.append({"id": att_id, "src": None})
            continue
        try:
            raw = unseal(bytes(data), key)
        except ValueError:
            photos.append({"id": att_id, "src": None})
            continue
        src = f"data:{_media_type(raw)};base64,{base64.b64encode(raw).decode('ascii')}"
        review = read_review(raw)
        photos.append(
            {"id": att_id, "src": src, "review": review and _REVIEW_KEYS.get(review, "request.photo_check")}
        )
    return personal, "", photos


_REVIEW_KEYS = {
    "low_confidence": "request.photo_check_low_confidence",
    "no_outline": "request.photo_check_no_outline",
}
"""The kiosk's review flag (written into the photo, :mod:`layanan.photo_review`) -> what the clerk is told."""


def _media_type(raw: bytes) -> str:
    if raw[:4] == b"\x89PNG":
        return "image/png"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


def _fields(console: Console, case: cases.Case, personal: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    out = []
    for fid, value in dict(personal.get("fields", {})).items():
        spec = console.catalog.fields.get(fid)
        title = spec.title.get(lang) if spec else fid
        shown = str(value)
        if spec is not None and spec.kind == "choice":
            shown = next((o.title.get(lang) for o in spec.options if o.id == value), shown)
        out.append((title, shown))
    return out


@page(*WORKERS)
def request_page(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    case = case_or_404(request, user)
    lang = request.session.get("lang", "id")
    personal, problem, photos = _open(console, case, user)
    remote = remote_of(request)
    if personal is not None:
        audit.write(console.db, user.name, "open", remote, case.ticket, case.msg_id)
    else:
        audit.write(console.db, user.name, "open_failed", remote, case.ticket, case.msg_id, problem)
        if problem != "request.no_rights":
            log.warning("request %s could not be opened: %s", case.msg_id, console.key_problem() or problem)
    documents = []
    if personal is not None:
        for did in personal.get("documents", []):
            spec = console.catalog.documents.get(did)
            documents.append(spec.title.get(lang) if spec else did)
    return render(
        request,
        "request.html",
        case=case,
        fields=_fields(console, case, personal, lang) if personal is not None else [],
        documents=documents,
        photos=photos,
        problem=problem,
        history=cases.history(console.db, case.msg_id),
        update=updates.latest(console.db, case.msg_id),
        next_states=cases.NEXT[case.state],
        reasons=cases.REASONS,
        today=console.today(),
    )


@page(*WORKERS)
def change_state(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    case = case_or_404(request, user)
    state = str(form.get("state", ""))
    reason = str(form.get("reason", ""))
    problem = apply_state(console, user, case, state, reason, remote_of(request), time.time())
    if problem:
        raise HTTPException(400, console.word(request.session.get("lang", "id"), problem))
    if console.status_link is not None:
        console.status_link.wake()
    flash(request, "request.changed", state=console.word(request.session.get("lang", "id"), f"state.{state}"))
    return redirect(f"/requests/{case.msg_id}")


@page(*WORKERS)
def resend(request: Request, user: User, form: Any) -> Response:
    console = console_of(request)
    case = case_or_404(request, user)
    console.db.execute(
        "UPDATE status_updates SET next_at = ? WHERE id = (SELECT MAX(id) FROM status_updates WHERE msg_id = ?)"
        " AND acked_at IS NULL",
        (time.time(), case.msg_id),
    )
    if console.status_link is not None:
        console.status_link.wake()
    return redirect(f"/requests/{case.msg_id}")
