"""Judging what kiosks send: each raw MQTT message becomes a request to store, a chunk, or a dead letter.

The receiver (:mod:`central.receiver`) takes messages off the broker and commits what this module decides; here a
request is parsed, matched to its topic, checked against the device registry (cached for ``registry_ttl_s``) and its
signature verified; an attachment chunk is checked for shape and size; telemetry from registered devices is stored
and from any other id counted and dropped. Nothing here talks to the broker, and no request is written here.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field

from central.store import CentralStore, Chunk, DeadLetter, Device, StoredRequest
from layanan.domain.envelope import (
    MAX_ATTACHMENT_CHUNKS,
    MAX_CHUNK_BYTES,
    Envelope,
    EnvelopeError,
    Rejection,
    Telemetry,
    parse_topic,
)
from layanan.security.crypto import verify

log = logging.getLogger(__name__)

_FIELD_REASONS = {"json": "malformed", "size": "oversized"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


UNSTORABLE = "unstorable"
"""Dead-letter reason (and rejection) of an item the database refused although it passed validation."""


def is_database_error(exc: BaseException) -> bool:
    """The error came from the database driver (sqlite3 or psycopg), not from the message's own content."""
    return isinstance(exc, sqlite3.Error) or type(exc).__module__.split(".")[0] == "psycopg"


def database_down(exc: BaseException) -> bool:
    """The database cannot be used right now (server gone, connection cut, disk full, locked): not a bad message.

    The batch is then dropped unacknowledged and the kiosks resend it. Any other failure (a value the database
    refuses) is the fault of one item, which is found by committing the batch item by item."""
    return is_database_error(exc) and any(
        c.__name__ in ("OperationalError", "InterfaceError") for c in type(exc).__mro__
    )


def describe_refusal(exc: BaseException) -> str:
    """A dead letter's detail for an item the database refused: the error's type and first line, at most 300."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"the database refused it: {type(exc).__name__}: {first}"[:300]


def reason_for(exc: EnvelopeError) -> str:
    """Dead-letter reason code of a parse error."""
    if exc.field == "v" and exc.problem.startswith("unknown schema"):
        return "schema"
    return _FIELD_REASONS.get(exc.field, "invalid")


@dataclass(frozen=True)
class Incoming:
    """One raw message as it arrived from the broker, with the receiver's clock at arrival."""

    topic: str
    payload: bytes
    received_at: float


@dataclass
class Validated:
    """One validated batch: requests to store, dead letters, and rejections per device."""

    accepted: list[StoredRequest]
    dead: list[DeadLetter]
    rejected: dict[str, list[Rejection]]
    chunks: list[Chunk] = field(default_factory=list)
    origins: list[Incoming] = field(default_factory=list)
    """The message each accepted request came from (same order), for its dead letter should the commit refuse it."""
    taken: int = 0
    """Messages taken from the inbox for this batch (for the receiver's count of messages held)."""

    @classmethod
    def merge(cls, items: list[Validated]) -> Validated:
        merged = cls([], [], defaultdict(list))
        for item in items:
            merged.accepted.extend(item.accepted)
            merged.dead.extend(item.dead)
            merged.chunks.extend(item.chunks)
            merged.origins.extend(item.origins)
            merged.taken += item.taken
            for device_id, rejections in item.rejected.items():
                merged.rejected[device_id].extend(rejections)
        return merged


