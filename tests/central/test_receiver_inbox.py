"""The receiver's inbox is bounded (issue 33, item 6): while the database stalls, a flood waits at the broker, not
in the receiver's memory, and everything is stored once the database moves again. On SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from central.receiver import Receiver, ReceiverOptions
from central.store import open_store
from kiosk.outbox.wiring import device_keys, signer
from layanan.domain.envelope import Ack, Body, Envelope, topic
from layanan.domain.request import new_msg_id
from tests.support.delivery import office_signer, register
from tests.support.kiosk_env import TEST_POSTGRES_URL, make_site
from tests.support.waiting import wait_until
from tools.net import Mosquitto

INBOX, BATCH, FLOOD = 200, 50, 3000


@contextlib.contextmanager
def requests_locked(db_url: str) -> Iterator[None]:
    """Hold a lock that makes every insert into ``requests`` wait (reads go on)."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite://"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import psycopg

    schema = db_url.split("schema=")[1].split("&")[0]
    with psycopg.connect(TEST_POSTGRES_URL) as conn:  # one transaction until the block ends
        conn.execute(f"SET search_path TO {schema}")
        conn.execute("LOCK TABLE requests IN SHARE MODE")
        yield
        conn.rollback()


def test_a_flood_during_a_database_stall_waits_at_the_broker_not_in_memory(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, central_db_url)
    sign = signer(device_keys(site.settings()))
    payloads = [
        Envelope(new_msg_id(), site.device_id, i + 1, 0, Body("ktp", "K-0001", "id", b"sealed"))
        .signed(sign)
        .to_bytes()
        for i in range(FLOOD)
    ]
    options = ReceiverOptions(client_id="central-inbox", inbox_size=INBOX, max_batch=BATCH)
    settings = site.settings()
    rec = Receiver(
        broker.url, lambda: open_store(central_db_url), settings.mqtt, options, signer=office_signer(settings)
    ).start()
    acked: set[str] = set()
    lock = threading.Lock()

    def on_ack(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with lock:
            acked.update(Ack.from_bytes(msg.payload).ids)

    kiosk = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="flood", protocol=mqtt.MQTTv5)
    kiosk.on_message = on_ack
    kiosk.max_inflight_messages_set(1000)
    kiosk.connect("127.0.0.1", broker.port)
    kiosk.subscribe(topic(site.device_id, "ack"), qos=1)
    kiosk.loop_start()
    try:
        assert rec.ready.wait(10)
        with requests_locked(central_db_url):
            infos = [kiosk.publish(topic(site.device_id, "req"), p, qos=1) for p in payloads]
            for info in infos:
                info.wait_for_publish(30)
            time.sleep(2.0)  # the receiver takes what it can while its commit waits
            assert not acked, "a commit got through the lock; the test proves nothing"
            assert rec.held_peak >= INBOX, "the receiver never filled its inbox; the test proves nothing"
        wait_until(lambda: len(acked) == FLOOD, 60, f"all {FLOOD} acknowledged after the stall")
    finally:
        kiosk.disconnect()
        kiosk.loop_stop()
        rec.stop()
    bound = INBOX + 6 * BATCH  # the inbox, a batch being validated, two queued, what one commit merges
    assert rec.held_peak <= bound, f"held {rec.held_peak} messages at once; the bound is {bound}"
    store = open_store(central_db_url)
    try:
        assert store.count_requests() == FLOOD
    finally:
        store.close()
