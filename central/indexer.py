"""Turns each request the receiver stored into a case: office and SLA due date from the catalog, village from the
device registry, and the NIK's keyed blind index (the NIK itself is never stored in clear).

It runs beside the receiver's hot path, never inside its transaction: a thread of ``kiosk-central web`` (and of
``serve``) picks up requests that have no case yet, oldest first, every second. Without the office private key the
case is still made (so the request shows in the inbox) but without a NIK index; it is filled in once the key is back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from nacl.public import PrivateKey

from central.db import Database, is_database_error
from central.office_keys import nik_index
from layanan.calendar import Calendar
from layanan.domain.catalog import Catalog
from layanan.security.crypto import unseal

log = logging.getLogger(__name__)
BATCH = 500


class Indexer:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        calendar: Calendar,
        key: Callable[[], list[PrivateKey] | None],
        nik_secret: bytes | None,
        tz: str = "Asia/Jakarta",
    ) -> None:
        self.db, self.catalog, self.calendar = db, catalog, calendar
        self._key, self._secret = key, nik_secret
        self.tz = ZoneInfo(tz)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.indexed = 0
        self._since = 0.0
        """Requests received before this were all seen (less a margin for batches committed late)."""

    def due_date(self, service_id: str, received_at: float) -> str:
        svc = self.catalog.services.get(service_id)
        day = dt.datetime.fromtimestamp(received_at, self.tz).date()
        return self.calendar.add_working_days(day, svc.sla_days if svc else 5).isoformat()

    def _nik_index(self, key: list[PrivateKey] | None, sealed: bytes) -> tuple[str | None, int]:
        if key is None or self._secret is None:
            return None, 0
        try:
            personal = json.loads(unseal(bytes(sealed), key))
        except ValueError:
            return None, -1  # sealed to another key: the request page says so
        nik = str(personal.get("fields", {}).get("nik", ""))
        return (nik_index(self._secret, nik) if nik else None), 1

    def run_once(self, full: bool = False) -> int:
        """Make cases for requests that have none (up to BATCH); the number made. Normally only requests received
        since the last look (less a margin) are searched; ``full`` searches them all (a periodic sweep catches a
        request stored with an older receive time, e.g. by a receiver whose clock is behind)."""
        rows = self.db.query(
            "SELECT r.msg_id, r.device_id, r.ticket, r.service_id, r.received_at, r.sealed,"
            " COALESCE(d.village_code, '') FROM requests r LEFT JOIN cases c ON c.msg_id = r.msg_id"
            " LEFT JOIN devices d ON d.device_id = r.device_id WHERE c.msg_id IS NULL AND r.received_at >= ?"
            " ORDER BY r.received_at LIMIT ?",
            (0.0 if full else max(0.0, self._since - 300.0), BATCH),
        )
        key = self._key() if rows else None
        made = 0
        with self.db.tx() as cur:
            for msg_id, device_id, ticket, service_id, received_at, sealed, village in rows:
                svc = self.catalog.services.get(service_id)
                index, opened = self._nik_index(key, sealed)
                cur.execute(
                    "INSERT INTO cases (msg_id, device_id, ticket, service_id, office, village_code, received_at,"
                    " due_date, state, state_at, nik_index, opened) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'diterima', ?, ?, ?)"
                    " ON CONFLICT (msg_id) DO NOTHING",
                    (
                        msg_id,
                        device_id,
                        ticket,
                        service_id,
                        svc.office if svc else "",
                        village,
                        received_at,
                        self.due_date(service_id, received_at),
                        received_at,
                        index,
                        opened,
                    ),
                )
                made += cur.rowcount
        self.indexed += made
        if len(rows) < BATCH:
            newest = self.db.one("SELECT MAX(received_at) FROM requests")
            self._since = max(self._since, float(newest[0] or 0.0) if newest else 0.0)
        else:
            self._since = max(self._since, float(rows[-1][4]))
        if made:
            log.info("indexer: %d new requests in the inbox", made)
        return made

    def backfill(self) -> int:
        """NIK indexes of cases made while the office key was missing."""
        key = self._key()
        if key is None or self._secret is None:
            return 0
        rows = self.db.query(
            "SELECT c.msg_id, r.sealed FROM cases c JOIN requests r ON r.msg_id = c.msg_id WHERE c.opened = 0 LIMIT ?",
            (BATCH,),
        )
        with self.db.tx() as cur:
            for msg_id, sealed in rows:
                index, opened = self._nik_index(key, sealed)
                cur.execute(
                    "UPDATE cases SET nik_index = ?, opened = ? WHERE msg_id = ?", (index, opened, msg_id)
                )
        return len(rows)

    def start(self, every_s: float = 1.0) -> Indexer:
        self._thread = threading.Thread(target=self._loop, args=(every_s,), name="indexer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self, every_s: float) -> None:
        last_sweep = time.monotonic()
        while not self._stop.is_set():
            try:
                while self.run_once() == BATCH and not self._stop.is_set():
                    pass
                if time.monotonic() - last_sweep > 600:
                    last_sweep = time.monotonic()
                    while self.run_once(full=True) == BATCH and not self._stop.is_set():
                        pass
                    self.backfill()
                    # the fleet's charts show 7 days; a month of history is plenty
                    self.db.execute(
                        "DELETE FROM telemetry_log WHERE received_at < ?", (time.time() - 30 * 86400,)
                    )
            except Exception as exc:  # noqa: BLE001 - the database may be down: try again later
                if not is_database_error(exc):
                    log.exception("indexer failed; trying again")
                else:
                    log.warning("indexer: database not reachable (%s); trying again", type(exc).__name__)
            self._stop.wait(every_s)