class Validator:
    """Sorts batches of raw messages into a :class:`Validated`; holds the registry cache and the telemetry refusals.

    One instance serves one validating thread (the receiver's): the cache is not locked."""

    def __init__(self, *, max_payload: int, auto_register: bool, registry_ttl_s: float) -> None:
        """``max_payload``, ``auto_register`` and ``registry_ttl_s`` as in ``ReceiverOptions``."""
        self.max_payload = max_payload
        self.auto_register = auto_register
        self.registry_ttl_s = registry_ttl_s
        self._devices: dict[str, tuple[Device | None, float]] = {}  # device id -> (entry, re-read after)
        self._refused_ids: set[str] = set()
        self.telemetry_refused = 0
        """Telemetry from ids not in the registry (or disabled): counted and dropped, never stored."""

    def validate(self, batch: list[Incoming], store: CentralStore) -> Validated:
        """Turn raw messages into requests to store, dead letters and rejections (no request is written here).

        A database error propagates (the batch is dropped unacknowledged and resent by the kiosks); any other
        unexpected error dead-letters only the message that caused it, as ``internal``.
        """
        out = Validated([], [], defaultdict(list))
        for item in batch:
            try:
                device_id, kind, rest = parse_topic(item.topic)
            except EnvelopeError as exc:
                out.dead.append(DeadLetter("invalid", str(exc), item.topic, item.payload, item.received_at))
                continue
            try:
                self._validate_one(item, device_id, kind, rest, store, out)
            except Exception as exc:
                if database_down(exc):
                    raise
                if is_database_error(exc):  # the database refused something of this message only
                    log.warning("the database refused a message on %s; dead-lettered", item.topic)
                    reason, detail = UNSTORABLE, describe_refusal(exc)
                else:
                    log.exception("unexpected error on a message on %s; dead-lettered", item.topic)
                    reason, detail = "internal", f"{type(exc).__name__}: {exc}"[:300]
                out.dead.append(
                    DeadLetter(reason, detail, item.topic, item.payload, item.received_at, device_id)
                )
        return out

    def _validate_one(
        self,
        item: Incoming,
        device_id: str,
        kind: str,
        rest: tuple[str, ...],
        store: CentralStore,
        out: Validated,
    ) -> None:
        """Sort one message into ``out``: a request, a chunk, a dead letter (and a rejection when attributable)."""
        if kind == "tel":
            self._telemetry(item, device_id, store, out.dead)
        elif kind == "att":
            chunk = self._chunk(item, device_id, rest, store)
            if isinstance(chunk, Chunk):
                out.chunks.append(chunk)
            else:
                out.dead.append(chunk)
        elif kind == "req":
            result = self._request(item, device_id, store)
            if isinstance(result, StoredRequest):
                out.accepted.append(result)
                out.origins.append(item)
            else:
                out.dead.append(result)
                if result.msg_id:
                    out.rejected[device_id].append(Rejection(result.msg_id, result.reason))
        else:
            reason = f"unsupported topic kind '{kind}'"
            out.dead.append(
                DeadLetter("invalid", reason, item.topic, item.payload, item.received_at, device_id)
            )

    def _known_device(self, device_id: str, store: CentralStore) -> Device | None:
        """The registry entry (None when unknown), read again after ``registry_ttl_s``."""
        now = time.monotonic()
        cached = self._devices.get(device_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        device = store.device(device_id)
        if len(self._devices) >= 100_000:  # ids that are not registered cost a lookup each, not memory
            self._devices.clear()
        self._devices[device_id] = (device, now + self.registry_ttl_s)
        return device

    @staticmethod
    def _refusal(device_id: str, device: Device | None) -> tuple[str, str] | None:
        """Why a device's messages are refused (reason, detail), or None when it may send."""
        if device is None:
            return "unknown_device", f"device {device_id} is not in the registry; import its record"
        if device.disabled:
            return (
                "device_disabled",
                f"device {device_id} is disabled; 'kiosk-central devices enable {device_id}' admits it again",
            )
        return None

    def _request(self, item: Incoming, device_id: str, store: CentralStore) -> StoredRequest | DeadLetter:
        def dead(reason: str, detail: str, msg_id: str = "") -> DeadLetter:
            return DeadLetter(reason, detail, item.topic, item.payload, item.received_at, device_id, msg_id)

        try:
            env = Envelope.from_bytes(item.payload, limit=self.max_payload)
        except EnvelopeError as exc:
            return dead(reason_for(exc), str(exc))
        if env.device_id != device_id:
            return dead("topic_mismatch", f"envelope of device {env.device_id} on the topic of {device_id}")
        device = self._known_device(device_id, store)
        refusal = self._refusal(device_id, device)
        if refusal is not None or device is None:
            return dead(*(refusal or ("unknown_device", "")), env.msg_id)
        canonical = env.canonical_bytes()  # once: the signature and the de-duplication digest both cover it
        if not verify(canonical, env.signature, bytes.fromhex(device.public_key)):
            return dead(
                "bad_signature", "the signature does not match the device's registered key", env.msg_id
            )
        b = env.body
        return StoredRequest(
            env.msg_id,
            device_id,
            env.seq,
            b.ticket,
            b.service_id,
            b.lang,
            env.created_ms,
            item.received_at,
            hashlib.sha256(canonical).hexdigest(),
            b.sealed,
            len(b.attachments),
            att_refs=tuple((a.att_id, a.chunks, a.size, a.sha256) for a in b.attachments),
        )

    def _chunk(
        self, item: Incoming, device_id: str, rest: tuple[str, ...], store: CentralStore
    ) -> Chunk | DeadLetter:
        def dead(reason: str, detail: str) -> DeadLetter:
            return DeadLetter(reason, detail, item.topic, item.payload[:1024], item.received_at, device_id)

        if len(rest) != 2 or not _UUID.match(rest[0]) or not rest[1].isdigit() or len(rest[1]) > 5:
            return dead("invalid", "attachment topic must be kiosk/v1/DEVICE/att/ATT_ID/N")
        if int(rest[1]) >= MAX_ATTACHMENT_CHUNKS:
            return dead(
                "invalid", f"chunk {rest[1]}: an attachment has at most {MAX_ATTACHMENT_CHUNKS} chunks"
            )
        if len(item.payload) > MAX_CHUNK_BYTES:
            return dead("oversized", f"chunk of {len(item.payload)} bytes; the limit is {MAX_CHUNK_BYTES}")
        refusal = self._refusal(device_id, self._known_device(device_id, store))
        if refusal is not None:
            return dead(*refusal)
        return Chunk(rest[0], int(rest[1]), device_id, item.payload, item.received_at)

    def _telemetry(self, item: Incoming, device_id: str, store: CentralStore, dead: list[DeadLetter]) -> None:
        """Store a registered device's health; telemetry from any other id is counted and dropped (it is QoS 0
        and unsigned: dead-lettering it would let anyone with broker access fill the table)."""
        device = self._known_device(device_id, store)
        if device is None and not self.auto_register:
            self._refuse_telemetry(device_id, "is not in the registry; import its record")
            return
        try:
            tel = Telemetry.from_bytes(item.payload)
        except EnvelopeError as exc:
            dead.append(
                DeadLetter(reason_for(exc), str(exc), item.topic, item.payload, item.received_at, device_id)
            )
            return
        if device is None:  # auto_register: trust the key it sends on first use
            if not tel.public_key:
                self._refuse_telemetry(device_id, "is not in the registry and sent no key to register")
                return
            try:
                device = Device.from_record(
                    {"device_id": device_id, "public_key": tel.public_key}, item.received_at
                )
            except ValueError as exc:
                dead.append(
                    DeadLetter("invalid", str(exc), item.topic, item.payload, item.received_at, device_id)
                )
                return
            store.add_device(device)
            self._devices[device_id] = (device, time.monotonic() + self.registry_ttl_s)
            log.warning("auto-registered device %s on first use (trust on first use)", device_id)
        if device.disabled:
            self._refuse_telemetry(device_id, "is disabled")
            return
        store.save_telemetry(device_id, tel.to_dict(), item.received_at)

    def _refuse_telemetry(self, device_id: str, why: str) -> None:
        self.telemetry_refused += 1
        if (
            device_id not in self._refused_ids and len(self._refused_ids) < 1000
        ):  # once per id, not per message
            self._refused_ids.add(device_id)
            log.warning("telemetry from device %s refused: it %s", device_id, why)
