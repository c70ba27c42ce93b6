"""Why the office refuses this kiosk, kept in the kiosk's queue database so ``kiosk outbox status`` and
``kiosk-provision selftest`` can say when and why (issue 34, finding 9).

Two kinds of refusal: the broker's (its CONNACK: ``Not authorized``, ``Bad user name or password``: the office's
broker does not know this kiosk's user) and the office's (the receiver's rejection in an ack: ``unknown_device``,
``device_disabled``, ``bad_signature``: the office has no record of the kiosk, disabled it, or holds another key).
The last one is stored under the ``office_refusal`` key of the queue's ``meta`` table; a successful connect clears
a broker refusal, and an ack accepting a request clears either. Rejections of one request (a malformed or replayed
envelope) are not about the kiosk: they quarantine that request and are not stored here.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

META_KEY = "office_refusal"
BROKER, OFFICE = "broker", "office"

DEVICE_REASONS = {
    "unknown_device": "the office has not imported this kiosk's record; send it the QR from "
    "'kiosk-provision register'",
    "device_disabled": "the office disabled this kiosk; ask it to run 'kiosk-central devices enable DEVICE' if "
    "that was not meant",
    "bad_signature": "the office holds another key for this kiosk (a new SD card or re-made keys?); send it the "
    "record from 'kiosk-provision register' to import with --replace",
}
"""Rejections that refuse the kiosk itself, with what to do."""
BROKER_FIX = (
    "the office's broker does not know this kiosk's user or password; the office must add its .passwd file "
    "('kiosk-provision broker-config --devices DIR') and reload mosquitto"
)


@dataclass(frozen=True)
class Refusal:
    reason: str
    """The broker's CONNACK reason (``Not authorized``) or the office's rejection (``unknown_device``)."""
    at: float
    """When the kiosk heard it (its wall clock, seconds since the epoch)."""
    source: str
    """``broker`` or ``office``."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Refusal | None:
        try:
            data = json.loads(text or "")
            return cls(str(data["reason"]), float(data["at"]), str(data["source"]))
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def fix(self) -> str:
        if self.source == BROKER:
            return BROKER_FIX
        return DEVICE_REASONS.get(self.reason, "ask the office what it refuses")

    def describe(self, zone: str) -> str:
        """``office refused this kiosk at 2026-12-07 10:42 WITA: unknown_device - the office has not ...``."""
        when = dt.datetime.fromtimestamp(self.at, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
        who = (
            "the office's broker refused this kiosk" if self.source == BROKER else "office refused this kiosk"
        )
        return f"{who} at {when}: {self.reason} - {self.fix}"


def read_refusal(queue: Path) -> Refusal | None:
    """The stored refusal, read-only (the uploader may be writing): None when there is none or no queue yet."""
    if not queue.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{queue}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return Refusal.from_json(row[0]) if row else None
