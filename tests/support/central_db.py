"""The central database fixture: every test that takes ``central_db_url`` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.kiosk_env import drop_schema, postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def central_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'central.db'}"
        return
    url, schema = postgres_schema_url()
    try:
        yield url
    finally:
        drop_schema(schema)


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'central.db'}"
