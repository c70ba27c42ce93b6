"""One bad message must not hold up good ones (issue 33, item 1), on SQLite and PostgreSQL.

A poison message either fails the schema (and is dead-lettered at once) or, should one ever get past it, fails
the commit: then the batch is retried item by item, only the bad one is dead-lettered, the rest is committed and
acknowledged.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from central.receiver import Incoming, Receiver, Validated
from central.store import DeadLetter, StoredRequest, open_store
from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from layanan.domain.envelope import Ack, Body, Envelope, topic
from layanan.domain.request import new_msg_id
from tests.support.delivery import acked_count, assert_exactly_once, office_signer, receiver, register
from tests.support.kiosk_env import Site, make_site
from tests.support.waiting import wait_until
from tools.net import Mosquitto


class AckListener:
    """A raw MQTT client that publishes bytes for one device and records the acks central sends it."""

    def __init__(self, broker_url: str, device_id: str) -> None:
        self.device_id = device_id
        self.acks: list[Ack] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"poison-{device_id}", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", int(broker_url.rsplit(":", 1)[1]))
        self.client.subscribe(topic(device_id, "ack"), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.acks.append(Ack.from_bytes(msg.payload))

    def publish(self, payload: bytes, kind: str = "req") -> None:
        self.client.publish(topic(self.device_id, kind), payload, qos=1)

    def acked(self) -> set[str]:
        with self._lock:
            return {i for a in self.acks for i in a.ids}

    def rejected(self) -> dict[str, str]:
        with self._lock:
            return {r.msg_id: r.reason for a in self.acks for r in a.rejected}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def poison_payloads(site: Site) -> list[bytes]:
    """Each of these once broke a commit batch or crashed validation (issue 33, item 1)."""
    sign = signer(device_keys(site.settings()))

    def env(seq: int, tk: str = "K-0001") -> Envelope:
        return Envelope(
            new_msg_id(), site.device_id, seq, 1_795_000_000_000, Body("ktp", tk, "id", b"x")
        ).signed(sign)

    good = json.loads(env(3).to_bytes())
    return [
        env(2**64).to_bytes(),  # validly signed, overflows BIGINT
        env(4, tk="K-\x000001").to_bytes(),  # validly signed, NUL in a text field (PostgreSQL refuses it)
        json.dumps({**good, "k\x00": 1}).encode(),  # NUL in an unknown key name: it goes into the detail
        b"[" * 8000 + b"]" * 8000,  # nested 8,000 deep
        b'{"v":1,"seq":' + b"7" * 5000 + b"}",  # a 5,000-digit integer
    ]


def test_a_flood_of_poison_beside_another_kiosks_requests_holds_none_of_them_up(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    good = make_site(tmp_path, broker.url, "desa-good-01")
    bad = make_site(tmp_path, broker.url, "desa-bad-01")
    register(good, central_db_url)
    register(bad, central_db_url)
    # a long ack timeout: a request whose batch was dropped would only come back after it, too late for the test
    settings = good.settings(outbox={"ack_timeout_s": 60.0})
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    rng = random.Random(33)
    for _ in range(400):
        q.enqueue(synthetic_request(rng))
    q.close()
    poison = poison_payloads(bad)
    rec = receiver(broker.url, central_db_url, settings).start()
    attacker = AckListener(broker.url, bad.device_id)
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            for payload in poison:
                attacker.publish(payload)
            time.sleep(0.02)

    flooder = threading.Thread(target=flood, daemon=True)
    try:
        assert rec.ready.wait(10)
        flooder.start()
        time.sleep(0.5)  # the flood is on before the good kiosk starts
        up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
        try:
            wait_until(
                lambda: acked_count(good) == 400, 45, "every good request acknowledged on its first send"
            )
        finally:
            up.stop()
        assert up.sent == 400, "a good request had to be sent again: its batch was dropped"
    finally:
        stop.set()
        flooder.join(5)
        attacker.close()
        rec.stop()
    assert assert_exactly_once(good, central_db_url) == 400
    reasons = {d.reason for d in rec_dead(central_db_url)}
    assert reasons == {"malformed", "invalid"}, reasons
    assert rec.stored == 400


def rec_dead(db_url: str) -> list[DeadLetter]:
    store = open_store(db_url)
    try:
        return store.dead_letters()
    finally:
        store.close()


def stored(msg_id: str, seq: int, ticket: str = "K-0001", device: str = "desa-good-01") -> StoredRequest:
    return StoredRequest(msg_id, device, seq, ticket, "ktp", "id", 1, 2.0, "d-" + msg_id, b"sealed")


def test_a_batch_that_fails_its_commit_is_retried_item_by_item(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    """Should a value the database refuses ever get past the schema, only its own item is lost, as a dead letter
    written in a transaction of its own; the others are committed and acknowledged."""
    listener = AckListener(broker.url, "desa-good-01")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="central-poison", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    store = open_store(central_db_url)
    settings = make_site(tmp_path, broker.url).settings()
    rec = Receiver(
        broker.url, lambda: open_store(central_db_url), settings.mqtt, signer=office_signer(settings)
    )
    try:
        ids = [new_msg_id() for _ in range(4)]
        work = Validated(
            [stored(ids[0], 1), stored(ids[1], 2**64), stored(ids[2], 3, ticket="K-\x00"), stored(ids[3], 4)],
            [
                DeadLetter(
                    "invalid", "b.tk: bad\x00detail", "kiosk/v1/desa-good-01/req", b"{}", 1.0, "desa-good-01"
                )
            ],
            defaultdict(list),
        )
        rec.commit_and_ack(work, store, client)
        stored_ids = {r.msg_id for r in store.requests()}
        bad = {ids[1]} | ({ids[2]} if central_db_url.startswith("postgresql") else set())
        assert stored_ids == set(ids) - bad
        wait_until(lambda: listener.acked() == stored_ids, 10, "the good requests acknowledged")
        wait_until(lambda: set(listener.rejected()) == bad, 10, "the bad ones rejected")
        dead = store.dead_letters()
        assert sorted(d.reason for d in dead) == sorted(["invalid", *["unstorable"] * len(bad)])
        assert {d.msg_id for d in dead if d.reason == "unstorable"} == bad
        assert all("\x00" not in d.detail for d in dead)
    finally:
        store.close()
        listener.close()
        client.loop_stop()
        client.disconnect()


def test_deep_json_and_huge_integers_are_dead_lettered_as_malformed(
    tmp_path: Path, central_db_url: str
) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    register(site, central_db_url)
    store = open_store(central_db_url)
    settings = site.settings()
    rec = Receiver("mqtt://127.0.0.1:1", lambda: store, settings.mqtt, signer=office_signer(settings))
    try:
        where = topic(site.device_id, "req")
        batch = [Incoming(where, p, 1.0) for p in poison_payloads(site)[3:]]
        tel = [b"[" * 4000 + b"]" * 4000, b'{"v":1,"q":' + b"7" * 5000 + b"}"]  # under telemetry's 8 KB limit
        batch += [Incoming(topic(site.device_id, "tel"), p, 1.0) for p in tel]
        out = rec.validate(batch, store)
        assert [d.reason for d in out.dead] == ["malformed"] * 4
    finally:
        store.close()
