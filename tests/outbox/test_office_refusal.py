"""The kiosk says when and why the office refuses it: the broker's CONNACK and the office's rejections are kept in
the queue, shown by 'kiosk outbox status' and fail selftest's broker check (issue 34, finding 9)."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from kiosk.outbox.refusal import read_refusal
from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from layanan.config import Settings
from provisioning.selftest import Context, check_broker
from tests.support.delivery import acked_count, receiver
from tests.support.kiosk_env import Site, make_site, run_cli
from tests.support.waiting import wait_until
from tools.net import Mosquitto, start_mosquitto

WITA = {"site": {"time_zone": "Asia/Makassar"}}


def status(site: Site, broker_url: str) -> str:
    done = run_cli("kiosk.cli", ["outbox", "status", *site.cli_flags(broker_url, **WITA)])
    assert done.returncode == 0, done.stderr
    return done.stdout


def enqueue(settings: Settings, seed: int) -> None:
    q = open_queue(settings, device_keys(settings))
    q.enqueue(synthetic_request(random.Random(seed)))
    q.close()


def with_broker_user(settings: Settings, tmp_path: Path) -> Settings:
    password = tmp_path / "broker.password"
    password.write_text("a-long-enough-broker-password-0123456789\n")
    mqtt = dataclasses.replace(settings.mqtt, username=settings.kiosk.device_id, password_file=str(password))
    return dataclasses.replace(settings, mqtt=mqtt)


def test_an_office_that_has_not_imported_the_kiosk_is_named_until_it_accepts_a_request(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    settings = site.settings(**WITA)
    keys = device_keys(settings)
    enqueue(settings, 1)
    rec = receiver(broker.url, sqlite_db_url, settings).start()
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        refusal = wait_until(lambda: read_refusal(queue_path(settings)), 20, "the office's refusal stored")
    finally:
        up.stop()
    assert (refusal.reason, refusal.source) == ("unknown_device", "office")
    out = status(site, broker.url)
    assert "last sync: never" in out and "None" not in out
    line = next(x for x in out.splitlines() if "refused" in x).strip()
    assert line.startswith("office refused this kiosk at 20") and " WITA: unknown_device - " in line
    assert line.endswith(
        "the office has not imported this kiosk's record; send it the QR from 'kiosk-provision register'"
    )

    # the broker lets the kiosk in, yet the office refuses it: selftest's broker check fails and says why
    verdict, detail, fix = check_broker(
        Context(with_broker_user(settings, tmp_path), tmp_path / "kiosk.toml")
    )
    assert (
        verdict == "FAIL" and "but the office refused this kiosk at" in detail and "unknown_device" in detail
    )
    assert "kiosk-provision register" in fix

    code = run_cli("central.cli", ["devices", "import", str(site.device_record()), "--db", sqlite_db_url,
                                   "--data-dir", str(site.central_dir)])  # fmt: skip
    assert code.returncode == 0, code.stderr
    enqueue(settings, 2)  # the first may be quarantined by now; a new one is accepted
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(lambda: acked_count(site) >= 1, 20, "a request accepted")
        wait_until(lambda: read_refusal(queue_path(settings)) is None, 20, "the refusal cleared")
    finally:
        up.stop()
        rec.stop()
    out = status(site, broker.url)
    assert "refused" not in out and "last sync: 20" in out and " WITA (" in out
    verdict, detail, _ = check_broker(Context(with_broker_user(settings, tmp_path), tmp_path / "kiosk.toml"))
    assert verdict == "PASS", detail


def test_a_broker_that_refuses_the_kiosk_is_named_with_its_reason(tmp_path: Path) -> None:
    closed = start_mosquitto(tmp_path / "closed", ["allow_anonymous false"])  # knows no user at all
    try:
        site = make_site(tmp_path, closed.url)
        settings = site.settings(**WITA)
        keys = device_keys(settings)
        up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
        try:
            refusal = wait_until(
                lambda: read_refusal(queue_path(settings)), 20, "the broker's refusal stored"
            )
        finally:
            up.stop()
    finally:
        closed.stop()
    assert (refusal.reason, refusal.source) == ("Not authorized", "broker")
    line = next(x for x in status(site, closed.url).splitlines() if "refused" in x).strip()
    assert (
        line.startswith("the office's broker refused this kiosk at 20") and " WITA: Not authorized - " in line
    )
    assert "broker-config --devices" in line
