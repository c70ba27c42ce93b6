"""Fixtures of the central tests."""

from tests.support.central_db import central_db_url, sqlite_db_url  # noqa: F401
