"""A dead receiver must not strand its share of the shared subscription (issue 33, item 2).

Two real ``kiosk-central serve`` processes on a real Mosquitto share the requests; one is SIGKILLed for good in
the middle of a flush. With a persistent session the broker kept feeding the dead one's share into its session,
so resends were stranded again and again; receivers now end their session with their connection, and each
request lost with the dead one arrives on the kiosk's first resend.
"""

from __future__ import annotations

import random
import re
import signal
import sqlite3
import time
from pathlib import Path

from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from tests.support.delivery import acked_count, assert_exactly_once, register
from tests.support.kiosk_env import kill, make_site, spawn
from tests.support.waiting import wait_until
from tools.net import Mosquitto

ACK_TIMEOUT_S = 2.0
RETRY_MAX_S = 1.0


def stored_by(log: Path) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    found = re.findall(r"receiver (\S+) serving", text)
    return found[-1] if found else ""


def test_a_receiver_killed_for_good_strands_nothing_beyond_one_resend(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, central_db_url)
    settings = site.settings(
        outbox={"max_in_flight": 16, "ack_timeout_s": ACK_TIMEOUT_S, "retry_max_s": RETRY_MAX_S}
    )
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    rng = random.Random(2)
    for _ in range(1500):
        q.enqueue(synthetic_request(rng))
    q.close()
    serve = ["serve", "--broker", broker.url, "--db", central_db_url, "--data-dir", str(site.central_dir)]
    logs = [tmp_path / "central-a.log", tmp_path / "central-b.log"]
    # no --client-id: two receivers on one host must not share the default one
    receivers = [spawn("central.cli", serve, log) for log in logs]
    up = None
    try:
        wait_until(
            lambda: (
                all("receiver connected" in p.read_text() for p in logs if p.exists())
                and all(p.exists() for p in logs)
            ),
            30,
            "both receivers subscribed",
        )
        ids = [stored_by(p) for p in logs]
        assert ids[0] and ids[1] and ids[0] != ids[1], f"two receivers with one client id: {ids}"
        up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
        wait_until(lambda: acked_count(site) >= 200, 30, "the flush started")
        # frozen first, so it certainly holds part of the flush when it dies (killed between two batches it
        # could hold nothing, and then nothing would be lost: under load that happened)
        receivers[1].send_signal(signal.SIGSTOP)
        time.sleep(1.0)
        kill(receivers[1])
        killed_at = time.monotonic()
        assert acked_count(site) < 1500, "the flush finished before the kill; the test proves nothing"
        resend_interval = ACK_TIMEOUT_S + RETRY_MAX_S
        wait_until(lambda: acked_count(site) == 1500, 60, "every request acknowledged after the kill")
        took = time.monotonic() - killed_at
    finally:
        if up is not None:
            up.stop()
        for proc in receivers:
            kill(proc, sig=15)
    conn = sqlite3.connect(site.data_dir / "queue.db")
    try:
        sends = dict(conn.execute("SELECT sends, COUNT(*) FROM requests GROUP BY sends").fetchall())
    finally:
        conn.close()
    assert max(sends) <= 2, (
        f"requests sent {sorted(sends.items())} times (sends: count): a resend went to the dead receiver again"
    )
    assert sends.get(2, 0) > 0, "nothing was lost with the killed receiver; the test proves nothing"
    assert took < 1500 / 100 + 2 * resend_interval, f"the flush took {took:.1f} s after the kill"
    assert assert_exactly_once(site, central_db_url) == 1500
