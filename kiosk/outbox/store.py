"""The local queue: one SQLite row per confirmed request, durable before the citizen sees the ticket.

Personal data is sealed to the central office's key before it is written; only the ticket, the service and the
state are readable on the device. Schema changes go through ``MIGRATIONS`` (``PRAGMA user_version``).
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from layanan.domain.envelope import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_CHUNKS
from layanan.domain.request import (
    DEFAULT_KIOSK_CODE,
    TICKET_NUMBER_DIGITS,
    Request,
    check_kiosk_code,
    new_msg_id,
    ticket_code,
)

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
    # 2: sends (resends after an ack timeout, for the backoff; ``tries`` counts central's rejections) and a
    # small key/value table for the uploader (last successful sync)
    """
    ALTER TABLE requests ADD COLUMN sends INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 3: attachments (photos), sealed whole and cut into chunks; a chunk's data is dropped once central acks it
    """
    CREATE TABLE attachments (
        att_id TEXT PRIMARY KEY,
        msg_id TEXT NOT NULL REFERENCES requests (msg_id),
        chunks INTEGER NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL
    );
    CREATE INDEX attachments_msg ON attachments (msg_id);
    CREATE TABLE chunks (
        att_id TEXT NOT NULL REFERENCES attachments (att_id),
        n INTEGER NOT NULL,
        data BLOB,
        acked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (att_id, n)
    );
    CREATE INDEX chunks_pending ON chunks (acked, att_id, n);
    """,
]

CHUNK_BYTES = 32 * 1024
"""Attachment chunk size on ``att/{att_id}/{n}`` (the protocol's maximum)."""


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
    # the sealed blob of an acknowledged request is overwritten on disk, not just unlinked from the b-tree
    conn.execute("PRAGMA secure_delete=ON")
    migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    # The version is read inside the write transaction: the app and the uploader daemon may open a fresh
    # database at the same moment, and only one of them may run each migration.
    while True:
        conn.execute("BEGIN IMMEDIATE")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            conn.execute("ROLLBACK")
            raise RuntimeError(
                f"queue database has schema version {version}, newer than this software ({len(MIGRATIONS)}); "
                "install the newer kiosk software or restore the database from before the downgrade"
            )
        if version == len(MIGRATIONS):
            conn.execute("COMMIT")
            break
        try:
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("queue schema migrated to version %d", version + 1)
    return len(MIGRATIONS)


Sealer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class OutgoingRow:
    """What the uploader needs to build an envelope: the stored fields, including the sealed blob."""

    msg_id: str
    seq: int
    service_id: str
    ticket: str
    lang: str
    created_at: float
    sealed: bytes
    sends: int
    attachments: int = 0


@dataclass(frozen=True)
class QueueStats:
    """For telemetry and ``kiosk outbox status``."""

    depth: int
    """Requests not yet acknowledged (pending and in flight)."""
    oldest_pending_at: float | None
    quarantined: int
    acked: int
    last_sync_at: float | None


class DiskFullError(RuntimeError):
    """The queue's disk is full (SQLITE_FULL): the request being queued was not stored, and every request queued
    before it is still there. The message says what to free; it carries no personal data."""

    def __init__(self, path: Path, rollback_error: str | None = None) -> None:
        undone = (
            f"SQLite undid it itself, so the ROLLBACK after it failed with '{rollback_error}'"
            if rollback_error
            else "it was rolled back"
        )
        super().__init__(
            f"disk full (SQLITE_FULL) while queueing a request in {path}: this request was NOT stored ({undone}); "
            f"every request queued before it is kept. Free space on the disk of {path.parent} (df -h "
            f"{path.parent}; e.g. journalctl --vacuum-size=50M, old logs) or move the data dir to a larger "
            "card, then the citizen can confirm again."
        )
        self.path = path


