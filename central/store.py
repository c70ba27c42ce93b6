"""Central office storage: requests, dead letters, the device registry and the latest telemetry per device.

One :class:`CentralStore` protocol, two adapters that share their SQL: SQLite (the embedded default) and
PostgreSQL (psycopg 3). ``open_store(url)`` picks one: ``sqlite:///PATH`` or ``postgresql://...``; a ``schema=NAME``
query parameter puts the PostgreSQL tables in their own schema (tests use one per run).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from layanan.domain.request import is_old_ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Device:
    device_id: str
    public_key: str
    village_code: str = ""
    credentials_sha256: str = ""
    registered_at: float = 0.0
    disabled: bool = False
    """Refused as if unknown (``kiosk-central devices disable ID``): a stolen kiosk, or one being re-provisioned."""
    kiosk_code: str = ""
    """The kiosk's 3-digit code, the start of its tickets; unique among the office's active kiosks (empty: a
    record from before tickets carried it)."""

    @classmethod
    def from_record(cls, record: dict[str, Any], now: float) -> Device:
        """The provisioning helper's JSON record; ValueError names the bad field."""
        for key in ("device_id", "public_key"):
            if not isinstance(record.get(key), str) or not record[key]:
                raise ValueError(f"device record: '{key}' is missing or not text")
        if not re.fullmatch(r"[0-9a-f]{64}", record["public_key"]):
            raise ValueError("device record: 'public_key' must be 64 lower-case hex digits (Ed25519)")
        code = str(record.get("kiosk_code", ""))
        if code and (not re.fullmatch(r"\d{3}", code) or code == "000"):
            raise ValueError("device record: 'kiosk_code' must be 3 digits, 001 to 999")
        return cls(
            record["device_id"],
            record["public_key"],
            str(record.get("village_code", "")),
            str(record.get("credentials_sha256", "")),
            now,
            kiosk_code=code,
        )


@dataclass(frozen=True)
class StoredRequest:
    """A request as central keeps it; ``sealed`` is opened only for export with central's private key."""

    msg_id: str
    device_id: str
    seq: int
    ticket: str
    service_id: str
    lang: str
    created_ms: int
    received_at: float
    digest: str
    sealed: bytes
    attachments: int = 0
    status: str = "received"
    attachments_done: int = 0
    """Attachments reassembled with a matching sha256 (filled in when read back)."""
    att_refs: tuple[tuple[str, int, int, str], ...] = ()
    """(att_id, chunks, size, sha256) announced by the envelope (used when storing)."""

    @property
    def complete(self) -> bool:
        """A request is complete at central only with all its attachments."""
        return self.attachments_done >= self.attachments


@dataclass(frozen=True)
class Chunk:
    """Chunk ``n`` of attachment ``att_id`` (sealed bytes, at most 32 KB)."""

    att_id: str
    n: int
    device_id: str
    data: bytes
    received_at: float


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    """Short code: malformed, schema, oversized, invalid, topic_mismatch, unknown_device, bad_signature,
    replay_conflict, attachment_corrupt, unstorable (the database refused it), internal."""
    detail: str
    topic: str
    payload: bytes
    received_at: float
    device_id: str = ""
    msg_id: str = ""


@dataclass(frozen=True)
class DeviceView:
    device: Device
    telemetry: dict[str, Any] = field(default_factory=dict)
    last_seen: float | None = None


NEW, DUPLICATE, CONFLICT = "new", "duplicate", "conflict"
REFUSED = "refused"
"""A chunk central does not keep (another device's attachment, an index beyond the declared count): it is
dead-lettered and not acknowledged."""


