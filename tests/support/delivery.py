"""Helpers for end-to-end delivery tests: register a device, run a receiver, check exactly-once at central."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from central.receiver import Receiver, ReceiverOptions
from central.store import Device, open_store
from layanan.config import Settings
from layanan.security.crypto import load_office_signing_key, sign
from tests.support.kiosk_env import Site


def register(site: Site, db_url: str) -> None:
    store = open_store(db_url)
    try:
        store.add_device(Device.from_record(json.loads(site.device_record().read_text()), 0.0))
    finally:
        store.close()


def office_signer(settings: Settings) -> Callable[[bytes], bytes]:
    """Signs acks as the office of ``settings`` (its ``central.keys_dir``, as make_site leaves it)."""
    key = load_office_signing_key(Path(settings.central.keys_dir))
    return lambda data: sign(data, key)


def receiver(broker_url: str, db_url: str, settings: Settings, client_id: str = "central-test") -> Receiver:
    return Receiver(
        broker_url,
        lambda: open_store(db_url),
        settings.mqtt,
        ReceiverOptions(client_id=client_id),
        signer=office_signer(settings),
    )


def device_rows(site: Site) -> dict[str, str]:
    """msg_id -> state, read straight from the kiosk's queue file."""
    conn = sqlite3.connect(site.data_dir / "queue.db", timeout=30)
    try:
        return dict(conn.execute("SELECT msg_id, state FROM requests").fetchall())
    finally:
        conn.close()


def acked_count(site: Site) -> int:
    path = site.data_dir / "queue.db"
    if not path.exists():
        return 0
    conn = sqlite3.connect(path, timeout=30)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM requests WHERE state = 'acked'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def central_ids(db_url: str) -> list[str]:
    store = open_store(db_url)
    try:
        return [r.msg_id for r in store.requests()]
    finally:
        store.close()


def assert_exactly_once(site: Site, db_url: str) -> int:
    """Every request the kiosk committed is at central exactly once, and the kiosk holds it as acknowledged."""
    rows = device_rows(site)
    ids = central_ids(db_url)
    assert len(ids) == len(set(ids)), "a request is stored twice at central"
    assert set(ids) == set(rows), (
        f"{len(set(rows) - set(ids))} confirmed requests missing at central, {len(set(ids) - set(rows))} unknown"
    )
    assert set(rows.values()) == {"acked"}, f"not all acknowledged on the kiosk: {sorted(set(rows.values()))}"
    sealed_left = (
        sqlite3.connect(site.data_dir / "queue.db")
        .execute("SELECT COUNT(*) FROM requests WHERE sealed IS NOT NULL")
        .fetchone()[0]
    )
    assert sealed_left == 0, "acknowledged requests still hold personal data"
    return len(ids)


def queue_file(site: Site) -> Path:
    return site.data_dir / "queue.db"