def _disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL (also as the primary code of an extended one) or ENOSPC from the OS."""
    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


class LocalQueue:
    """Enqueue confirmed requests durably; the uploader reads and updates the same table."""

    def __init__(
        self,
        path: Path,
        seal: Sealer,
        clock: Callable[[], float] = time.time,
        kiosk_code: str = DEFAULT_KIOSK_CODE,
    ) -> None:
        """``kiosk_code``: the kiosk's 3-digit code (``kiosk.kiosk_code``), the start of each ticket it issues."""
        self.path = path
        self._seal = seal
        self._clock = clock
        self.kiosk_code = check_kiosk_code(kiosk_code)
        self.conn = connect(path)

    def enqueue(
        self,
        request: Request,
        files: Sequence[bytes] = (),
        chunk_bytes: int = CHUNK_BYTES,
    ) -> QueuedRequest:
        """Seal, store and commit (synchronous=FULL) one request; return it with its msg id and ticket (the kiosk
        code and the request's number: ``1230427``).

        ``files`` are the request's photos (encoded images): each is sealed whole, cut into chunks of at most
        ``chunk_bytes`` and committed in the same transaction as the request.
        """
        if not 1 <= chunk_bytes <= CHUNK_BYTES:
            raise ValueError(f"chunk_bytes must be 1 to {CHUNK_BYTES}, got {chunk_bytes}")
        sealed = self._seal(json.dumps(request.personal(), separators=(",", ":")).encode())
        sealed_files = [self._seal(bytes(f)) for f in files]
        for blob in sealed_files:  # what central accepts (layanan.domain.envelope.AttachmentRef)
            if len(blob) > MAX_ATTACHMENT_BYTES or -(-len(blob) // chunk_bytes) > MAX_ATTACHMENT_CHUNKS:
                raise ValueError(
                    f"a photo of {len(blob)} bytes (sealed) in chunks of {chunk_bytes} is more than central takes"
                    f" ({MAX_ATTACHMENT_BYTES} bytes, {MAX_ATTACHMENT_CHUNKS} chunks); take it at a lower resolution"
                )
        msg_id = new_msg_id()
        now = self._clock()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            seq = conn.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value"
            ).fetchone()[0]
            ticket = ticket_code(self.kiosk_code, seq)
            conn.execute(
                "INSERT INTO requests (msg_id, seq, service_id, ticket, lang, created_at, sealed, attachments)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    msg_id,
                    seq,
                    request.service_id,
                    ticket,
                    request.lang,
                    now,
                    sealed,
                    len(sealed_files) or len(request.attachments),
                ),
            )
            for blob in sealed_files:
                att_id = new_msg_id()
                parts = [blob[i : i + chunk_bytes] for i in range(0, len(blob), chunk_bytes)] or [b""]
                conn.execute(
                    "INSERT INTO attachments (att_id, msg_id, chunks, size, sha256) VALUES (?, ?, ?, ?, ?)",
                    (att_id, msg_id, len(parts), len(blob), hashlib.sha256(blob).hexdigest()),
                )
                conn.executemany(
                    "INSERT INTO chunks (att_id, n, data) VALUES (?, ?, ?)",
                    [(att_id, n, part) for n, part in enumerate(parts)],
                )
            conn.execute("COMMIT")
        except BaseException as exc:
            # After SQLITE_FULL, SQLite has already rolled the transaction back: a ROLLBACK then fails ("no
            # transaction is active") and, unchecked, its error used to hide the disk-full one.
            rollback_error = None
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error as failed:
                rollback_error = str(failed)
            if _disk_full(exc):
                full = DiskFullError(self.path, rollback_error)
                log.error("%s", full)
                raise full from exc
            if rollback_error is not None:
                log.error("enqueue failed (%s) and its ROLLBACK too (%s)", type(exc).__name__, rollback_error)
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

    # --- used by the uploader -------------------------------------------------------------------------------------
    # State changes are batched into one transaction each and committed with synchronous=NORMAL: a power cut can
    # only undo the last few of them, which means a request is sent again and central's de-duplication absorbs it.
    # The enqueue commit above stays synchronous=FULL because that one is what the citizen was promised.

    def _state_write(
        self, sql: str, rows: Iterable[tuple[object, ...]], *more: tuple[str, tuple[object, ...]]
    ) -> int:
        """Run ``sql`` for each row, then the ``more`` statements, in one transaction; return rows changed by sql."""
        conn = self.conn
        conn.execute("PRAGMA synchronous=NORMAL")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                changed = conn.executemany(sql, rows).rowcount
                for extra_sql, params in more:
                    conn.execute(extra_sql, params)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute("PRAGMA synchronous=FULL")
        return changed

    def recover(self) -> int:
        """After a restart nothing is in flight any more (the MQTT session lived in memory): send it again now."""
        return self._state_write(
            "UPDATE requests SET state = 'pending', next_attempt_at = 0 WHERE state = 'in_flight'", [()]
        )

    def due(
        self, limit: int, now: float, exclude: Collection[str] = (), horizon: float | None = None
    ) -> builtins.list[OutgoingRow]:
        """Pending requests whose next attempt is due, oldest first.

        A next attempt later than ``horizon`` (beyond any backoff) was scheduled while the clock was wrong (no RTC;
        the clock was corrected backwards since): it counts as due, so a clock fix never strands a request.
        """
        if limit <= 0:
            return []
        rows = self.conn.execute(
            "SELECT msg_id, seq, service_id, ticket, lang, created_at, sealed, sends, attachments FROM requests"
            " WHERE state = 'pending' AND (next_attempt_at <= ? OR next_attempt_at > ?) ORDER BY seq LIMIT ?",
            (now, float("inf") if horizon is None else horizon, limit + len(exclude)),
        ).fetchall()
        out = [OutgoingRow(*r) for r in rows if r[0] not in exclude]
        return out[:limit]

    def next_due_at(self) -> float | None:
        row = self.conn.execute(
            "SELECT MIN(next_attempt_at) FROM requests WHERE state = 'pending'"
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def mark_in_flight(self, msg_ids: Collection[str]) -> int:
        return self._state_write(
            "UPDATE requests SET state = 'in_flight', sends = sends + 1 WHERE msg_id = ? AND state = 'pending'",
            [(m,) for m in msg_ids],
        )

    def mark_acked(self, msg_ids: Collection[str], now: float) -> int:
        """Central committed these: keep ticket, service and status; drop the sealed personal data.

        Only a request that was sent (``sends > 0``) can have been committed: an ack naming one never sent is
        ignored, whatever its signature, so the sealed copy is never dropped before central has it."""
        return self._state_write(
            "UPDATE requests SET state = 'acked', sealed = NULL, acked_at = ?, last_error = NULL"
            " WHERE msg_id = ? AND state != 'acked' AND sends > 0",
            [(now, m) for m in msg_ids],
            ("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sync_at', ?)", (repr(now),)),
        )

    def reschedule(self, items: Collection[tuple[str, float]]) -> int:
        """No ack in time: back to pending, next attempt at the given time (backoff with jitter)."""
        return self._state_write(
            "UPDATE requests SET state = 'pending', next_attempt_at = ? WHERE msg_id = ? AND state = 'in_flight'",
            [(at, m) for m, at in items],
        )

    def reject(self, items: Collection[tuple[str, str, float]], max_tries: int) -> int:
        """Central refused these ``(msg_id, reason, next_attempt_at)``; after ``max_tries`` they are quarantined."""
        return self._state_write(
            "UPDATE requests SET tries = tries + 1, last_error = ?, next_attempt_at = ?,"
            " state = CASE WHEN tries + 1 >= ? THEN 'quarantined' ELSE 'pending' END"
            " WHERE msg_id = ? AND state IN ('pending', 'in_flight')",
            [(reason[:200], at, max_tries, m) for m, reason, at in items],
        )

    def release(self, msg_id: str) -> bool:
        """Staff put a quarantined request back in the queue (after central fixed what it rejected)."""
        return bool(
            self._state_write(
                "UPDATE requests SET state = 'pending', tries = 0, next_attempt_at = 0"
                " WHERE msg_id = ? AND state = 'quarantined'",
                [(msg_id,)],
            )
        )

    def find_ticket(self, number: str) -> QueuedRequest | None:
        """The newest request with this ticket: its 7 digits (``1230427``), an old code as stored (``K-0427``), or
        the last 4 digits alone (every ticket in this queue is this kiosk's own, old ones too)."""
        if len(number) == TICKET_NUMBER_DIGITS and number.isdigit():
            where, value = "substr(ticket, -4) = ?", number
        else:
            where, value = "ticket = ?", number
        row = self.conn.execute(
            "SELECT msg_id, seq, service_id, ticket, lang, created_at, state, tries, status FROM requests"
            f" WHERE {where} ORDER BY seq DESC LIMIT 1",
            (value,),
        ).fetchone()
        return QueuedRequest(*row) if row else None

    def next_number(self) -> int:
        """The number (sequence) the next request gets; its ticket ends in that number's last 4 digits."""
        return int(self.conn.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()[0]) + 1

    def continue_from(self, next_number: int) -> int:
        """A replacement kiosk continues its predecessor's numbering: the next request gets at least
        ``next_number`` (never less than this queue would give anyway: the counter never moves back).
        Returns the number the next request gets."""
        if next_number < 1:
            raise ValueError(f"the next ticket number must be 1 or more, not {next_number}")
        self.conn.execute("BEGIN IMMEDIATE")  # synchronous=FULL: a power cut must not undo the floor
        try:
            self.conn.execute(
                "UPDATE counters SET value = MAX(value, ?) WHERE name = 'seq'", (next_number - 1,)
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return self.next_number()

    def set_status(self, msg_id: str, status: str) -> bool:
        """A status update from central (``upd``) for one ticket."""
        return bool(
            self._state_write("UPDATE requests SET status = ? WHERE msg_id = ?", [(status[:64], msg_id)])
        )

    def quarantined(self, limit: int = 100) -> builtins.list[tuple[QueuedRequest, str]]:
        """Quarantined requests with central's last reason, for the staff view."""
        rows = self.conn.execute(
            "SELECT msg_id, seq, service_id, ticket, lang, created_at, state, tries, status, last_error"
            " FROM requests WHERE state = 'quarantined' ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [(QueuedRequest(*r[:9]), r[9] or "") for r in rows]

    def attachment_refs(
        self, msg_ids: Collection[str]
    ) -> dict[str, builtins.list[tuple[str, int, int, str]]]:
        """msg_id -> [(att_id, chunks, size, sha256)] for the envelopes of these requests."""
        out: dict[str, builtins.list[tuple[str, int, int, str]]] = {}
        ids = list(msg_ids)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self.conn.execute(
                "SELECT msg_id, att_id, chunks, size, sha256 FROM attachments"
                f" WHERE msg_id IN ({','.join('?' * len(part))}) ORDER BY att_id",
                part,
            ).fetchall()
            for msg_id, att_id, chunks, size, sha in rows:
                out.setdefault(msg_id, []).append((att_id, chunks, size, sha))
        return out

    def due_chunks(
        self, limit: int, exclude: Collection[tuple[str, int]] = ()
    ) -> builtins.list[tuple[str, str, int, bytes]]:
        """Chunks not yet acknowledged, oldest request first: (msg_id, att_id, n, data)."""
        if limit <= 0:
            return []
        rows = self.conn.execute(
            "SELECT a.msg_id, c.att_id, c.n, c.data FROM chunks c JOIN attachments a ON a.att_id = c.att_id"
            " JOIN requests r ON r.msg_id = a.msg_id"
            " WHERE c.acked = 0 AND r.state != 'quarantined' ORDER BY r.seq, c.att_id, c.n LIMIT ?",
            (limit + len(exclude),),
        ).fetchall()
        skip = set(exclude)
        return [(m, a, n, bytes(d)) for m, a, n, d in rows if (a, n) not in skip][:limit]

    def mark_chunks_acked(self, pairs: Collection[tuple[str, int]]) -> int:
        """Central committed these chunks: drop their data, never send them again."""
        return self._state_write(
            "UPDATE chunks SET acked = 1, data = NULL WHERE att_id = ? AND n = ? AND acked = 0", list(pairs)
        )

    def chunks_pending(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM chunks WHERE acked = 0").fetchone()[0])

    def set_meta(self, key: str, value: str) -> None:
        self._state_write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(key, value)])

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def stats(self) -> QueueStats:
        counts = self.counts()
        oldest = self.conn.execute(
            "SELECT MIN(created_at) FROM requests WHERE state IN ('pending', 'in_flight')"
        ).fetchone()[0]
        last = self.get_meta("last_sync_at")
        return QueueStats(
            depth=counts.get("pending", 0) + counts.get("in_flight", 0),
            oldest_pending_at=oldest,
            quarantined=counts.get("quarantined", 0),
            acked=counts.get("acked", 0),
            last_sync_at=None if last is None else float(last),
        )

    def close(self) -> None:
        self.conn.close()
