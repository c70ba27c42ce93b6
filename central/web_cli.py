"""``kiosk-central web [--db URL] [--host H] [--port N]``: the office console under uvicorn.

Beside the pages the process runs two small threads: the indexer (new requests become cases: SLA due date, area,
NIK blind index) and the status link (state changes to the kiosks over ``upd``, resent until acknowledged).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central import compose, office_keys
from central.cli import add_db_flag
from central.db import Database
from central.indexer import Indexer
from central.updates import StatusLink
from central.web.app import create_app
from central.web.console import Console
from central.web_db import open_database
from layanan.calendar import Calendar, HolidayFileError, read_office_days
from layanan.config import Settings
from layanan.domain.catalog import CatalogError, load_catalog
from layanan.security.crypto import KeyFileError

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    add_db_flag(parser)
    parser.add_argument("--host", default=None, help="address to listen on (default: central.web_host)")
    parser.add_argument("--port", type=int, default=None, help="port (default: central.web_port)")
    parser.add_argument(
        "--broker", default=None, help="mqtt://HOST:PORT for status updates (default: kiosk.broker_url)"
    )
    parser.add_argument(
        "--no-link", action="store_true", help="do not connect to the broker (no status updates)"
    )


@dataclass
class Running:
    console: Console
    indexer: Indexer
    app: Any
    refresher: Any = None
    """The public page's aggregates (``central.transparency.Refresher``)."""

    def stop(self) -> None:
        self.indexer.stop()
        if self.refresher is not None:
            self.refresher.stop()
        if self.console.status_link is not None:
            self.console.status_link.stop()
        self.console.db.close()


def holidays_path(settings: Settings) -> Path | None:
    if settings.central.holidays_file:
        return Path(settings.central.holidays_file)
    default = settings.data_dir / "holidays.txt"
    return default if default.exists() else None


def build(
    settings: Settings, db_url: str | None, broker_url: str | None, link: bool = True, refresh: bool = True
) -> Running:
    """Everything the console runs, started; ``Running.app`` is the ASGI app."""
    db: Database = open_database(settings, db_url)
    keys_dir = compose.keys_dir(settings)
    catalog = load_catalog(settings.kiosk.catalog or None)
    calendar = Calendar(read_office_days(holidays_path(settings)))
    nik_secret = office_keys.secret(keys_dir, office_keys.NIK_INDEX_FILE)
    status_link = None
    signer = None
    if link:
        try:
            signer = compose.office_signer(settings)
        except KeyFileError as exc:  # kiosks ignore unsigned updates: keep them queued until the key is there
            log.warning("console: %s; status updates are queued but not sent until then", exc)
    if signer is not None:
        status_link = StatusLink(
            db,
            broker_url or settings.kiosk.broker_url,
            settings.mqtt,
            f"kiosk-central-web-{socket.gethostname()}-{os.getpid()}",
            settings.central.update_resend_s,
            signer=signer,
        ).start()
    console = Console(db, settings, catalog, keys_dir, calendar, status_link, nik_secret=nik_secret)
    if console.key_problem():
        log.warning("console: %s; requests cannot be opened until it is there", console.key_problem())

    def key() -> Any:
        return console.private_key()

    indexer = Indexer(db, catalog, calendar, key, nik_secret, settings.site.time_zone)
    indexer.run_once()
    indexer.start()
    from central import transparency
    from central.forecast.plan import demand_services

    refresher = (
        transparency.Refresher(db, demand_services(catalog), settings.site.time_zone) if refresh else None
    )
    return Running(console, indexer, create_app(console), refresher.start() if refresher else None)


def serve_in_thread(running: Running, host: str, port: int) -> tuple[Any, threading.Thread]:
    """uvicorn in a thread (the demo and the tests); ``server.should_exit = True`` stops it."""
    import uvicorn

    config = uvicorn.Config(running.app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    return server, thread


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    try:
        running = build(settings, args.db, args.broker, link=not args.no_link)
    except (CatalogError, HolidayFileError) as exc:
        print(f"kiosk-central web: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the database is the usual cause: say so, no trace
        print(f"kiosk-central web: cannot open the database: {exc}", file=sys.stderr)
        return 2
    host = args.host or settings.central.web_host
    port = args.port or settings.central.web_port
    print(f"kiosk-central web: http://{host}:{port}/", file=sys.stderr)
    try:
        uvicorn.run(running.app, host=host, port=port, log_level="info", access_log=False)
    finally:
        running.stop()
    return 0
