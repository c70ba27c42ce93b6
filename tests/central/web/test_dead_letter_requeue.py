"""A supervisor re-queues a dead letter from the console: the stored payload goes back through a real Mosquitto to
the real receiver, which judges it anew. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from central import audit, compose
from central.receiver import Receiver, ReceiverOptions
from central.store import Device, open_store
from layanan.domain.envelope import topic
from tests.central.test_receiver import envelope
from tests.support.delivery import office_signer
from tests.support.kiosk_env import make_site
from tests.support.office import Office, office_settings
from tests.support.waiting import wait_until
from tools.net import Mosquitto

from .test_pages import client, token


def test_a_dead_letter_requeued_after_its_kiosk_is_imported_is_received_once(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    office = Office(
        office_settings(
            tmp_path / "office", central_db_url, broker.url, keys_dir=str(site.central_dir / "keys")
        ),
        central_db_url,
    )
    office.user("sari", "supervisor")
    office.user("ani", "clerk", "91.03", "dukcapil")
    # registry entries are re-read after registry_ttl_s (5 s by default): short here, so the import counts at once
    rec = Receiver(
        broker.url,
        lambda: open_store(central_db_url),
        site.settings().mqtt,
        ReceiverOptions(client_id="central-requeue", registry_ttl_s=0.2),
        signer=office_signer(site.settings()),
    ).start()
    office.start(broker.url, link=True)
    raw = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="requeue-kiosk", protocol=mqtt.MQTTv5)
    raw.connect("127.0.0.1", int(broker.url.rsplit(":", 1)[1]))
    raw.loop_start()
    try:
        # a kiosk the office has not imported yet: its signed request is dead-lettered, not lost
        env = envelope(site, 1)
        raw.publish(topic(site.device_id, "req"), env.to_bytes(), qos=1).wait_for_publish(5)
        dead = wait_until(
            lambda: office.db.one(
                "SELECT id, reason FROM dead_letters WHERE msg_id = ? AND reason = 'unknown_device'",
                (env.msg_id,),
            ),
            30,
            "the unknown kiosk's request dead-lettered",
        )
        dead_id = int(dead[0])
        stored = "SELECT COUNT(*) FROM requests WHERE msg_id = ?"
        assert office.db.one(stored, (env.msg_id,)) == (0,)

        store = compose.store(office.settings, central_db_url)
        store.add_device(Device.from_record(json.loads(site.device_record().read_text()), time.time()))
        store.close()
        time.sleep(0.3)  # past the receiver's registry_ttl_s

        clerk = client(office, "ani")  # only a supervisor may re-queue
        assert (
            clerk.post(f"/dead-letters/{dead_id}/requeue", data={"csrftoken": token(clerk)}).status_code
            == 403
        )
        sup = client(office, "sari")
        assert f"/dead-letters/{dead_id}/requeue" in sup.get("/dead-letters").text
        r = sup.post(f"/dead-letters/{dead_id}/requeue", data={"csrftoken": token(sup)})
        assert r.status_code == 303, r.text
        wait_until(lambda: office.db.one(stored, (env.msg_id,)) == (1,), 30, "the re-queued request stored")
        assert audit.count(office.db, "deadletter_requeue", actor="sari") == 1
        assert f"/dead-letters/{dead_id}/requeue" not in sup.get("/dead-letters").text  # no longer waiting

        # the same dead letter cannot be re-queued twice, and a resend from the kiosk is not counted twice
        assert sup.post(f"/dead-letters/{dead_id}/requeue", data={"csrftoken": token(sup)}).status_code == 404
        raw.publish(topic(site.device_id, "req"), env.to_bytes(), qos=1).wait_for_publish(5)
        time.sleep(1.0)  # give a wrong second insert the chance to happen before counting
        assert office.db.one(stored, (env.msg_id,)) == (1,)
        assert audit.count(office.db, "deadletter_requeue") == 1
    finally:
        raw.disconnect()
        raw.loop_stop()
        office.stop()
        rec.stop()
