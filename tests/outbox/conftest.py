"""Fixtures of the outbox tests."""

from tests.support.outbox_fixtures import broker, central_db_url, sqlite_db_url  # noqa: F401
