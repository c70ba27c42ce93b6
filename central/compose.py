"""The office's composition root: the store, the receiver and the office's keys, built from settings.

The kiosk has its own (``kiosk.compose``); the two share only the core (``layanan``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from central import migrations
from central.receiver import Receiver, ReceiverOptions
from central.store import CentralStore, open_store, sqlite_path
from layanan.config import Settings
from layanan.security.crypto import load_office_signing_key, sign

log = logging.getLogger(__name__)


class MissingDatabase(ValueError):
    """A command that reads the office's database was pointed at one that does not exist."""


def store(settings: Settings, url: str | None = None, create: bool = True) -> CentralStore:
    """The central store at ``url``, else ``central.db_url``, else ``central.db`` in the data dir, with the office
    schema's migrations applied. A database that does not exist yet (a missing SQLite file, an empty PostgreSQL
    schema) is made, and said so in one line, only with ``create`` (serve, web); other commands get
    MissingDatabase, so a mistyped or forgotten --db never reads an empty new database."""
    chosen = url if url is not None else settings.central.db_url
    path = sqlite_path(chosen, settings.data_dir)
    if path is not None and not path.exists() and not create:
        where = f"{path} (the default: central.db in the data dir)" if not chosen else str(path)
        raise MissingDatabase(
            f"there is no database at {where}; give the office's database with --db sqlite:///PATH or "
            "--db postgresql://... (or central.db_url in the config); only 'kiosk-central serve' and "
            "'kiosk-central web' create a new one"
        )
    if path is None and not create and postgres_is_empty(chosen):
        raise MissingDatabase(
            f"the database {shown(chosen)} has no office tables (an empty schema); check --db, or run "
            "'kiosk-central serve' once to create it"
        )
    new_file = path is not None and not path.exists()
    opened = open_store(chosen, settings.data_dir)
    applied = migrations.upgrade_store(opened)
    if new_file:
        log.info("no database at %s yet: creating a new, empty one with the office schema", path)
    elif applied and applied[0] == 1:
        log.info("database %s had no office schema: created it (migrations 1-%d)", shown(chosen), applied[-1])
    return opened


def shown(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return urlunparse(parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")))


def postgres_is_empty(url: str) -> bool:
    """True when a PostgreSQL database (or its ``?schema=NAME``) holds no office tables yet."""
    import psycopg

    parsed = urlparse(url)
    query = dict(parse_qsl(parsed.query))
    schema = query.pop("schema", "")
    with psycopg.connect(urlunparse(parsed._replace(query=urlencode(query))), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'devices'"
            " AND table_schema = COALESCE(NULLIF(%s, ''), current_schema())",
            (schema,),
        ).fetchone()
    return not row or row[0] == 0


def keys_dir(settings: Settings) -> Path:
    """Where the office's key pair lives (``central.keys_dir``, else ``keys/`` in the data dir)."""
    return Path(settings.central.keys_dir) if settings.central.keys_dir else settings.data_dir / "keys"


def office_signer(settings: Settings) -> Callable[[bytes], bytes]:
    """Signs acks and status updates with ``central_signing.key``; KeyFileError says how to make it."""
    key = load_office_signing_key(keys_dir(settings))
    return lambda data: sign(data, key)


def receiver(settings: Settings, broker_url: str, db_url: str | None, options: ReceiverOptions) -> Receiver:
    """One receiver on the shared subscription; each worker opens its own connection to the store."""
    return Receiver(
        broker_url, lambda: store(settings, db_url), settings.mqtt, options, signer=office_signer(settings)
    )
