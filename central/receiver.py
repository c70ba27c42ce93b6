"""The central receiver: validate, store, then acknowledge; dead-letter every bad message and keep serving.

paho's network thread only queues messages (in a bounded inbox: when it is full, paho waits and the broker keeps the
rest). The worker takes what has arrived (up to ``max_batch``), validates each message into a request or a dead
letter, commits the batch in one transaction, and only then publishes one ack per device, signed with the office
key, listing the committed msg ids (new and duplicates) and the rejected ones. A crash between commit and ack only
means the kiosk resends and central answers "duplicate" with the same ack. A batch the database refuses for
something in it is committed again item by item, so one bad message never holds up good ones. The MQTT session ends
with the connection, so a dead receiver strands no share of the shared subscription.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import re
import secrets
import socket
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from central.broker_help import ProblemLog
from central.lookup import TicketResponder
from central.store import CONFLICT, REFUSED, CentralStore, Chunk, DeadLetter, Device, StoredRequest
from layanan.config import MqttSettings
from layanan.domain.envelope import (
    MAX_ATTACHMENT_CHUNKS,
    MAX_CHUNK_BYTES,
    Ack,
    Envelope,
    EnvelopeError,
    Rejection,
    Telemetry,
    parse_topic,
    topic,
)
from layanan.link import connect_async, make_client, problem_of_refusal, set_nodelay, watch_connect_failures
from layanan.security.crypto import verify

log = logging.getLogger(__name__)

_FIELD_REASONS = {"json": "malformed", "size": "oversized"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


UNSTORABLE = "unstorable"
"""Dead-letter reason (and rejection) of an item the database refused although it passed validation."""


def _is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) or type(exc).__module__.split(".")[0] == "psycopg"


def _database_down(exc: BaseException) -> bool:
    """The database cannot be used right now (server gone, connection cut, disk full, locked): not a bad message.

    The batch is then dropped unacknowledged and the kiosks resend it. Any other failure (a value the database
    refuses) is the fault of one item, which is found by committing the batch item by item."""
    return _is_database_error(exc) and any(
        c.__name__ in ("OperationalError", "InterfaceError") for c in type(exc).__mro__
    )


def _describe(exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"the database refused it: {type(exc).__name__}: {first}"[:300]


def reason_for(exc: EnvelopeError) -> str:
    """Dead-letter reason code of a parse error."""
    if exc.field == "v" and exc.problem.startswith("unknown schema"):
        return "schema"
    return _FIELD_REASONS.get(exc.field, "invalid")


@dataclass(frozen=True)
class Incoming:
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


def unique_client_id(prefix: str = "kiosk-central") -> str:
    """A client id no other receiver has, on this host or another: two receivers sharing one would take the
    session from each other at every connect."""
    return f"{prefix}-{socket.gethostname()[:24]}-{secrets.token_hex(4)}"


@dataclass
class ReceiverOptions:
    group: str = "central"
    client_id: str = field(default_factory=unique_client_id)
    session_expiry_s: int = 0
    """0: the session ends with the connection, so a dead receiver stops getting a share of the shared subscription
    at once (what it held is resent by the kiosks). A persistent session would strand its share until it expires."""
    max_payload: int = 16384
    auto_register: bool = False
    max_batch: int = 1000
    inbox_size: int = 5000
    """Messages received and not yet validated, at most; when the database stalls, the network thread waits for
    room, so the broker (which keeps the rest) and TCP hold the backlog instead of this process's memory."""
    orphan_chunk_s: float = 3 * 86400.0
    """Chunks that no request has declared after this long are dropped (``central.orphan_chunk_s``)."""
    registry_ttl_s: float = 5.0
    """A device's registry entry is read again after this long: a new key or a disabled kiosk takes effect within
    it, in every running receiver."""
    crash_after_commits: int = 0
    """Fault injection for tests: exit the process right after this many commits, before their acks."""
    time_zone: str = "Asia/Jakarta"
    """The office's time zone: the day a ticket was received, in answers to kiosks' ticket questions."""


