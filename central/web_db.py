"""The console's database from settings: the store's tables and the office migrations ensured, then a pool."""

from __future__ import annotations

from central import compose
from central.db import Database
from layanan.config import Settings


def open_database(
    settings: Settings, url: str | None = None, pool_size: int = 8, create: bool = True
) -> Database:
    """Open (and, with ``create``, make; always migrate) the office database, then a pooled ``Database`` on it;
    compose.MissingDatabase when it is not there and ``create`` is false."""
    compose.store(settings, url, create).close()
    return Database(url if url is not None else settings.central.db_url, settings.data_dir, pool_size)
