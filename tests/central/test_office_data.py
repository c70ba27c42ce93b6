"""The office's data at rest and its device registry (issue 33, item 4).

The database, exports and opened photos are readable by the office's user only; a change to the registry (a new
key, a disabled kiosk) takes effect within seconds in a running receiver; telemetry from ids that are not in the
registry is not stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import stat
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from nacl.signing import SigningKey
from paho.mqtt.enums import CallbackAPIVersion

from central.receiver import Receiver, ReceiverOptions
from central.store import Chunk, StoredRequest, open_store
from layanan.domain.envelope import Ack, Body, Envelope, Telemetry, topic
from layanan.domain.request import new_msg_id
from layanan.security.crypto import CENTRAL_PRIVATE_FILE, read_key, seal, sign
from tests.support.delivery import office_signer, register
from tests.support.kiosk_env import make_site, run_cli
from tests.support.waiting import wait_until
from tools.net import Mosquitto


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_central_db_and_its_directory_are_private(tmp_path: Path) -> None:
    path = tmp_path / "office" / "data" / "central.db"
    store = open_store(f"sqlite://{path}")
    try:
        store.commit([], [], [Chunk(new_msg_id(), 0, "desa-01x", b"x", 1.0)])  # something in the WAL
        assert mode(path.parent) == 0o700
        for name in ("central.db", "central.db-wal", "central.db-shm"):
            assert mode(path.parent / name) == 0o600, name
    finally:
        store.close()


def test_a_database_written_world_readable_before_is_made_private_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "central.db"
    open_store(f"sqlite://{path}").close()
    os.chmod(path, 0o644)
    open_store(f"sqlite://{path}").close()
    assert mode(path) == 0o600


def test_the_export_and_the_opened_photos_are_private(tmp_path: Path, central_db_url: str) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    from nacl.public import PrivateKey

    office = PrivateKey(read_key(site.central_dir / "keys" / CENTRAL_PRIVATE_FILE, "office key"))
    sealed_photo = seal(b"a photo of a KTP", office.public_key)
    att = new_msg_id()
    request = StoredRequest(
        new_msg_id(), "desa-01x", 1, "K-0001", "ktp", "id", 1, 2.0, "d", seal(b'{"fields":{}}', office.public_key), 1,
        att_refs=((att, 1, len(sealed_photo), hashlib.sha256(sealed_photo).hexdigest()),),
    )  # fmt: skip
    store = open_store(central_db_url)
    try:
        store.commit([request], [], [Chunk(att, 0, "desa-01x", sealed_photo, 3.0)])
    finally:
        store.close()
    out, photos = tmp_path / "export.json", tmp_path / "photos"
    out.write_text("an older export, readable by all\n")
    os.chmod(out, 0o644)
    done = run_cli(
        "central.cli",
        ["export", "--db", central_db_url, "--data-dir", str(site.central_dir), "--out", str(out),
         "--attachments", str(photos)],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())[0]["msg_id"] == request.msg_id
    assert mode(out) == 0o600
    opened = photos / request.msg_id / f"{att}.bin"
    assert opened.read_bytes() == b"a photo of a KTP"
    assert (mode(photos), mode(photos / request.msg_id), mode(opened)) == (0o700, 0o700, 0o600)


class Kiosk:
    """A raw MQTT client for one device id: publishes what the test signs, records acks and rejections."""

    def __init__(self, broker_url: str, device_id: str) -> None:
        self.device_id = device_id
        self.acks: list[Ack] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"raw-{device_id}", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", int(broker_url.rsplit(":", 1)[1]))
        self.client.subscribe(topic(device_id, "ack"), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.acks.append(Ack.from_bytes(msg.payload))

    def send(self, key: SigningKey) -> str:
        env = Envelope(new_msg_id(), self.device_id, 1, 0, Body("ktp", "K-0001", "id", b"sealed")).signed(
            lambda b: sign(b, key)
        )
        self.client.publish(topic(self.device_id, "req"), env.to_bytes(), qos=1).wait_for_publish(5)
        return env.msg_id

    def outcome(self, msg_id: str) -> str:
        with self._lock:
            for ack in self.acks:
                if msg_id in ack.ids:
                    return "acked"
                for r in ack.rejected:
                    if r.msg_id == msg_id:
                        return r.reason
        return ""

    def publish_raw(self, kind: str, payload: bytes, device_id: str | None = None) -> None:
        self.client.publish(topic(device_id or self.device_id, kind), payload, qos=0)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def until(kiosk: Kiosk, key: SigningKey, wanted: str, within: float) -> float:
    """Send signed requests every 0.3 s until one gets the ``wanted`` outcome; the seconds it took."""
    start = time.monotonic()
    while True:
        msg_id = kiosk.send(key)
        with contextlib.suppress(TimeoutError):  # no answer at all is judged below like a wrong one
            wait_until(lambda m=msg_id: kiosk.outcome(m), 5, "an answer from central")
        if kiosk.outcome(msg_id) == wanted:
            return time.monotonic() - start
        assert time.monotonic() - start < within, f"still {kiosk.outcome(msg_id)!r}, not {wanted!r}"
        time.sleep(0.3)


def test_a_new_key_or_a_disabled_kiosk_takes_effect_within_seconds(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, central_db_url)
    old_key = SigningKey(read_key(site.data_dir / "keys" / "device_signing.key", "device key"))
    new_key = SigningKey.generate()
    base = ["--db", central_db_url, "--data-dir", str(site.central_dir)]
    options = ReceiverOptions(client_id="central-registry", registry_ttl_s=2.0)
    settings = site.settings()
    rec = Receiver(
        broker.url, lambda: open_store(central_db_url), settings.mqtt, options, signer=office_signer(settings)
    ).start()
    kiosk = Kiosk(broker.url, site.device_id)
    try:
        assert rec.ready.wait(10)
        assert until(kiosk, old_key, "acked", 10) < 5  # the receiver has the old key cached now
        record = json.loads(site.device_record().read_text())
        rekeyed = tmp_path / "rekeyed.json"
        rekeyed.write_text(json.dumps({**record, "public_key": bytes(new_key.verify_key).hex()}))
        done = run_cli("central.cli", ["devices", "import", str(rekeyed), "--replace", *base])
        assert done.returncode == 0, done.stderr
        assert until(kiosk, old_key, "bad_signature", 10) < 2.0 + 3
        assert until(kiosk, new_key, "acked", 5) < 3

        done = run_cli("central.cli", ["devices", "disable", site.device_id, *base])
        assert done.returncode == 0, done.stderr
        assert "disabled" in done.stdout
        assert until(kiosk, new_key, "device_disabled", 10) < 2.0 + 3
        listed = json.loads(run_cli("central.cli", ["devices", "--json", *base]).stdout)
        assert listed[0]["disabled"] is True

        done = run_cli("central.cli", ["devices", "enable", site.device_id, *base])
        assert done.returncode == 0, done.stderr
        assert until(kiosk, new_key, "acked", 10) < 2.0 + 3
    finally:
        kiosk.close()
        rec.stop()


def test_disabling_an_unknown_device_says_so(tmp_path: Path, sqlite_db_url: str) -> None:
    done = run_cli("central.cli", ["devices", "disable", "desa-nope-01", "--db", sqlite_db_url])
    assert done.returncode == 1
    assert "desa-nope-01" in done.stderr and "devices" in done.stderr


def test_telemetry_from_unregistered_ids_is_refused_and_counted(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, central_db_url)
    settings = site.settings()
    rec = Receiver(
        broker.url, lambda: open_store(central_db_url), settings.mqtt, signer=office_signer(settings)
    ).start()
    kiosk = Kiosk(broker.url, site.device_id)
    payload = Telemetry(3, 1.0, None, 100, {"sw": "x" * 200}, 0, "ab" * 32).to_bytes()
    store = open_store(central_db_url)
    try:
        assert rec.ready.wait(10)
        for i in range(50):
            kiosk.publish_raw("tel", payload, device_id=f"stranger-{i:02d}")
        kiosk.publish_raw("tel", payload)
        wait_until(lambda: store.telemetry(site.device_id), 10, "the registered device's telemetry stored")
        wait_until(lambda: rec.telemetry_refused == 50, 10, "50 refused")
    finally:
        kiosk.close()
        rec.stop()
    try:
        assert all(store.telemetry(f"stranger-{i:02d}") is None for i in range(50))
        assert store.dead_letters() == [], "refused telemetry is counted, not dead-lettered"
    finally:
        store.close()


OLD_DEVICES_TABLE = """CREATE TABLE devices (
    device_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, village_code TEXT NOT NULL DEFAULT '',
    credentials_sha256 TEXT NOT NULL DEFAULT '', registered_at DOUBLE PRECISION NOT NULL)"""


def test_a_registry_from_before_gets_the_disabled_column_and_keeps_its_devices(tmp_path: Path) -> None:
    import sqlite3

    import psycopg

    from tests.support.kiosk_env import TEST_POSTGRES_URL, drop_schema, postgres_schema_url

    row = ("desa-old-01", "ab" * 32, "91.03", "", 1.0)
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(OLD_DEVICES_TABLE)
        conn.execute("INSERT INTO devices VALUES (?, ?, ?, ?, ?)", row)
    url, schema = postgres_schema_url()
    with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        admin.execute(f"SET search_path TO {schema}")
        admin.execute(OLD_DEVICES_TABLE)
        admin.execute("INSERT INTO devices VALUES (%s, %s, %s, %s, %s)", row)
    try:
        for db_url in (f"sqlite://{path}", url):
            store = open_store(db_url)
            try:
                device = store.device("desa-old-01")
                assert device is not None and not device.disabled
                assert store.set_disabled("desa-old-01", True)
                assert store.device("desa-old-01").disabled  # type: ignore[union-attr]
                store.add_device(dataclasses.replace(device, public_key="cd" * 32))
                again = store.device("desa-old-01")
                assert again is not None and again.disabled and again.public_key == "cd" * 32, (
                    "a new key does not re-admit a disabled kiosk"
                )
            finally:
                store.close()
    finally:
        drop_schema(schema)
