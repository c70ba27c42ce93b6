"""Kiosk queue files as older releases left them, for the upgrade tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.outbox.store import MIGRATIONS


def version_one_queue(path: Path, ticket: str) -> None:
    """A queue file at schema version 1 holding one pending request ``m1`` with ``ticket`` (seq 1)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO requests (msg_id, seq, service_id, ticket, lang, created_at, sealed) "
        "VALUES ('m1', 1, 'kk', ?, 'id', 1.0, x'00')",
        (ticket,),
    )
    conn.execute("UPDATE counters SET value = 1 WHERE name = 'seq'")
    conn.close()
