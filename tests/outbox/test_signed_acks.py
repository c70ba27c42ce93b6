"""A forged ack never wipes a kiosk's sealed copy, and a forged status update never reaches the citizen, even on a
broker that lets anyone write to the kiosk's topics (issue 33, item 6)."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from nacl.signing import SigningKey
from paho.mqtt.enums import CallbackAPIVersion

from kiosk.outbox.store import LocalQueue
from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from layanan.domain.envelope import Ack, StatusUpdate, topic
from layanan.domain.request import Request
from layanan.security.crypto import OFFICE_SIGNING_FILE, read_key, sign
from tests.support.delivery import assert_exactly_once, receiver, register
from tests.support.kiosk_env import make_site, run_cli
from tests.support.waiting import wait_until
from tools.net import Mosquitto


def rows(site) -> dict[str, tuple[str, bool, str | None]]:  # type: ignore[no-untyped-def]
    """msg_id -> (state, sealed copy kept, status)."""
    conn = sqlite3.connect(site.data_dir / "queue.db", timeout=30)
    try:
        return {
            m: (s, sealed is not None, st)
            for m, s, sealed, st in conn.execute("SELECT msg_id, state, sealed, status FROM requests")
        }
    finally:
        conn.close()


def test_mark_acked_refuses_a_request_that_was_never_sent(tmp_path: Path) -> None:
    q = LocalQueue(tmp_path / "q.db", seal=lambda b: b"sealed:" + b)
    item = q.enqueue(Request("ktp", "id", {"nik": "9103010101010001"}))
    assert q.mark_acked([item.msg_id], time.time()) == 0, "never sent: central cannot have committed it"
    assert q.conn.execute("SELECT state, sealed IS NOT NULL FROM requests").fetchone() == ("pending", 1)
    q.mark_in_flight([item.msg_id])
    assert q.mark_acked([item.msg_id], time.time()) == 1
    assert q.conn.execute("SELECT state, sealed IS NULL FROM requests").fetchone() == ("acked", 1)
    q.close()


def test_forged_acks_and_updates_change_nothing_and_the_office_s_do(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)  # the broker lets anyone write anywhere: a misconfigured one
    register(site, central_db_url)
    settings = site.settings()
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    rng = random.Random(5)
    ids = [q.enqueue(synthetic_request(rng)).msg_id for _ in range(20)]
    q.close()
    attacker = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="attacker", protocol=mqtt.MQTTv5)
    attacker.connect("127.0.0.1", broker.port)
    attacker.loop_start()
    stranger = SigningKey.generate()
    office = SigningKey(read_key(site.central_dir / "keys" / OFFICE_SIGNING_FILE, "office key"))
    forgeries = [
        Ack(tuple(ids)).to_bytes(),  # unsigned
        Ack(tuple(ids)).signed(site.device_id, lambda b: sign(b, stranger)).to_bytes(),  # another key
        Ack(tuple(ids)).signed("desa-other-01", lambda b: sign(b, office)).to_bytes(),  # another kiosk's
        StatusUpdate(ids[0], "K-0001", "siap diambil").to_bytes(),
        StatusUpdate(ids[0], "K-0001", "siap diambil")
        .signed(site.device_id, lambda b: sign(b, stranger))
        .to_bytes(),
    ]
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(lambda: up.sent >= 20, 20, "all 20 requests sent (no receiver runs yet)")
        for payload in forgeries:
            kind = "ack" if b'"ids"' in payload else "upd"
            attacker.publish(topic(site.device_id, kind), payload, qos=1).wait_for_publish(5)
        wait_until(lambda: up.refused_from_central == len(forgeries), 10, "every forgery refused")
        time.sleep(0.5)
        assert all(
            state != "acked" and sealed and status is None for state, sealed, status in rows(site).values()
        ), "a forged ack or update changed the queue"
        rec = receiver(broker.url, central_db_url, settings).start()
        try:
            wait_until(
                lambda: all(r[0] == "acked" for r in rows(site).values()), 30, "the office's acks applied"
            )
            base = ["--db", central_db_url, "--data-dir", str(site.central_dir), "--broker", broker.url]
            ticket = next(
                r for r in LocalQueue(queue_path(settings), seal=lambda b: b).list() if r.msg_id == ids[0]
            )
            done = run_cli(
                "central.cli",
                ["update", ticket.ticket, "siap diambil", "--device", site.device_id, *base,
                 "--set", f"central.keys_dir={site.central_dir / 'keys'}"],
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            wait_until(lambda: rows(site)[ids[0]][2] == "siap diambil", 20, "the office's update shown")
        finally:
            rec.stop()
    finally:
        up.stop()
        attacker.disconnect()
        attacker.loop_stop()
    assert assert_exactly_once(site, central_db_url) == 20


def test_an_uploader_without_the_pinned_office_key_keeps_the_queue_and_says_what_to_do(
    tmp_path: Path, broker: Mosquitto
) -> None:
    site = make_site(tmp_path, broker.url)
    (site.data_dir / "keys" / "central_verify.key").unlink()
    done = run_cli("kiosk.cli", ["uploader", *site.cli_flags()], timeout=60)
    assert done.returncode == 2
    assert "central_verify.key" in done.stderr and "--central-verify" in done.stderr
    assert "Traceback" not in done.stderr