class CentralStore(Protocol):
    def commit(
        self, requests: Sequence[StoredRequest], dead: Sequence[DeadLetter], chunks: Sequence[Chunk] = ()
    ) -> list[str]:
        """Store a batch in one transaction. The outcomes: one per request, NEW, DUPLICATE (same digest) or
        CONFLICT (dead-lettered); then one per chunk, NEW, DUPLICATE or REFUSED (dead-lettered, not to be acked).

        A chunk belongs to the device that sent it and to the attachment a signed request declares: another
        device's chunk of a declared attachment is refused as ``foreign_chunk``, an index beyond the declared count
        as ``invalid``. Chunks that arrive before their request are kept apart per sender; when the request comes,
        only its own device's chunks count and the others are dead-lettered. An attachment whose chunks are all in
        is reassembled, checked against the declared size and sha256 and kept, or dead-lettered as
        ``attachment_corrupt``.
        """
        ...

    def expire_chunks(self, before: float) -> int:
        """Drop chunks received before ``before`` that no request has declared; how many were dropped."""
        ...

    def count_chunks(self) -> int:
        """Chunks held until their attachment is complete (declared or not)."""
        ...

    def attachments_of(self, msg_id: str) -> list[tuple[str, str, bytes | None]]:
        """(att_id, status waiting|complete|corrupt, sealed bytes when complete) of one request."""
        ...

    def add_device(self, device: Device) -> None:
        """Register a device, or give a registered one its new key, village and credentials (a disabled device
        stays disabled)."""
        ...

    def set_disabled(self, device_id: str, disabled: bool) -> bool:
        """Disable or enable a registered device; False when there is no such device."""
        ...

    def device(self, device_id: str) -> Device | None: ...
    def devices(self) -> list[DeviceView]: ...
    def save_telemetry(self, device_id: str, data: dict[str, Any], received_at: float) -> None: ...
    def telemetry(self, device_id: str) -> dict[str, Any] | None:
        """The latest telemetry of a device, or None."""
        ...

    def devices_with_code(self, kiosk_code: str) -> list[Device]:
        """Registered devices (disabled ones too) that carry this kiosk code."""
        ...

    def requests(self) -> list[StoredRequest]: ...
    def count_requests(self) -> int: ...
    def dead_letters(self) -> list[DeadLetter]: ...
    def find_ticket(self, device_id: str, ticket: str) -> StoredRequest | None: ...
    def find_tickets(self, ticket: str, limit: int = 10) -> list[StoredRequest]:
        """Requests with this ticket code from any kiosk of the office, newest first."""
        ...

    def last_request(self, device_id: str) -> StoredRequest | None:
        """The device's request with the highest number (its latest ticket)."""
        ...

    def ticket_status(self, msg_id: str) -> str:
        """What the kiosk was last told about this request (the console's status update, else the status
        ``kiosk-central update`` stored); "" when nothing yet."""
        ...

    def set_status(self, msg_id: str, status: str) -> bool: ...
    def close(self) -> None: ...


_DDL = """
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, village_code TEXT NOT NULL DEFAULT '',
    credentials_sha256 TEXT NOT NULL DEFAULT '', registered_at DOUBLE PRECISION NOT NULL,
    disabled_at DOUBLE PRECISION, kiosk_code TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS requests (
    msg_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, seq BIGINT NOT NULL, ticket TEXT NOT NULL,
    service_id TEXT NOT NULL, lang TEXT NOT NULL, created_ms BIGINT NOT NULL, received_at DOUBLE PRECISION NOT NULL,
    digest TEXT NOT NULL, sealed {blob} NOT NULL, attachments INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'received', status_at DOUBLE PRECISION);
CREATE INDEX IF NOT EXISTS requests_device_ticket ON requests (device_id, ticket);
CREATE INDEX IF NOT EXISTS requests_ticket ON requests (ticket, received_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    id {serial}, received_at DOUBLE PRECISION NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
    topic TEXT NOT NULL, device_id TEXT NOT NULL DEFAULT '', msg_id TEXT NOT NULL DEFAULT '', payload {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS telemetry (
    device_id TEXT PRIMARY KEY, received_at DOUBLE PRECISION NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (
    att_id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, device_id TEXT NOT NULL, chunks INTEGER NOT NULL,
    size BIGINT NOT NULL, sha256 TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'waiting', data {blob},
    completed_at DOUBLE PRECISION);
CREATE INDEX IF NOT EXISTS attachments_msg ON attachments (msg_id);
CREATE TABLE IF NOT EXISTS att_chunks (
    att_id TEXT NOT NULL, n INTEGER NOT NULL, device_id TEXT NOT NULL, data {blob} NOT NULL,
    received_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (att_id, device_id, n))
"""

_ADD_KIOSK_CODE = "ALTER TABLE devices ADD COLUMN kiosk_code TEXT NOT NULL DEFAULT ''"
"""The receiver reads a device's kiosk code, so its own schema check adds the column (like ``disabled_at``);
the office's migration 7 indexes it."""

