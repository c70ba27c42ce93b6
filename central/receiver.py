"""The central receiver: validate, store, then acknowledge; dead-letter every bad message and keep serving.

paho's network thread only queues messages (in a bounded inbox: when it is full, paho waits and the broker keeps the
rest). The worker takes what has arrived (up to ``max_batch``), has each message judged into a request or a dead
letter (:mod:`central.validation`), commits the batch in one transaction, and only then publishes one ack per
device, signed with the office key, listing the committed msg ids (new and duplicates) and the rejected ones. A
crash between commit and ack only means the kiosk resends and central answers "duplicate" with the same ack. A batch
the database refuses for something in it is committed again item by item, so one bad message never holds up good
ones. The MQTT session ends with the connection, so a dead receiver strands no share of the shared subscription.
Ticket questions (``ask``) bypass the batches and go to :mod:`central.lookup`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from central.broker_help import ProblemLog
from central.lookup import TicketResponder
from central.store import CONFLICT, REFUSED, CentralStore, DeadLetter
from central.validation import (
    UNSTORABLE,
    Incoming,
    Validated,
    Validator,
    database_down,
    describe_refusal,
)
from layanan.config import MqttSettings
from layanan.domain.envelope import Ack, Rejection, topic
from layanan.link import connect_async, make_client, problem_of_refusal, set_nodelay, watch_connect_failures

__all__ = ["UNSTORABLE", "Incoming", "Receiver", "ReceiverOptions", "Validated", "unique_client_id"]

log = logging.getLogger(__name__)


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
        self._commits = 0
        self.stored = 0
        self.dead = 0
        self.chunks_expired = 0
        self.validator = Validator(
            max_payload=self.options.max_payload,
            auto_register=self.options.auto_register,
            registry_ttl_s=self.options.registry_ttl_s,
        )
        """Judges each message (:mod:`central.validation`); holds the registry cache."""
        self.ready = threading.Event()
        self._problems = ProblemLog(log, mqtt_settings, broker_url)
        """Why the broker cannot be reached or refuses us, said once per cause with the file and the fix."""
        self.responder = TicketResponder(store_factory, signer, self.options.time_zone)
        """Answers kiosks' ticket questions (``ask``) on a thread of its own (:mod:`central.lookup`)."""

    @property
    def telemetry_refused(self) -> int:
        """Telemetry from ids not in the registry (or disabled): counted and dropped, never stored."""
        return self.validator.telemetry_refused

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
            return self._reopen(store, threading.Event()) if database_down(exc) else store
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
        """Turn raw messages into requests to store, dead letters and rejections (:meth:`Validator.validate`)."""
        return self.validator.validate(batch, store)

    def commit_and_ack(self, work: Validated, store: CentralStore, client: mqtt.Client) -> None:
        """One transaction, then one ack per device: the ack never leaves before the commit.

        Should the database refuse the batch for something in it (not because it is down), the batch is committed
        again item by item: the item it refuses is dead-lettered as ``unstorable`` in a transaction of its own
        (and rejected, so its kiosk quarantines it), every other item is committed and acknowledged."""
        accepted, dead, rejected = work.accepted, work.dead, work.rejected
        try:
            outcomes = store.commit(accepted, dead, work.chunks) if (accepted or dead or work.chunks) else []
        except Exception as exc:
            if database_down(exc):
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
                if database_down(exc):
                    raise
                log.warning("dead letter: %s (msg_id=%s, %s)", UNSTORABLE, request.msg_id, type(exc).__name__)
                d = DeadLetter(
                    UNSTORABLE,
                    describe_refusal(exc),
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
                if database_down(exc):
                    raise
                where = topic(chunk.device_id, "att", chunk.att_id, chunk.n)
                d = DeadLetter(
                    UNSTORABLE,
                    describe_refusal(exc),
                    where,
                    chunk.data[:1024],
                    chunk.received_at,
                    chunk.device_id,
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
            if database_down(exc):
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
