"""The local queue: one SQLite row per confirmed request, durable before the citizen sees the ticket.

Personal data is sealed to the central office's key before it is written; only the ticket, the service and the
state are readable on the device. Schema changes go through ``MIGRATIONS`` (``PRAGMA user_version``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.request import Request, new_msg_id, ticket_code

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: the queue and a counter for the per-device sequence number
    """
    CREATE TABLE requests (
        msg_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        service_id TEXT NOT NULL,
        ticket TEXT NOT NULL,
        lang TEXT NOT NULL,
        created_at REAL NOT NULL,
        sealed BLOB,
        attachments INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'in_flight', 'acked', 'quarantined')),
        tries INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        acked_at REAL,
        status TEXT
    );
    CREATE INDEX requests_state_seq ON requests (state, seq);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO counters VALUES ('seq', 0);
    """,
]


@dataclass(frozen=True)
class QueuedRequest:
    """A request as the device keeps it: no personal data in clear."""

    msg_id: str
    seq: int
    service_id: str
    ticket: str
    lang: str
    created_at: float
    state: str
    tries: int
    status: str | None


def connect(path: Path) -> sqlite3.Connection:
    """Open (and migrate) the queue database in WAL mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"queue database has schema version {version}, newer than this software ({len(MIGRATIONS)}); "
            "install the newer kiosk software or restore the database from before the downgrade"
        )
    for number in range(version, len(MIGRATIONS)):
        conn.execute("BEGIN IMMEDIATE")
        for statement in MIGRATIONS[number].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
        log.info("queue schema migrated to version %d", number + 1)
    return len(MIGRATIONS)


Sealer = Callable[[bytes], bytes]


class LocalQueue:
    """Enqueue confirmed requests durably; the uploader reads and updates the same table."""

    def __init__(self, path: Path, seal: Sealer, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._seal = seal
        self._clock = clock
        self.conn = connect(path)

    def enqueue(self, request: Request, ticket_prefix: str = "A") -> QueuedRequest:
        """Seal, store and commit (synchronous=FULL) one request; return it with its msg id and ticket."""
        sealed = self._seal(json.dumps(request.personal(), separators=(",", ":")).encode())
        msg_id = new_msg_id()
        now = self._clock()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            seq = conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value").fetchone()[0]
            ticket = ticket_code(ticket_prefix, seq)
            conn.execute(
                "INSERT INTO requests (msg_id, seq, service_id, ticket, lang, created_at, sealed, attachments)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (msg_id, seq, request.service_id, ticket, request.lang, now, sealed, len(request.attachments)),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("request queued msg_id=%s seq=%d service=%s", msg_id, seq, request.service_id)
        return QueuedRequest(msg_id, seq, request.service_id, ticket, request.lang, now, "pending", 0, None)

    def list(self, limit: int = 100, states: tuple[str, ...] = ()) -> list[QueuedRequest]:
        sql = "SELECT msg_id, seq, service_id, ticket, lang, created_at, state, tries, status FROM requests"
        params: tuple[object, ...] = ()
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            params = states
        sql += " ORDER BY seq DESC LIMIT ?"
        return [QueuedRequest(*row) for row in self.conn.execute(sql, (*params, limit))]

    def counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT state, COUNT(*) FROM requests GROUP BY state").fetchall())

    def close(self) -> None:
        self.conn.close()
