"""End to end with a real Mosquitto, a real kiosk queue and a real central database.

Every scenario ends with every confirmed request present exactly once at central.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from tests.support.delivery import acked_count, assert_exactly_once, receiver, register
from tests.support.kiosk_env import Site, kill, make_site, spawn
from tests.support.waiting import wait_until
from tools.net import Mosquitto, Proxy


def enqueue(site: Site, n: int, seed: int = 0) -> list[str]:
    settings = site.settings()
    q = open_queue(settings, device_keys(settings))
    rng = random.Random(seed)
    ids = [q.enqueue(synthetic_request(rng)).msg_id for _ in range(n)]
    q.close()
    return ids


def uploader(site: Site, broker_url: str | None = None, **sections: dict[str, object]) -> Uploader:
    settings = site.settings(broker_url, **sections)
    keys = device_keys(settings)
    return Uploader(settings, queue_path(settings), signer(keys), keys.public_hex)


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_requests_reach_central_exactly_once_on_both_databases(
    tmp_path: Path, broker: Mosquitto, central_db_url: str, protocol: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, central_db_url)
    enqueue(site, 150)
    rec = receiver(broker.url, central_db_url, site.settings()).start()
    up = uploader(site, mqtt={"protocol": protocol}).start()
    try:
        wait_until(lambda: acked_count(site) == 150, 30, "150 requests acknowledged")
    finally:
        up.stop()
        rec.stop()
    assert assert_exactly_once(site, central_db_url) == 150


def test_requests_pile_up_while_the_broker_is_down_then_all_arrive(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, sqlite_db_url)
    broker.stop()
    up = uploader(site).start()
    rec = receiver(broker.url, sqlite_db_url, site.settings()).start()
    try:
        for seed in range(5):
            enqueue(site, 40, seed)
            time.sleep(0.3)
        assert acked_count(site) == 0
        broker.start()
        wait_until(
            lambda: acked_count(site) == 200, 40, "200 requests acknowledged after the broker came back"
        )
    finally:
        up.stop()
        rec.stop()
    assert assert_exactly_once(site, sqlite_db_url) == 200


def test_broker_restarted_in_the_middle_of_a_flush(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, sqlite_db_url)
    enqueue(site, 2000)
    rec = receiver(broker.url, sqlite_db_url, site.settings()).start()
    up = uploader(site, outbox={"max_in_flight": 8}).start()
    try:
        wait_until(lambda: acked_count(site) >= 100, 30, "the flush started")
        broker.restart()
        assert acked_count(site) < 2000, "the flush finished before the restart; the test proves nothing"
        wait_until(lambda: acked_count(site) == 2000, 90, "all 2000 acknowledged after the broker restart")
    finally:
        up.stop()
        rec.stop()
    assert assert_exactly_once(site, sqlite_db_url) == 2000


def test_request_survives_kill_during_enqueue_and_during_flush(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, sqlite_db_url)
    fill_log = tmp_path / "fill.log"
    filler = spawn("kiosk", ["outbox", "fill", "100000", *site.cli_flags()], fill_log)
    wait_until(
        lambda: fill_log.exists() and fill_log.read_text().count("\n") > 300, 60, "300 requests enqueued"
    )
    kill(filler)
    printed = [line for line in fill_log.read_text().splitlines() if len(line) == 36]
    rec = receiver(broker.url, sqlite_db_url, site.settings()).start()
    up_log = tmp_path / "uploader.log"
    flags = site.cli_flags(outbox={"max_in_flight": 4})
    try:
        daemon = spawn("kiosk", ["uploader", *flags], up_log)
        wait_until(lambda: acked_count(site) >= 50, 60, "the flush started")
        kill(daemon)
        from tests.support.delivery import device_rows

        rows = device_rows(site)
        assert set(printed) <= set(rows), "a request reported as queued was lost by the kill"
        assert acked_count(site) < len(rows), "the flush finished before the kill; the test proves nothing"
        daemon = spawn("kiosk", ["uploader", *flags], up_log)
        wait_until(lambda: acked_count(site) == len(rows), 90, "all requests acknowledged after the restart")
        kill(daemon, sig=15)
    finally:
        rec.stop()
    assert assert_exactly_once(site, sqlite_db_url) == len(rows)


def test_link_that_drops_every_few_seconds_still_delivers_everything(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, sqlite_db_url)
    enqueue(site, 1500)
    proxy = Proxy(broker.port, cut_every=1.0).start()
    rec = receiver(broker.url, sqlite_db_url, site.settings()).start()
    up = uploader(site, proxy.url, outbox={"max_in_flight": 4}).start()
    try:
        wait_until(lambda: acked_count(site) == 1500, 120, "all 1500 acknowledged over the flaky link")
    finally:
        up.stop()
        rec.stop()
        proxy.stop()
    assert proxy.cuts >= 2, f"the link was cut only {proxy.cuts} times; the test proves nothing"
    assert assert_exactly_once(site, sqlite_db_url) == 1500
