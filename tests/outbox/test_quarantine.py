"""A request central keeps rejecting is quarantined for staff and never blocks the queue."""

from __future__ import annotations

import random
from pathlib import Path

from central.store import open_store
from kiosk.outbox.store import LocalQueue
from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from layanan.domain.envelope import Body, Envelope
from tests.support.delivery import acked_count, receiver, register
from tests.support.kiosk_env import make_site, run_cli
from tests.support.waiting import wait_until
from tools.net import Mosquitto


def test_poison_request_is_quarantined_and_the_rest_of_the_queue_flows(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, sqlite_db_url)
    settings = site.settings(outbox={"max_tries": 3})
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    rng = random.Random(5)
    poison = q.enqueue(synthetic_request(rng))
    for _ in range(20):
        q.enqueue(synthetic_request(rng))
    q.close()
    # central already holds a different request under the poison's msg id: every send is a replay conflict
    other = Envelope(poison.msg_id, site.device_id, 1, 0, Body("bansos", "Z-0001", "id", b"other")).signed(
        signer(keys)
    )
    store = open_store(sqlite_db_url)
    from central.store import StoredRequest

    store.commit(
        [
            StoredRequest(
                other.msg_id, site.device_id, 1, "Z-0001", "bansos", "id", 0, 0.0, other.digest(), b"other"
            )
        ],
        [],
    )
    store.close()
    rec = receiver(broker.url, sqlite_db_url, settings).start()
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(lambda: acked_count(site) == 20, 30, "the 20 good requests acknowledged")
        local = LocalQueue(queue_path(settings), seal=lambda b: b)
        wait_until(lambda: local.counts().get("quarantined") == 1, 30, "the poison request quarantined")
        [(item, reason)] = local.quarantined()
        local.close()
        assert (item.msg_id, item.tries, reason) == (poison.msg_id, 3, "replay_conflict")
    finally:
        up.stop()
        rec.stop()
    done = run_cli("kiosk", ["outbox", "status", "--json", "--data-dir", str(site.data_dir)])
    assert done.returncode == 0, done.stderr
    assert '"reason": "replay_conflict"' in done.stdout
    assert "9103" not in done.stdout, "the staff view must not show personal data"
