"""The uploader: sends queued requests to central over MQTT and marks them done only on central's ack.

One worker thread owns the queue database connection; paho's network thread only turns callbacks into events on a
``queue.Queue``. Per turn the worker applies acks, rejections and status updates in one batched write each, moves
requests whose ack is overdue back to pending with backoff, and fills the in-flight window oldest first.

MQTT QoS 1 is not the guarantee (paho's session lives in memory); the application ack is. Every resend is the same
signed bytes, so central's de-duplication makes resending harmless.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

import kiosk
from kiosk.outbox.refusal import BROKER, DEVICE_REASONS, META_KEY, OFFICE, Refusal
from kiosk.outbox.retry import backoff
from kiosk.outbox.store import LocalQueue, OutgoingRow
from kiosk.outbox.versions import collect_versions
from layanan.config import Settings
from layanan.domain.envelope import (
    Ack,
    AttachmentRef,
    Body,
    Envelope,
    EnvelopeError,
    StatusUpdate,
    Telemetry,
    UpdateAck,
    topic,
)
from layanan.link import connect_async, make_client, set_nodelay
from layanan.security.crypto import KeyFileError, load_office_verify_key, verify

log = logging.getLogger(__name__)

Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class UploaderState:
    """What the kiosk UI or the daemon can show about the link."""

    connected: bool
    in_flight: int
    sent: int
    acked: int


def build_envelope(
    row: OutgoingRow, device_id: str, signer: Signer, attachments: Sequence[tuple[str, int, int, str]] = ()
) -> Envelope:
    """The envelope of a stored request (same row, same bytes: resends are identical)."""
    refs = tuple(AttachmentRef(*a) for a in attachments)
    body = Body(row.service_id, row.ticket, row.lang, row.sealed, refs)
    return Envelope(row.msg_id, device_id, row.seq, int(row.created_at * 1000), body).signed(signer)


class Uploader:
    """Drains the local queue to central. ``start()``/``stop()`` inside the app; ``run(stop_event)`` as a daemon."""

    def __init__(
        self,
        settings: Settings,
        queue_path: Path,
        signer: Signer,
        public_key_hex: str = "",
        clock: Callable[[], float] = time.time,
        window: int | None = None,
        office_key: bytes | None = None,
    ) -> None:
        """``office_key``: the office's Ed25519 public key (raw); by default the one pinned in the device's keys
        folder (``central_verify.key``). Without it the uploader sends nothing: it could not tell central's acks
        from forged ones, and the requests stay safely queued. ``key_problem`` then says what to do."""
        self.settings = settings
        self.key_problem = ""
        if office_key is None:
            try:
                office_key = load_office_verify_key(settings.data_dir / "keys")
            except KeyFileError as exc:
                self.key_problem = str(exc)
        self._office_key = office_key or b""
        self.refused_from_central = 0
        """Acks and status updates ignored because they are not signed by the office for this device."""
        self._last_refusal_log = -1e9
        self.device_id = settings.kiosk.device_id
        self.queue_path = queue_path
        self._sign = signer
        self._public_hex = public_key_hex
        self._clock = clock
        self.window = window or settings.outbox.max_in_flight
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = False
        self._in_flight: dict[str, float] = {}  # msg_id -> ack deadline
        self._sends: dict[str, int] = {}
        self._chunks_in_flight: dict[tuple[str, int], float] = {}  # (att_id, n) -> ack deadline
        self.chunk_window = 4
        self.chunks_acked = 0
        self.chunks_sent = 0
        self._next_tel = 0.0
        self._last_tel = -1e9
        self.last_refusal = ""
        """Why the broker last refused the connection (bad credentials, not authorised), for the staff view."""
        self._refusal: Refusal | None = None
        """The refusal stored in the queue (kiosk/outbox/refusal.py): written only when it changes."""
        self.chunk_sends: Counter[tuple[str, int]] = Counter()
        """Sends per (attachment, chunk): shows that a chunk acknowledged once is never sent again."""
        self.sent = 0
        self.acked = 0
        self.bytes_sent = 0
        self._client: mqtt.Client | None = None

    # --- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> Uploader:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="uploader", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._events.put(("wake", None))
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def state(self) -> UploaderState:
        return UploaderState(self._connected, len(self._in_flight), self.sent, self.acked)

    def run(self, stop: threading.Event) -> None:
        """The worker loop; returns when ``stop`` is set."""
        if self.key_problem:
            log.error("uploader not started: %s; the requests stay queued", self.key_problem)
            stop.wait()
            return
        store = LocalQueue(self.queue_path, seal=_no_seal, clock=self._clock)
        self._refusal = Refusal.from_json(store.get_meta(META_KEY))
        recovered = store.recover()
        if recovered:
            log.info("uploader: %d requests were in flight before the restart; sending them again", recovered)
        client = self._make_client()
        self._client = client
        client.loop_start()
        try:
            while not stop.is_set():
                self._turn(store, client)
        finally:
            if self._connected:
                info = client.publish(topic(self.device_id, "status"), b"offline", qos=1, retain=True)
                _wait(info, 2.0)
            client.disconnect()
            client.loop_stop()
            store.close()
            self._connected = False

    # --- one turn of the worker ----------------------------------------------------------------------------------

    def _turn(self, store: LocalQueue, client: mqtt.Client) -> None:
        busy = (self._in_flight or self._chunks_in_flight) and self._connected
        events = self._drain(timeout=0.05 if busy else 0.2)
        acked: set[str] = set()
        chunks_acked: set[tuple[str, int]] = set()
        rejected: list[tuple[str, str, float]] = []
        now = self._clock()  # wall clock: stored retry times (the device may boot with a wrong clock)
        mono = time.monotonic()  # ack deadlines and telemetry timing: immune to clock corrections
        for kind, payload in events:
            if kind == "connected":
                self._on_connected_event(store)
                if self._refusal is not None and self._refusal.source == BROKER:
                    self._note_refusal(store, None)
            elif kind == "refused":
                self._note_refusal(store, Refusal(payload, now, BROKER))
            elif kind == "disconnected":
                self._connected = False
            elif kind == "ack":
                acked.update(payload.ids)
                chunks_acked.update(payload.chunks)
                if payload.ids and self._refusal is not None:  # the office accepts this kiosk again
                    self._note_refusal(store, None)
                for rej in payload.rejected:
                    if rej.msg_id in acked:
                        continue
                    tries = self._sends.get(rej.msg_id, 1)
                    delay = backoff(
                        tries, self.settings.outbox.retry_base_s, self.settings.outbox.retry_max_s
                    )
                    rejected.append((rej.msg_id, rej.reason, now + delay))
                    if rej.reason == "unknown_device":
                        self._next_tel = (
                            0.0  # a central that trusts on first use learns the key from telemetry
                        )
                    log.warning("central rejected msg_id=%s: %s", rej.msg_id, rej.reason)
                    if rej.reason in DEVICE_REASONS and not payload.ids:
                        self._note_refusal(store, Refusal(rej.reason, now, OFFICE))
            elif kind == "upd" and store.set_status(payload.msg_id, payload.status):
                log.info("status of ticket %s: %s", payload.ticket, payload.status)
                # stored: tell central, which resends the update until it hears this
                ack = UpdateAck(payload.msg_id, payload.status).to_bytes()
                client.publish(topic(self.device_id, "updack"), ack, qos=1)
        if acked:
            self.acked += store.mark_acked(acked, now)
            for msg_id in acked:
                self._in_flight.pop(msg_id, None)
                self._sends.pop(msg_id, None)
            if not self._in_flight:  # the backlog drained: tell central soon (at most every 10 s)
                self._next_tel = min(self._next_tel, max(mono, self._last_tel + 10.0))
        if chunks_acked:
            self.chunks_acked += store.mark_chunks_acked(chunks_acked)
            for pair in chunks_acked:
                self._chunks_in_flight.pop(pair, None)
        for pair in [p for p, deadline in self._chunks_in_flight.items() if deadline <= mono]:
            del self._chunks_in_flight[pair]  # not acked in time: it is due again
        if rejected:
            store.reject(rejected, self.settings.outbox.max_tries)
            for msg_id, _, _ in rejected:
                self._in_flight.pop(msg_id, None)
        overdue = [m for m, deadline in self._in_flight.items() if deadline <= mono]
        if overdue:
            items = []
            for msg_id in overdue:
                del self._in_flight[msg_id]
                sends = self._sends.get(msg_id, 1)
                items.append(
                    (
                        msg_id,
                        now
                        + backoff(
                            sends - 1, self.settings.outbox.retry_base_s, self.settings.outbox.retry_max_s
                        ),
                    )
                )
            store.reschedule(items)
            log.info(
                "no ack within %.0f s for %d requests; will send again",
                self.settings.outbox.ack_timeout_s,
                len(items),
            )
        if self._connected:
            if mono >= self._next_tel:  # first thing after a connect: central may register the device from it
                self._send_telemetry(store, client)
                self._last_tel = mono
                self._next_tel = mono + self.settings.outbox.telemetry_s
            self._fill_window(store, client, now, mono)

    def _note_refusal(self, store: LocalQueue, refusal: Refusal | None) -> None:
        """Store the office's (or its broker's) refusal of this kiosk, or clear it; a repeat of the same reason
        is not written again (the SD card)."""
        if (refusal and (refusal.reason, refusal.source)) == (
            self._refusal and (self._refusal.reason, self._refusal.source)
        ):
            return
        self._refusal = refusal
        store.set_meta(META_KEY, refusal.to_json() if refusal else "")

    def _on_connected_event(self, store: LocalQueue) -> None:
        self._connected = True
        self._next_tel = 0.0
        self._chunks_in_flight.clear()
        if self._in_flight:
            # whatever was in flight may have been lost with the old connection: send it again now
            store.reschedule([(m, 0.0) for m in self._in_flight])
            self._in_flight.clear()

    def _fill_window(self, store: LocalQueue, client: mqtt.Client, now: float, mono: float) -> None:
        self._fill_chunks(store, client, mono)
        room = self.window - len(self._in_flight)
        if room <= 0:
            return
        # a retry time further ahead than any backoff can reach was set under a wrong clock: it is due now
        horizon = now + self.settings.outbox.retry_max_s + self.settings.outbox.ack_timeout_s
        rows = store.due(room, now, exclude=self._in_flight.keys(), horizon=horizon)
        if not rows:
            return
        deadline = mono + self.settings.outbox.ack_timeout_s
        req_topic = topic(self.device_id, "req")
        with_files = [r.msg_id for r in rows if r.attachments]
        refs = store.attachment_refs(with_files) if with_files else {}
        for row in rows:
            payload = build_envelope(row, self.device_id, self._sign, refs.get(row.msg_id, ())).to_bytes()
            client.publish(req_topic, payload, qos=1)
            self._in_flight[row.msg_id] = deadline
            self._sends[row.msg_id] = row.sends + 1
            self.bytes_sent += len(payload)
        self.sent += len(rows)
        store.mark_in_flight([r.msg_id for r in rows])

    def _fill_chunks(self, store: LocalQueue, client: mqtt.Client, mono: float) -> None:
        """Attachment chunks not yet acknowledged; after a drop only those are sent again."""
        room = self.chunk_window - len(self._chunks_in_flight)
        if room <= 0:
            return
        deadline = mono + self.settings.outbox.ack_timeout_s
        for _msg_id, att_id, n, data in store.due_chunks(room, exclude=self._chunks_in_flight.keys()):
            client.publish(topic(self.device_id, "att", att_id, n), data, qos=1)
            self._chunks_in_flight[(att_id, n)] = deadline
            self.chunks_sent += 1
            self.chunk_sends[(att_id, n)] += 1

    def _drain(self, timeout: float) -> list[tuple[str, Any]]:
        try:
            events = [self._events.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(events) < 10000:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                break
        return events

    def _send_telemetry(self, store: LocalQueue, client: mqtt.Client) -> None:
        tel = collect_telemetry(store, self.settings.data_dir, self._clock(), self._public_hex, self.settings)
        client.publish(topic(self.device_id, "tel"), tel.to_bytes(), qos=0)

    # --- paho side (network thread) --------------------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        status = topic(self.device_id, "status")
        client, address = make_client(
            f"kiosk-{self.device_id}",
            self.settings.kiosk.broker_url,
            self.settings.mqtt,
            will=(status, b"offline"),
            max_inflight=max(20, self.window),
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        connect_async(client, address, self.settings.mqtt)
        return client

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            self.last_refusal = str(reason)
            self._events.put(("refused", str(reason)))
            return
        set_nodelay(client)
        client.subscribe([(topic(self.device_id, "ack"), 1), (topic(self.device_id, "upd"), 1)])
        client.publish(topic(self.device_id, "status"), b"online", qos=1, retain=True)
        log.info("connected to %s", self.settings.kiosk.broker_url)
        self._events.put(("connected", None))

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        log.info("disconnected from the broker (%s); reconnecting", reason)
        self._events.put(("disconnected", None))

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        """Acks and status updates count only when the office signed them for this device."""
        kind = msg.topic.rsplit("/", 1)[-1]
        try:
            message: Ack | StatusUpdate
            if kind == "ack":
                message = Ack.from_bytes(bytes(msg.payload))
            elif kind == "upd":
                message = StatusUpdate.from_bytes(bytes(msg.payload))
            else:
                return
        except EnvelopeError as exc:
            log.warning("ignored a bad %s message from central: %s", kind, exc)
            return
        if not message.verify(self.device_id, self._from_office):
            self.refused_from_central += 1
            now = time.monotonic()
            if now - self._last_refusal_log > 60:  # a flood of forgeries must not flood the log
                self._last_refusal_log = now
                log.warning(
                    "ignored an %s not signed by the office key pinned on this kiosk (%d so far): forged, or the "
                    "office has a new signing key (re-pin it: kiosk-provision keys --central-verify FILE --repin)",
                    kind,
                    self.refused_from_central,
                )
            return
        self._events.put((kind, message))

    def _from_office(self, message: bytes, signature: bytes) -> bool:
        return verify(message, signature, self._office_key)


def collect_telemetry(
    store: LocalQueue, data_dir: Path, now: float, public_hex: str = "", settings: Settings | None = None
) -> Telemetry:
    """The kiosk's health; ``versions`` names the software, catalog and models (kiosk/outbox/versions.py)."""
    stats = store.stats()
    try:
        disk_free = shutil.disk_usage(data_dir if data_dir.exists() else store.path.parent).free // (
            1024 * 1024
        )
    except OSError:
        disk_free = -1
    versions = collect_versions(settings) if settings is not None else {"sw": kiosk.__version__}
    return Telemetry(
        queue_depth=stats.depth,
        oldest_pending_s=None
        if stats.oldest_pending_at is None
        else round(max(0.0, now - stats.oldest_pending_at), 1),
        last_sync_ms=None if stats.last_sync_at is None else int(stats.last_sync_at * 1000),
        disk_free_mb=int(disk_free),
        versions=versions,
        quarantined=stats.quarantined,
        public_key=public_hex,
    )


def _no_seal(data: bytes) -> bytes:
    raise RuntimeError("the uploader never enqueues")


def _wait(info: mqtt.MQTTMessageInfo, timeout: float) -> None:
    with contextlib.suppress(RuntimeError, ValueError):
        info.wait_for_publish(timeout)
