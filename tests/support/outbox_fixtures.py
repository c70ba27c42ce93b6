"""Fixtures of the outbox and central tests: the central database on SQLite and PostgreSQL, a tuned broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from central.store import open_store
from tests.support.kiosk_env import drop_schema, postgres_schema_url
from tools.net import Mosquitto, start_mosquitto


@pytest.fixture(params=["sqlite", "postgresql"])
def central_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield made_sqlite(tmp_path)
        return
    url, schema = postgres_schema_url()
    try:
        open_store(url).close()  # as serve leaves it: other commands refuse an empty schema
        yield url
    finally:
        drop_schema(schema)


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    return made_sqlite(tmp_path)


def made_sqlite(tmp_path: Path) -> str:
    """An office database as 'kiosk-central serve' leaves it on its first start (other commands refuse a missing
    one)."""
    url = f"sqlite://{tmp_path / 'central.db'}"
    open_store(url).close()
    return url


BROKER_CONFIG = ["set_tcp_nodelay true", "max_queued_messages 100000"]
"""What docs/outbox.md recommends for the central broker: without it every ack waits for a delayed TCP ack."""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A private Mosquitto configured as docs/outbox.md recommends."""
    mosq = start_mosquitto(tmp_path / "broker", BROKER_CONFIG)
    try:
        yield mosq
    finally:
        mosq.stop()
