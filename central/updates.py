"""Status updates to the kiosks (``upd``) and their acknowledgements (``updack``).

``publish`` is the one way a status update leaves the office: ``kiosk-central update`` uses it once, the console's
:class:`StatusLink` uses it for every state change and resends an update the kiosk has not acknowledged (after
``central.update_resend_s``, doubling up to an hour). The kiosk answers on ``kiosk/v1/{device}/updack`` once it has
stored the status; the link (shared subscription ``$share/office-updates/...``) marks the update acknowledged and the
request page shows it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from central.broker_help import ProblemLog
from central.db import Cursor, Database
from layanan.config import MqttSettings
from layanan.domain.envelope import EnvelopeError, StatusUpdate, UpdateAck, parse_topic, topic
from layanan.link import connect_async, make_client, problem_of_refusal, watch_connect_failures

log = logging.getLogger(__name__)
NEVER = 1e18
MAX_RESEND_S = 3600.0


def publish(
    client: mqtt.Client,
    device_id: str,
    update: StatusUpdate,
    timeout: float,
    signer: Callable[[bytes], bytes],
) -> bool:
    """Publish one status update on the device's ``upd`` (QoS 1), signed with the office key (kiosks ignore
    unsigned ones); True once the broker has taken it."""
    info = client.publish(topic(device_id, "upd"), update.signed(device_id, signer).to_bytes(), qos=1)
    with contextlib.suppress(RuntimeError, ValueError):
        info.wait_for_publish(timeout)
    return info.is_published()


def connect(
    broker_url: str, mqtt_settings: MqttSettings, client_id: str, timeout: float
) -> mqtt.Client | None:
    """A started client connected to the broker, or None when it cannot be reached in ``timeout``."""
    client, address = make_client(client_id, broker_url, mqtt_settings, persistent=False, protocol="5")
    connected = threading.Event()
    problems = ProblemLog(log, mqtt_settings, broker_url)  # the file, the user and the fix, once
    watch_connect_failures(client, problems.report)

    def on_connect(c: mqtt.Client, u: Any, f: Any, reason: Any, p: Any) -> None:
        if reason.is_failure:
            problems.report(problem_of_refusal(reason))
        else:
            connected.set()

    client.on_connect = on_connect
    connect_async(client, address, mqtt_settings, persistent=False)
    client.loop_start()
    if connected.wait(timeout):
        return client
    client.loop_stop()
    return None


def enqueue(cur: Cursor, msg_id: str, device_id: str, ticket: str, state: str, text: str, now: float) -> None:
    """Record an update to send (in the state change's transaction); older unacknowledged ones are not resent."""
    cur.execute(
        "UPDATE status_updates SET next_at = ? WHERE msg_id = ? AND acked_at IS NULL", (NEVER, msg_id)
    )
    cur.execute(
        "INSERT INTO status_updates (msg_id, device_id, ticket, state, text, created_at, next_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (msg_id, device_id, ticket, state, text[:64], now, now),
    )


def latest(db: Database, msg_id: str) -> dict[str, Any] | None:
    row = db.one(
        "SELECT state, text, created_at, sends, sent_at, acked_at FROM status_updates WHERE msg_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (msg_id,),
    )
    if row is None:
        return None
    return dict(zip(("state", "text", "created_at", "sends", "sent_at", "acked_at"), row, strict=True))


def acknowledge(db: Database, ack: UpdateAck, device_id: str, now: float) -> int:
    return db.execute(
        "UPDATE status_updates SET acked_at = ? WHERE msg_id = ? AND device_id = ? AND text = ? AND acked_at IS NULL",
        (now, ack.msg_id, device_id, ack.status),
    )


class StatusLink:
    """Sends queued status updates, resends the unacknowledged ones, and records the kiosks' acks."""

    def __init__(
        self,
        db: Database,
        broker_url: str,
        mqtt_settings: MqttSettings,
        client_id: str,
        resend_s: float = 60.0,
        *,
        signer: Callable[[bytes], bytes],
    ) -> None:
        """``signer`` signs each update with the office key (``central.compose.office_signer``)."""
        self.db, self.broker_url, self.mqtt_settings = db, broker_url, mqtt_settings
        self._sign = signer
        self.client_id, self.resend_s = client_id, resend_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self.connected = False
        self.acks = 0
        self._problems = ProblemLog(log, mqtt_settings, broker_url)

    def start(self) -> StatusLink:
        # a clean session: an ack missed while the console was down is answered again after the next resend
        client, address = make_client(
            self.client_id, self.broker_url, self.mqtt_settings, persistent=False, protocol="5"
        )
        client.on_connect = self._on_connect
        watch_connect_failures(client, self._problems.report)
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        connect_async(client, address, self.mqtt_settings, persistent=False)
        client.loop_start()
        self._client = client
        self._thread = threading.Thread(target=self._loop, name="status-link", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()

    def wake(self) -> None:
        """A state change was committed: send now rather than at the next tick."""
        self._wake.set()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._problems.report(problem_of_refusal(reason))
            return
        self._problems.connected()
        client.subscribe([("$share/office-updates/kiosk/v1/+/updack", 1)])
        self.connected = True
        self._wake.set()

    def _on_disconnect(self, *args: Any) -> None:
        self.connected = False

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            device_id, kind, _ = parse_topic(msg.topic)
            if kind != "updack":
                return
            ack = UpdateAck.from_bytes(bytes(msg.payload))
            self.acks += acknowledge(self.db, ack, device_id, time.time())
        except EnvelopeError as exc:
            log.warning("ignored a bad update ack on %s: %s", msg.topic, exc)
        except Exception:  # noqa: BLE001 - the database may be down; the kiosk acks the resend later
            log.exception("could not record an update ack from %s", msg.topic)

    def send_due(self, now: float | None = None) -> int:
        """Publish every update that is due (new, or unacknowledged for too long); the number sent."""
        client = self._client
        if client is None or not self.connected:
            return 0
        now = time.time() if now is None else now
        rows = self.db.query(
            "SELECT id, msg_id, device_id, ticket, text, sends FROM status_updates"
            " WHERE acked_at IS NULL AND next_at <= ? ORDER BY next_at LIMIT 200",
            (now,),
        )
        sent = 0
        for update_id, msg_id, device_id, ticket, text, sends in rows:
            if not publish(client, device_id, StatusUpdate(msg_id, ticket, text), 5.0, self._sign):
                break
            wait = min(self.resend_s * 2 ** int(sends), MAX_RESEND_S)
            self.db.execute(
                "UPDATE status_updates SET sends = sends + 1, sent_at = ?, next_at = ? WHERE id = ? AND next_at < ?",
                (now, now + wait, update_id, NEVER),
            )
            sent += 1
        return sent

    def republish(self, topic_name: str, payload: bytes, timeout: float = 5.0) -> bool:
        """Publish a stored message on its topic again (a dead letter re-queued for the receiver)."""
        client = self._client
        if client is None or not self.connected:
            return False
        try:
            info = client.publish(topic_name, payload, qos=1)
        except ValueError:  # not a topic one can publish on (wildcards, empty)
            return False
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(timeout)
        return info.is_published()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            try:
                self.send_due()
            except Exception as exc:  # noqa: BLE001 - database down: try again on the next tick
                log.warning("status link: %s; trying again", type(exc).__name__)