_CHUNKS_BEFORE = "att_chunks_before_device_key"
"""Databases made before chunks were bound to their sender keyed ``att_chunks`` by (att_id, n) only."""

_REQ_COLS = "msg_id, device_id, seq, ticket, service_id, lang, created_ms, received_at, digest, sealed, attachments, status"
_REQ_SELECT = (
    "SELECT r.msg_id, r.device_id, r.seq, r.ticket, r.service_id, r.lang, r.created_ms, r.received_at, r.digest,"
    " r.sealed, r.attachments, r.status, (SELECT COUNT(*) FROM attachments a WHERE a.msg_id = r.msg_id"
    " AND a.status = 'complete') FROM requests r"
)
_DEAD_PAYLOAD_LIMIT = 64 * 1024
_DEV_COLS = "d.device_id, d.public_key, d.village_code, d.credentials_sha256, d.registered_at, d.disabled_at, d.kiosk_code"


def _device(row: Sequence[Any]) -> Device:
    """A ``devices`` row selected as :data:`_DEV_COLS`."""
    return Device(*row[:5], disabled=row[5] is not None, kiosk_code=row[6] or "")


def storable(text: str, limit: int) -> str:
    """Text either database can store: NUL (PostgreSQL refuses it) and lone surrogates (no UTF-8 for them) escaped.

    A dead letter's detail and topic quote what came off the wire; writing it must never be what fails."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text[:limit]


class SqlStore:
    """The shared SQL; subclasses provide the connection, the placeholder and the transaction."""

    placeholder = "?"

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    @contextmanager
    def _tx(self) -> Iterator[Any]:  # pragma: no cover - overridden
        raise NotImplementedError
        yield

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._tx() as cur:
            cur.execute(self._sql(sql), params)
            return list(cur.fetchall())

    def commit(
        self, requests: Sequence[StoredRequest], dead: Sequence[DeadLetter], chunks: Sequence[Chunk] = ()
    ) -> list[str]:
        outcomes: list[str] = []
        touched: set[str] = set()
        conflicts: list[DeadLetter] = []
        insert = self._sql(
            f"INSERT INTO requests ({_REQ_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (msg_id) DO NOTHING"
        )
        with self._tx() as cur:
            for r in requests:
                cur.execute(
                    insert,
                    (
                        r.msg_id,
                        r.device_id,
                        r.seq,
                        r.ticket,
                        r.service_id,
                        r.lang,
                        r.created_ms,
                        r.received_at,
                        r.digest,
                        r.sealed,
                        r.attachments,
                        r.status,
                    ),
                )
                if cur.rowcount == 1:
                    outcomes.append(NEW)
                    self._warn_if_ticket_taken(cur, r)
                    for att_id, n_chunks, size, sha in r.att_refs:
                        cur.execute(
                            self._sql(
                                "INSERT INTO attachments (att_id, msg_id, device_id, chunks, size, sha256)"
                                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (att_id) DO NOTHING"
                            ),
                            (att_id, r.msg_id, r.device_id, n_chunks, size, sha),
                        )
                        if cur.rowcount == 1:
                            touched.add(att_id)
                            conflicts += self._drop_strays(cur, att_id, r.device_id, n_chunks)
                        else:
                            conflicts.append(
                                DeadLetter(
                                    "attachment_conflict",
                                    f"attachment {att_id} is already declared by another request;"
                                    " this request stays incomplete",
                                    f"kiosk/v1/{r.device_id}/req",
                                    b"",
                                    r.received_at,
                                    r.device_id,
                                    r.msg_id,
                                )
                            )
                    continue
                cur.execute(self._sql("SELECT digest, device_id FROM requests WHERE msg_id = ?"), (r.msg_id,))
                digest, device_id = cur.fetchone()
                if digest == r.digest and device_id == r.device_id:
                    outcomes.append(DUPLICATE)
                else:
                    outcomes.append(CONFLICT)
                    conflicts.append(
                        DeadLetter(
                            "replay_conflict",
                            "msg id already stored with a different body",
                            f"kiosk/v1/{r.device_id}/req",
                            b"",
                            r.received_at,
                            r.device_id,
                            r.msg_id,
                        )
                    )
            for c in chunks:
                outcome, refused = self._store_chunk(cur, c)
                outcomes.append(outcome)
                if refused is not None:
                    conflicts.append(refused)
                elif outcome == NEW:
                    touched.add(c.att_id)
            for att_id in sorted(touched):
                corrupt = self._assemble(cur, att_id)
                if corrupt is not None:
                    conflicts.append(corrupt)
            for d in [*dead, *conflicts]:
                cur.execute(
                    self._sql(
                        "INSERT INTO dead_letters (received_at, reason, detail, topic, device_id, msg_id, payload)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)"
                    ),
                    (
                        d.received_at,
                        d.reason,
                        storable(d.detail, 500),
                        storable(d.topic, 300),
                        storable(d.device_id, 64),
                        storable(d.msg_id, 64),
                        d.payload[:_DEAD_PAYLOAD_LIMIT],
                    ),
                )
        return outcomes

    def _warn_if_ticket_taken(self, cur: Any, r: StoredRequest) -> None:
        """A ticket code the office already has from another kiosk, or from this one at a number not below this
        request's (its numbering went back: a replacement that did not continue): two citizens hold the same code.
        The request is kept all the same (never lose one); the log names codes and ids, no personal data."""
        if is_old_ticket(r.ticket):
            return  # old codes were unique per kiosk only
        cur.execute(
            self._sql(
                "SELECT msg_id, device_id FROM requests WHERE ticket = ? AND msg_id <> ?"
                " AND (device_id <> ? OR seq >= ?) LIMIT 1"
            ),
            (r.ticket, r.msg_id, r.device_id, r.seq),
        )
        row = cur.fetchone()
        if row is not None:
            log.warning(
                "ticket %s of msg %s from %s is already at the office as msg %s from %s: two kiosks share a "
                "kiosk code, or a replacement did not continue its numbering (kiosk-central devices show ID); "
                "stored anyway",
                r.ticket,
                r.msg_id,
                r.device_id,
                row[0],
                row[1],
            )

    def _store_chunk(self, cur: Any, c: Chunk) -> tuple[str, DeadLetter | None]:
        """Keep one chunk under its sender, unless its attachment is declared by another device or has fewer
        chunks; (outcome, dead letter when refused)."""
        cur.execute(
            self._sql("SELECT device_id, chunks, status FROM attachments WHERE att_id = ?"), (c.att_id,)
        )
        declared = cur.fetchone()
        where = f"kiosk/v1/{c.device_id}/att/{c.att_id}/{c.n}"
        if declared is not None:
            owner, n_chunks, status = declared
            if owner != c.device_id:
                detail = f"chunk {c.n} of attachment {c.att_id}, which a request of another device declares"
                return REFUSED, DeadLetter(
                    "foreign_chunk", detail, where, c.data[:1024], c.received_at, c.device_id
                )
            if c.n >= n_chunks:
                detail = f"chunk {c.n} of attachment {c.att_id}, which was declared with {n_chunks} chunks"
                return REFUSED, DeadLetter(
                    "invalid", detail, where, c.data[:1024], c.received_at, c.device_id
                )
            if status != "waiting":
                return DUPLICATE, None  # a resend after the attachment was complete (or found corrupt)
        cur.execute(
            self._sql(
                "INSERT INTO att_chunks (att_id, n, device_id, data, received_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (att_id, device_id, n) DO NOTHING"
            ),
            (c.att_id, c.n, c.device_id, c.data, c.received_at),
        )
        return (NEW if cur.rowcount == 1 else DUPLICATE), None

    def _drop_strays(self, cur: Any, att_id: str, owner: str, n_chunks: int) -> list[DeadLetter]:
        """An attachment was just declared: chunks other devices sent for it, and chunks beyond its count, kept
        while nobody had declared it, are dead-lettered and dropped."""
        stray = "att_id = ? AND (device_id <> ? OR n >= ?)"
        cur.execute(
            self._sql(f"SELECT n, device_id, data, received_at FROM att_chunks WHERE {stray} ORDER BY n"),
            (att_id, owner, n_chunks),
        )
        dead = []
        for n, device_id, data, received_at in cur.fetchall():
            where = f"kiosk/v1/{device_id}/att/{att_id}/{n}"
            if device_id != owner:
                reason, detail = (
                    "foreign_chunk",
                    f"chunk {n} of attachment {att_id}, which another device declared",
                )
            else:
                reason, detail = (
                    "invalid",
                    f"chunk {n} of attachment {att_id}, declared with {n_chunks} chunks",
                )
            dead.append(DeadLetter(reason, detail, where, bytes(data)[:1024], received_at, device_id))
        cur.execute(self._sql(f"DELETE FROM att_chunks WHERE {stray}"), (att_id, owner, n_chunks))
        return dead

    def expire_chunks(self, before: float) -> int:
        with self._tx() as cur:
            cur.execute(
                self._sql(
                    "DELETE FROM att_chunks WHERE received_at < ? AND NOT EXISTS"
                    " (SELECT 1 FROM attachments a WHERE a.att_id = att_chunks.att_id)"
                ),
                (before,),
            )
            return int(cur.rowcount)

    def count_chunks(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM att_chunks")[0][0])

    def _assemble(self, cur: Any, att_id: str) -> DeadLetter | None:
        """Reassemble an attachment whose chunks (from its own device) are all in; a dead letter when its size or
        sha256 does not match the declaration."""
        cur.execute(
            self._sql(
                "SELECT msg_id, device_id, chunks, size, sha256 FROM attachments"
                " WHERE att_id = ? AND status = 'waiting'"
            ),
            (att_id,),
        )
        row = cur.fetchone()
        if row is None:
            return None
        msg_id, device_id, n_chunks, size, sha = row
        cur.execute(
            self._sql(
                "SELECT n, data FROM att_chunks WHERE att_id = ? AND device_id = ? AND n < ? ORDER BY n"
            ),
            (att_id, device_id, n_chunks),
        )
        parts = cur.fetchall()
        if len(parts) < n_chunks:
            return None
        data = b"".join(bytes(p[1]) for p in parts)
        ok = len(data) == size and hashlib.sha256(data).hexdigest() == sha
        cur.execute(
            self._sql("UPDATE attachments SET status = ?, data = ?, completed_at = ? WHERE att_id = ?"),
            ("complete" if ok else "corrupt", data if ok else None, time.time(), att_id),
        )
        cur.execute(self._sql("DELETE FROM att_chunks WHERE att_id = ?"), (att_id,))
        if ok:
            return None
        log.warning("attachment %s of %s failed its size or sha256 check", att_id, msg_id)
        return DeadLetter(
            "attachment_corrupt",
            f"attachment {att_id}: the reassembled bytes differ from the declared size or sha256",
            f"kiosk/v1/{device_id}/att/{att_id}",
            data[:1024],
            time.time(),
            device_id,
            msg_id,
        )

    def attachments_of(self, msg_id: str) -> list[tuple[str, str, bytes | None]]:
        rows = self._query(
            "SELECT att_id, status, data FROM attachments WHERE msg_id = ? ORDER BY att_id", (msg_id,)
        )
        return [(r[0], r[1], None if r[2] is None else bytes(r[2])) for r in rows]

    def add_device(self, device: Device) -> None:
        with self._tx() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO devices (device_id, public_key, village_code, credentials_sha256, registered_at,"
                    " kiosk_code) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
                    " public_key = excluded.public_key, village_code = excluded.village_code,"
                    " credentials_sha256 = excluded.credentials_sha256, kiosk_code = excluded.kiosk_code"
                ),
                (
                    device.device_id,
                    device.public_key,
                    device.village_code,
                    device.credentials_sha256,
                    device.registered_at,
                    device.kiosk_code,
                ),
            )

    def set_disabled(self, device_id: str, disabled: bool) -> bool:
        with self._tx() as cur:
            cur.execute(
                self._sql("UPDATE devices SET disabled_at = ? WHERE device_id = ?"),
                (time.time() if disabled else None, device_id),
            )
            return bool(cur.rowcount)

    def device(self, device_id: str) -> Device | None:
        rows = self._query(f"SELECT {_DEV_COLS} FROM devices d WHERE d.device_id = ?", (device_id,))
        return _device(rows[0]) if rows else None

    def devices_with_code(self, kiosk_code: str) -> list[Device]:
        rows = self._query(
            f"SELECT {_DEV_COLS} FROM devices d WHERE d.kiosk_code = ? ORDER BY d.device_id", (kiosk_code,)
        )
        return [_device(r) for r in rows]

    def devices(self) -> list[DeviceView]:
        rows = self._query(
            f"SELECT {_DEV_COLS}, t.data, t.received_at FROM devices d"
            " LEFT JOIN telemetry t ON t.device_id = d.device_id ORDER BY d.device_id"
        )
        return [DeviceView(_device(r), json.loads(r[7]) if r[7] else {}, r[8]) for r in rows]

    def telemetry(self, device_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT data FROM telemetry WHERE device_id = ?", (device_id,))
        return json.loads(rows[0][0]) if rows else None  # type: ignore[no-any-return]

    def save_telemetry(self, device_id: str, data: dict[str, Any], received_at: float) -> None:
        with self._tx() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO telemetry (device_id, received_at, data) VALUES (?, ?, ?)"
                    " ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at,"
                    " data = excluded.data"
                ),
                (device_id, received_at, json.dumps(data, sort_keys=True)),
            )

    def requests(self) -> list[StoredRequest]:
        rows = self._query(f"{_REQ_SELECT} ORDER BY r.received_at, r.device_id, r.seq")
        return [StoredRequest(*r[:9], bytes(r[9]), *r[10:]) for r in rows]

    def count_requests(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM requests")[0][0])

    def dead_letters(self) -> list[DeadLetter]:
        rows = self._query(
            "SELECT reason, detail, topic, payload, received_at, device_id, msg_id FROM dead_letters ORDER BY id"
        )
        return [DeadLetter(r[0], r[1], r[2], bytes(r[3]), *r[4:]) for r in rows]

    def find_ticket(self, device_id: str, ticket: str) -> StoredRequest | None:
        rows = self._query(
            f"{_REQ_SELECT} WHERE r.device_id = ? AND r.ticket = ? ORDER BY r.seq DESC LIMIT 1",
            (device_id, ticket),
        )
        return StoredRequest(*rows[0][:9], bytes(rows[0][9]), *rows[0][10:]) if rows else None

    def find_tickets(self, ticket: str, limit: int = 10) -> list[StoredRequest]:
        rows = self._query(
            f"{_REQ_SELECT} WHERE r.ticket = ? ORDER BY r.received_at DESC, r.seq DESC LIMIT ?",
            (ticket, limit),
        )
        return [StoredRequest(*r[:9], bytes(r[9]), *r[10:]) for r in rows]

    def last_request(self, device_id: str) -> StoredRequest | None:
        rows = self._query(f"{_REQ_SELECT} WHERE r.device_id = ? ORDER BY r.seq DESC LIMIT 1", (device_id,))
        return StoredRequest(*rows[0][:9], bytes(rows[0][9]), *rows[0][10:]) if rows else None

    def ticket_status(self, msg_id: str) -> str:
        try:  # the console's updates (a migrated office database)
            rows = self._query(
                "SELECT text FROM status_updates WHERE msg_id = ? ORDER BY id DESC LIMIT 1", (msg_id,)
            )
        except Exception:  # noqa: BLE001 - a receiver-only database has no status_updates table
            rows = []
        if rows:
            return str(rows[0][0])
        rows = self._query("SELECT status FROM requests WHERE msg_id = ?", (msg_id,))
        status = str(rows[0][0]) if rows else ""
        return "" if status == "received" else status

    def set_status(self, msg_id: str, status: str) -> bool:
        with self._tx() as cur:
            cur.execute(
                self._sql("UPDATE requests SET status = ?, status_at = ? WHERE msg_id = ?"),
                (status, time.time(), msg_id),
            )
            return bool(cur.rowcount)


def _private_file(path: Path, create: bool = True) -> None:
    """The office's database holds citizens' sealed data and the registry: mode 0600, in a 0700 directory when this
    makes the directory. A file left 0644 by an older version is tightened."""
    if create and not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if create and not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if path.exists() and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def _rekey_chunks(cur: Any, blob: str) -> None:
    """Key ``att_chunks`` of an older database by (att_id, device_id, n), keeping its rows (chunks on their way)."""
    cur.execute(f"ALTER TABLE att_chunks RENAME TO {_CHUNKS_BEFORE}")
    chunks_ddl = _DDL[_DDL.index("CREATE TABLE IF NOT EXISTS att_chunks") :]
    cur.execute(chunks_ddl.format(blob=blob))
    cur.execute(
        "INSERT INTO att_chunks (att_id, n, device_id, data, received_at)"
        f" SELECT att_id, n, device_id, data, received_at FROM {_CHUNKS_BEFORE}"
    )
    cur.execute(f"DROP TABLE {_CHUNKS_BEFORE}")
    log.info("att_chunks re-keyed by (att_id, device_id, n): a chunk now belongs to the device that sent it")


class SqliteStore(SqlStore):
    """SQLite in WAL mode; one connection per thread that uses it (open one per worker)."""

    def __init__(self, path: Path) -> None:
        _private_file(path)
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        with self._tx() as cur:
            for statement in _DDL.format(blob="BLOB", serial="INTEGER PRIMARY KEY AUTOINCREMENT").split(";"):
                cur.execute(statement)
            columns = cur.execute("PRAGMA table_info(att_chunks)").fetchall()  # (cid, name, type, ..., pk)
            if any(c[1] == "device_id" and c[5] == 0 for c in columns):
                _rekey_chunks(cur, "BLOB")
            device_columns = {c[1] for c in cur.execute("PRAGMA table_info(devices)").fetchall()}
            if "disabled_at" not in device_columns:
                cur.execute("ALTER TABLE devices ADD COLUMN disabled_at DOUBLE PRECISION")
            if "kiosk_code" not in device_columns:  # a database from before tickets carried the kiosk code
                cur.execute(_ADD_KIOSK_CODE)
        for suffix in ("-wal", "-shm"):  # SQLite gives them the database's mode; older ones may be 0644
            _private_file(path.with_name(path.name + suffix), create=False)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    def close(self) -> None:
        self.conn.close()


class PostgresStore(SqlStore):
    """PostgreSQL through psycopg 3; ``schema`` keeps the tables in their own schema."""

    placeholder = "%s"

    def __init__(self, conninfo: str, schema: str = "") -> None:
        import psycopg

        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.schema = schema
        if schema:
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
                raise ValueError(f"schema {schema!r}: use lower-case letters, digits and '_'")
            self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            self.conn.execute(f"SET search_path TO {schema}")
        with self._tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(4242)")  # two receivers starting together
            for statement in _DDL.format(blob="BYTEA", serial="BIGSERIAL PRIMARY KEY").split(";"):
                cur.execute(statement)
            cur.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'att_chunks'::regclass AND i.indisprimary"
            )
            if "device_id" not in {r[0] for r in cur.fetchall()}:
                _rekey_chunks(cur, "BYTEA")
            cur.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = 'devices' AND column_name = 'disabled_at'"
            )
            if cur.fetchone() is None:  # a database from before devices could be disabled
                cur.execute("ALTER TABLE devices ADD COLUMN disabled_at DOUBLE PRECISION")
            cur.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = 'devices' AND column_name = 'kiosk_code'"
            )
            if cur.fetchone() is None:  # a database from before tickets carried the kiosk code
                cur.execute(_ADD_KIOSK_CODE)

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self.conn.transaction(), self.conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        self.conn.close()


def sqlite_path(url: str, default_dir: Path | None = None) -> Path | None:
    """The file of an SQLite URL (or of the default ``central.db`` in ``default_dir``); None for other databases."""
    if not url:
        return (default_dir or Path.cwd()) / "central.db"
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return Path(parsed.path if parsed.netloc == "" else parsed.netloc + parsed.path)
    return None


def open_store(url: str, default_dir: Path | None = None) -> CentralStore:
    """``sqlite:///PATH``, ``postgresql://...[?schema=NAME]``, or empty for ``central.db`` in ``default_dir``."""
    path = sqlite_path(url, default_dir)
    if path is not None:
        return SqliteStore(path)
    parsed = urlparse(url)
    if parsed.scheme in ("postgresql", "postgres"):
        query = dict(parse_qsl(parsed.query))
        schema = query.pop("schema", "")
        return PostgresStore(urlunparse(parsed._replace(query=urlencode(query))), schema)
    raise ValueError(f"database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