class Receiver:
    """Subscribes with a shared subscription and stores what arrives; ``start()``/``stop()`` or ``run(stop)``."""

    def __init__(
        self,
        broker_url: str,
        store_factory: Callable[[], CentralStore],
        mqtt_settings: MqttSettings,
        options: ReceiverOptions | None = None,
        clock: Callable[[], float] = time.time,
        *,
        signer: Callable[[bytes], bytes],
    ) -> None:
        """``signer`` signs acks with the office key (``central_signing.key``); kiosks ignore unsigned acks."""
        self.broker_url = broker_url
        self._sign = signer
        self._store_factory = store_factory
        self.mqtt_settings = mqtt_settings
        self.options = options or ReceiverOptions()
        self._clock = clock
        self._inbox: queue.Queue[Incoming] = queue.Queue(maxsize=self.options.inbox_size)
        self._held = 0
        self._held_lock = threading.Lock()
        self.held_peak = 0
        """Most messages this receiver held at once (received, not yet committed or dropped)."""
        self._serving = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._devices: dict[str, tuple[Device | None, float]] = {}  # device id -> (entry, re-read after)
        self._refused_ids: set[str] = set()
        self._commits = 0
        self.stored = 0
        self.dead = 0
        self.chunks_expired = 0
        self.telemetry_refused = 0
        """Telemetry from ids not in the registry (or disabled): counted and dropped, never stored."""
        self.ready = threading.Event()
        self._problems = ProblemLog(log, mqtt_settings, broker_url)
        """Why the broker cannot be reached or refuses us, said once per cause with the file and the fix."""
        self.responder = TicketResponder(store_factory, signer, self.options.time_zone)
        """Answers kiosks' ticket questions (``ask``) on a thread of its own (:mod:`central.lookup`)."""

    def start(self) -> Receiver:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self, stop: threading.Event) -> None:
        """Validate on this thread while a second one commits and acknowledges: signature checks overlap the
        fsync of the previous batch, and whatever was validated meanwhile goes into the next transaction."""
        lookups = self._store_factory()
        commits = self._store_factory()
        expiry = self.options.session_expiry_s
        client, address = make_client(
            self.options.client_id,
            self.broker_url,
            self.mqtt_settings,
            persistent=expiry > 0,
            protocol="5",
            max_inflight=1000,
        )
        client.on_connect = self._on_connect
        watch_connect_failures(client, self._problems.report)
        client.on_message = self._on_message
        client.on_subscribe = lambda *args: self.ready.set()  # subscribed: nothing sent from now on is missed
        connect_async(client, address, self.mqtt_settings, persistent=expiry > 0, session_expiry_s=expiry)
        self._serving.set()
        self.responder.start(lambda name, payload: client.publish(name, payload, qos=1))
        client.loop_start()
        # two validated batches wait at most: then validation waits, the inbox fills and paho's thread waits
        validated: queue.Queue[Validated | None] = queue.Queue(maxsize=2)
        committer = threading.Thread(
            target=self._commit_loop, args=(validated, commits, client), name="receiver-commit", daemon=True
        )
        committer.start()
        try:
            while not stop.is_set():
                batch = self._take(timeout=0.2)
                if not batch:
                    continue
                try:
                    work = self.validate(batch, lookups)
                except Exception:  # noqa: BLE001 - the database failed: drop the batch, the kiosks resend it
                    log.exception(
                        "validation of %d messages failed; no ack is sent, the kiosks resend", len(batch)
                    )
                    self._release(len(batch))
                    lookups = self._reopen(lookups, stop)
                    continue
                work.taken = len(batch)
                while not stop.is_set():
                    try:
                        validated.put(work, timeout=0.5)
                        break
                    except queue.Full:
                        continue
        finally:
            self._serving.clear()
            with contextlib.suppress(queue.Full):
                validated.put(None, timeout=30)
            committer.join(30)
            self.responder.stop()
            client.disconnect()
            client.loop_stop()
            lookups.close()
            commits.close()

    def _commit_loop(
        self, validated: queue.Queue[Validated | None], store: CentralStore, client: mqtt.Client
    ) -> None:
        next_expiry = 0.0
        while True:
            if time.monotonic() >= next_expiry:
                store = self._expire_orphans(store)
                next_expiry = time.monotonic() + min(60.0, self.options.orphan_chunk_s / 4)
            try:
                first = validated.get(timeout=max(0.1, next_expiry - time.monotonic()))
            except queue.Empty:
                continue
            items = [first]
            while items[-1] is not None:
                try:
                    items.append(validated.get_nowait())
                except queue.Empty:
                    break
            work = [v for v in items if v is not None]
            if work:
                merged = Validated.merge(work)
                try:
                    self.commit_and_ack(merged, store, client)
                except Exception:  # noqa: BLE001 - nothing was acked: the kiosks resend after their timeout
                    log.exception("commit failed; no ack is sent, the kiosks resend")
                    store = self._reopen(store, threading.Event())
                finally:
                    self._release(merged.taken)
            if items[-1] is None:
                return

    def _expire_orphans(self, store: CentralStore) -> CentralStore:
        """Drop chunks no request has declared within ``orphan_chunk_s`` (a kiosk's request that never came, or
        chunks sent with another kiosk's attachment id)."""
        try:
            expired = store.expire_chunks(self._clock() - self.options.orphan_chunk_s)
        except Exception as exc:  # noqa: BLE001 - the database is down; the next round tries again
            log.warning("could not expire orphan chunks (%s)", type(exc).__name__)
            return self._reopen(store, threading.Event()) if _database_down(exc) else store
        if expired:
            self.chunks_expired += expired
            log.warning(
                "dropped %d attachment chunks that no request declared within %.0f s",
                expired,
                self.options.orphan_chunk_s,
            )
        return store

    def _reopen(self, store: CentralStore, stop: threading.Event) -> CentralStore:
        """A fresh database connection after an error (PostgreSQL restarted, disk full ...), retried every 2 s."""
        with contextlib.suppress(Exception):  # the old connection may already be gone
            store.close()
        while True:
            try:
                return self._store_factory()
            except Exception as exc:  # noqa: BLE001
                log.error("database not reachable (%s); retrying in 2 s", exc)
                if stop.wait(2.0):
                    raise

    # --- paho side -----------------------------------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._problems.report(problem_of_refusal(reason))
            return
        self._problems.connected()
        set_nodelay(client)
        share = f"$share/{self.options.group}/kiosk/v1/+"
        client.subscribe(
            [(f"{share}/req", 1), (f"{share}/att/#", 1), (f"{share}/tel", 0), (f"{share}/ask", 1)]
        )
        log.info("receiver connected to %s (group %s)", self.broker_url, self.options.group)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        """Queue the message; when the inbox is full, wait for room (paho stops reading, the broker holds the rest).

        paho has already acknowledged the message to the broker at QoS 1; the application ack, after the commit,
        is what the kiosk waits for, so a message lost here is sent again by its kiosk."""
        if msg.topic.endswith("/ask"):  # a ticket question: answered apart, never behind a batch of requests
            self.responder.offer(msg.topic, bytes(msg.payload))
            return
        item = Incoming(msg.topic, bytes(msg.payload), self._clock())
        with self._held_lock:
            self._held += 1
            self.held_peak = max(self.held_peak, self._held)
        waited = False
        while True:
            try:
                self._inbox.put(item, timeout=1.0)
                return
            except queue.Full:
                if not self._serving.is_set():
                    self._release(1)
                    return
                if not waited:
                    waited = True
                    log.warning("inbox full (%d messages): waiting for the database", self.options.inbox_size)

    def _release(self, n: int) -> None:
        with self._held_lock:
            self._held -= n

    def _take(self, timeout: float) -> list[Incoming]:
        try:
            batch = [self._inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(batch) < self.options.max_batch:
            try:
                batch.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    # --- the worker ----------------------------------------------------------------------------------------------

    def handle(self, batch: list[Incoming], store: CentralStore, client: mqtt.Client) -> None:
        """Validate, commit in one transaction, then acknowledge per device (single-threaded form)."""
        self.commit_and_ack(self.validate(batch, store), store, client)

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
                if _database_down(exc):
                    raise
                if _is_database_error(exc):  # the database refused something of this message only
                    log.warning("the database refused a message on %s; dead-lettered", item.topic)
                    reason, detail = UNSTORABLE, _describe(exc)
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

    def commit_and_ack(self, work: Validated, store: CentralStore, client: mqtt.Client) -> None:
        """One transaction, then one ack per device: the ack never leaves before the commit.

        Should the database refuse the batch for something in it (not because it is down), the batch is committed
        again item by item: the item it refuses is dead-lettered as ``unstorable`` in a transaction of its own
        (and rejected, so its kiosk quarantines it), every other item is committed and acknowledged."""
        accepted, dead, rejected = work.accepted, work.dead, work.rejected
        try:
            outcomes = store.commit(accepted, dead, work.chunks) if (accepted or dead or work.chunks) else []
        except Exception as exc:
            if _database_down(exc):
                raise
            log.warning(
                "the database refused a batch of %d items (%s); committing them one by one",
                len(accepted) + len(dead) + len(work.chunks),
                type(exc).__name__,
            )
            outcomes = self._commit_one_by_one(work, store)
        self._commits += 1
        if self.options.crash_after_commits and self._commits >= self.options.crash_after_commits:
            log.warning("fault injection: exiting after commit %d, before its acks", self._commits)
            os._exit(70)
        outcomes, chunk_outcomes = outcomes[: len(accepted)], outcomes[len(accepted) :]
        acked: dict[str, list[str]] = defaultdict(list)
        for request, outcome in zip(accepted, outcomes, strict=True):
            if outcome == CONFLICT:
                rejected[request.device_id].append(Rejection(request.msg_id, "replay_conflict"))
            elif outcome == UNSTORABLE:
                rejected[request.device_id].append(Rejection(request.msg_id, UNSTORABLE))
            else:
                acked[request.device_id].append(request.msg_id)
        self.stored += sum(1 for o in outcomes if o not in (CONFLICT, UNSTORABLE))
        self.dead += len(dead) + outcomes.count(CONFLICT) + outcomes.count(UNSTORABLE)
        chunk_acks: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for chunk, outcome in zip(work.chunks, chunk_outcomes, strict=True):
            if outcome == REFUSED:  # dead-lettered: not acknowledged
                self.dead += 1
            else:
                chunk_acks[chunk.device_id].append((chunk.att_id, chunk.n))
        for device_id in set(acked) | set(rejected) | set(chunk_acks):
            ack = Ack(
                tuple(acked.get(device_id, ())),
                tuple(chunk_acks.get(device_id, ())),
                tuple(rejected.get(device_id, ())),
            )
            client.publish(topic(device_id, "ack"), ack.signed(device_id, self._sign).to_bytes(), qos=1)
        for d in dead:
            log.warning("dead letter: %s (%s) on %s", d.reason, d.detail, d.topic)

    def _commit_one_by_one(self, work: Validated, store: CentralStore) -> list[str]:
        """Commit each item of a refused batch in its own transaction; dead-letter what the database refuses.

        Returns the outcomes as ``commit`` does (``UNSTORABLE`` for a refused request, ``REFUSED`` for a refused
        chunk). A failure that means the database is down propagates: what was committed so far is simply not
        acknowledged yet, and the kiosks' resends are answered as duplicates."""
        outcomes: list[str] = []
        origins = work.origins or [
            Incoming(f"kiosk/v1/{r.device_id}/req", b"", r.received_at) for r in work.accepted
        ]
        for request, origin in zip(work.accepted, origins, strict=True):
            try:
                outcomes += store.commit([request], [])
            except Exception as exc:
                if _database_down(exc):
                    raise
                log.warning("dead letter: %s (msg_id=%s, %s)", UNSTORABLE, request.msg_id, type(exc).__name__)
                d = DeadLetter(
                    UNSTORABLE,
                    _describe(exc),
                    origin.topic,
                    origin.payload,
                    origin.received_at,
                    request.device_id,
                    request.msg_id,
                )
                self._dead_letter_alone(d, store)
                outcomes.append(UNSTORABLE)
        for chunk in work.chunks:
            try:
                outcomes += store.commit([], [], [chunk])
            except Exception as exc:
                if _database_down(exc):
                    raise
                where = topic(chunk.device_id, "att", chunk.att_id, chunk.n)
                d = DeadLetter(
                    UNSTORABLE, _describe(exc), where, chunk.data[:1024], chunk.received_at, chunk.device_id
                )
                self._dead_letter_alone(d, store)
                outcomes.append(REFUSED)
        for d in work.dead:
            self._dead_letter_alone(d, store)
        return outcomes

    def _dead_letter_alone(self, dead: DeadLetter, store: CentralStore) -> None:
        """A dead letter in its own transaction; if even that is refused, a bare one naming the reason."""
        try:
            store.commit([], [dead])
        except Exception as exc:
            if _database_down(exc):
                raise
            bare = DeadLetter(
                dead.reason,
                f"kept without its detail and payload, which the database refused ({type(exc).__name__})",
                "",
                b"",
                dead.received_at,
                "",
                "",
            )
            store.commit([], [bare])

    def _known_device(self, device_id: str, store: CentralStore) -> Device | None:
        """The registry entry (None when unknown), read again after ``registry_ttl_s``."""
        now = time.monotonic()
        cached = self._devices.get(device_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        device = store.device(device_id)
        if len(self._devices) >= 100_000:  # ids that are not registered cost a lookup each, not memory
            self._devices.clear()
        self._devices[device_id] = (device, now + self.options.registry_ttl_s)
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
            env = Envelope.from_bytes(item.payload, limit=self.options.max_payload)
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
        if device is None and not self.options.auto_register:
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
            self._devices[device_id] = (device, time.monotonic() + self.options.registry_ttl_s)
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
