"""The append-only audit log (UU PDP 27/2022): every opening of personal data, state change, export and
dead-letter action, with who, when, which ticket and from where. Triggers refuse UPDATE and DELETE on the table
(``central.migrations``); nothing in the code changes a row once written."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from central.db import Cursor, Database

ACTIONS = (
    "login",
    "logout",
    "open",
    "open_failed",
    "state",
    "export",
    "deadletter_discard",
    "deadletter_requeue",
    "audit_export",
    "stock",
    "staff",
)


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: float
    actor: str
    action: str
    ticket: str
    msg_id: str
    detail: str
    remote: str


def write(
    target: Database | Cursor,
    actor: str,
    action: str,
    remote: str,
    ticket: str = "",
    msg_id: str = "",
    detail: str = "",
) -> None:
    """One row; pass a cursor to write it in the same transaction as the action it records."""
    assert action in ACTIONS, action
    sql = "INSERT INTO audit_log (at, actor, action, ticket, msg_id, detail, remote) VALUES (?, ?, ?, ?, ?, ?, ?)"
    params = (time.time(), actor, action, ticket, msg_id, detail[:500], remote[:100])
    target.execute(sql, params)


def rows(
    db: Database, before_id: int | None = None, limit: int = 100, msg_id: str = "", actor: str = ""
) -> list[AuditRow]:
    """Newest first, keyset by id."""
    where: list[str] = []
    params: list[Any] = []
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    if msg_id:
        where.append("msg_id = ?")
        params.append(msg_id)
    if actor:
        where.append("actor = ?")
        params.append(actor)
    sql = "SELECT id, at, actor, action, ticket, msg_id, detail, remote FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    return [AuditRow(*r) for r in db.query(sql, (*params, limit))]


def count(db: Database, action: str, msg_id: str = "", actor: str = "") -> int:
    params: Sequence[Any] = (action, msg_id, msg_id, actor, actor)
    row = db.one(
        "SELECT COUNT(*) FROM audit_log WHERE action = ? AND (msg_id = ? OR ? = '') AND (actor = ? OR ? = '')",
        params,
    )
    return int(row[0]) if row else 0
