"""Fixtures of the central tests."""

from tests.support.outbox_fixtures import broker, central_db_url, sqlite_db_url  # noqa: F401
