"""The receiver against a real Mosquitto and both databases: bad messages are dead-lettered, serving goes on."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from nacl.signing import SigningKey
from paho.mqtt.enums import CallbackAPIVersion

from central.store import open_store
from kiosk.outbox.wiring import device_keys, signer
from layanan.domain.envelope import Ack, Body, Envelope, topic
from layanan.domain.request import new_msg_id
from layanan.security.crypto import sign
from tests.support.delivery import office_signer, receiver, register
from tests.support.kiosk_env import Site, make_site
from tests.support.waiting import wait_until
from tools.net import Mosquitto


class FakeKiosk:
    """A raw MQTT client that publishes whatever bytes a test wants and records the acks it gets."""

    def __init__(self, broker_url: str, device_id: str) -> None:
        self.device_id = device_id
        self.acks: list[Ack] = []
        self._lock = threading.Lock()
        port = int(broker_url.rsplit(":", 1)[1])
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"fake-{device_id}", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic(device_id, "ack"), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.acks.append(Ack.from_bytes(msg.payload))

    def publish(self, payload: bytes, kind: str = "req", device_id: str | None = None) -> None:
        self.client.publish(topic(device_id or self.device_id, kind), payload, qos=1).wait_for_publish(5)

    def acked(self) -> set[str]:
        with self._lock:
            return {i for a in self.acks for i in a.ids}

    def rejected(self) -> dict[str, str]:
        with self._lock:
            return {r.msg_id: r.reason for a in self.acks for r in a.rejected}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def envelope(site: Site, seq: int, msg_id: str | None = None, svc: str = "ktp") -> Envelope:
    keys = device_keys(site.settings())
    body = Body(svc, f"K-{seq:04d}", "id", b"sealed-bytes-" + bytes([seq % 256]))
    return Envelope(msg_id or new_msg_id(), site.device_id, seq, 1_795_000_000_000, body).signed(signer(keys))


def test_bad_messages_are_dead_lettered_and_the_receiver_keeps_serving(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, central_db_url)
    rec = receiver(broker.url, central_db_url, site.settings()).start()
    kiosk = FakeKiosk(broker.url, site.device_id)
    try:
        assert rec.ready.wait(10)
        first = envelope(site, 1)
        kiosk.publish(first.to_bytes())
        wait_until(lambda: first.msg_id in kiosk.acked(), 10, "the first good request acknowledged")

        good = json.loads(envelope(site, 2).to_bytes())
        kiosk.publish(b'{"v":1,"id":')  # malformed JSON
        kiosk.publish(json.dumps({**good, "v": 9}).encode())  # unknown schema version
        kiosk.publish(b'{"v":1,"pad":"' + b"x" * 40_000 + b'"}')  # oversized
        kiosk.publish(json.dumps({**good, "seq": "two"}).encode())  # wrong type
        replay = envelope(site, 1, msg_id=first.msg_id, svc="bansos")  # same id, different (signed) body
        kiosk.publish(replay.to_bytes())
        tampered = {**good, "b": {**good["b"], "svc": "bansos"}}  # body changed after signing
        kiosk.publish(json.dumps(tampered).encode())
        stranger = Envelope(new_msg_id(), "stranger-01", 1, 0, Body("ktp", "A-0001", "id", b"x")).signed(
            lambda b: sign(b, SigningKey.generate())
        )
        kiosk.publish(stranger.to_bytes(), device_id="stranger-01")  # unknown device

        last = envelope(site, 3)
        kiosk.publish(last.to_bytes())
        wait_until(lambda: last.msg_id in kiosk.acked(), 10, "a good request after the bad ones acknowledged")
        wait_until(lambda: len(open_store(central_db_url).dead_letters()) >= 7, 10, "seven dead letters")
    finally:
        kiosk.close()
        rec.stop()
    store = open_store(central_db_url)
    try:
        reasons = sorted(d.reason for d in store.dead_letters())
        assert reasons == sorted(
            [
                "malformed",
                "schema",
                "oversized",
                "invalid",
                "replay_conflict",
                "bad_signature",
                "unknown_device",
            ]
        )
        stored = {r.msg_id: r for r in store.requests()}
        assert set(stored) == {first.msg_id, last.msg_id}
        assert stored[first.msg_id].service_id == "ktp", "the replay must not overwrite the stored request"
    finally:
        store.close()
    assert kiosk.rejected() == {first.msg_id: "replay_conflict", good["id"]: "bad_signature"}


def test_receiver_killed_before_it_acks_then_restarted_stores_everything_once(
    tmp_path: Path, broker: Mosquitto
) -> None:
    from kiosk.outbox.synthetic import synthetic_request
    from kiosk.outbox.uploader import Uploader
    from kiosk.outbox.wiring import open_queue, queue_path
    from tests.support.delivery import acked_count, assert_exactly_once
    from tests.support.kiosk_env import drop_schema, kill, postgres_schema_url, spawn

    db_url, schema = postgres_schema_url()
    try:
        site = make_site(tmp_path, broker.url)
        register(site, db_url)
        settings = site.settings(outbox={"max_in_flight": 16})
        keys = device_keys(settings)
        q = open_queue(settings, keys)
        rng = random.Random(7)
        for _ in range(300):
            q.enqueue(synthetic_request(rng))
        q.close()
        serve = [
            "serve",
            "--broker",
            broker.url,
            "--db",
            db_url,
            "--client-id",
            "central-a",
            "--data-dir",
            str(site.central_dir),
        ]
        log = tmp_path / "central.log"
        central = spawn("central.cli", [*serve, "--crash-after-commits", "3"], log)
        up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
        try:
            central.wait(timeout=30)
            assert central.returncode == 70, log.read_text()[-2000:]
            store = open_store(db_url)
            committed = store.count_requests()
            store.close()
            assert committed > acked_count(site), (
                "nothing was committed without its ack; the test proves nothing"
            )
            central = spawn("central.cli", serve, log)
            wait_until(
                lambda: acked_count(site) == 300, 60, "all 300 acknowledged after the receiver restart"
            )
        finally:
            up.stop()
            kill(central, sig=15)
        assert assert_exactly_once(site, db_url) == 300
    finally:
        drop_schema(schema)


@pytest.mark.parametrize("n_receivers", [2])
def test_two_receivers_share_the_load_without_duplicates(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str, n_receivers: int
) -> None:
    from kiosk.outbox.synthetic import synthetic_request
    from kiosk.outbox.uploader import Uploader
    from kiosk.outbox.wiring import open_queue, queue_path
    from tests.support.delivery import acked_count, assert_exactly_once

    site = make_site(tmp_path, broker.url)
    register(site, sqlite_db_url)
    settings = site.settings()
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    rng = random.Random(3)
    for _ in range(200):
        q.enqueue(synthetic_request(rng))
    q.close()
    receivers = [
        receiver(broker.url, sqlite_db_url, settings, f"central-{i}").start() for i in range(n_receivers)
    ]
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(lambda: acked_count(site) == 200, 30, "200 acknowledged")
    finally:
        up.stop()
        for r in receivers:
            r.stop()
    assert all(r.stored > 0 for r in receivers), [r.stored for r in receivers]
    assert assert_exactly_once(site, sqlite_db_url) == 200


def test_auto_register_trusts_a_new_device_on_first_use_and_is_off_by_default(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    from central.receiver import Receiver, ReceiverOptions
    from kiosk.outbox.synthetic import synthetic_request
    from kiosk.outbox.uploader import Uploader
    from kiosk.outbox.wiring import open_queue, queue_path
    from tests.support.delivery import acked_count, assert_exactly_once

    assert ReceiverOptions().auto_register is False
    site = make_site(tmp_path, broker.url)
    settings = site.settings()
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    rng = random.Random(11)
    for _ in range(30):
        q.enqueue(synthetic_request(rng))
    q.close()
    rec = Receiver(
        broker.url,
        lambda: open_store(sqlite_db_url),
        settings.mqtt,
        ReceiverOptions(client_id="central-tofu", auto_register=True),
        signer=office_signer(settings),
    ).start()
    assert rec.ready.wait(10), "the receiver did not subscribe"  # QoS 0 telemetry before that would be lost
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(
            lambda: acked_count(site) == 30, 30, "30 requests from an unregistered device acknowledged"
        )
    finally:
        up.stop()
        rec.stop()
    store = open_store(sqlite_db_url)
    try:
        device = store.device(site.device_id)
        assert device is not None and device.public_key == keys.public_hex
        assert store.dead_letters() == [], "telemetry goes first, so no request met an unknown device"
    finally:
        store.close()
    assert assert_exactly_once(site, sqlite_db_url) == 30


def test_receiver_survives_losing_its_database_connections_mid_flush(
    tmp_path: Path, broker: Mosquitto
) -> None:
    import uuid

    import psycopg

    from kiosk.outbox.synthetic import synthetic_request
    from kiosk.outbox.uploader import Uploader
    from kiosk.outbox.wiring import open_queue, queue_path
    from tests.support.delivery import acked_count, assert_exactly_once
    from tests.support.kiosk_env import TEST_POSTGRES_URL, drop_schema, postgres_schema_url

    url, schema = postgres_schema_url()
    app = f"kiosk-test-{uuid.uuid4().hex[:8]}"
    url += f"&application_name={app}"
    try:
        site = make_site(tmp_path, broker.url)
        register(site, url)
        settings = site.settings(outbox={"max_in_flight": 8})
        keys = device_keys(settings)
        q = open_queue(settings, keys)
        rng = random.Random(9)
        for _ in range(600):
            q.enqueue(synthetic_request(rng))
        q.close()
        rec = receiver(broker.url, url, settings).start()
        up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
        try:
            for threshold in (100, 250):
                wait_until(lambda t=threshold: acked_count(site) >= t, 30, f"{threshold} acknowledged")
                with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as admin:
                    killed = admin.execute(
                        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                        (app,),
                    ).fetchone()[0]
                assert killed >= 1, "no receiver connection was cut; the test proves nothing"
                assert acked_count(site) < 600
            wait_until(
                lambda: acked_count(site) == 600, 60, "all 600 acknowledged after the database came back"
            )
        finally:
            up.stop()
            rec.stop()
        assert assert_exactly_once(site, url) == 600
    finally:
        drop_schema(schema)
