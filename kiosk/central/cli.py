"""``kiosk-central``: the central office's commands, dispatched like ``kiosk`` (``kiosk.cli.dispatch``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.central.store import CentralStore, open_store
from kiosk.config import Settings

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("kiosk.central.serve_cli", "receive requests from the kiosks (MQTT v5 shared subscription)"),
    "devices": (
        "kiosk.central.devices_cli",
        "list devices with their latest telemetry, or 'devices import FILE'",
    ),
    "export": (
        "kiosk.central.export_cli",
        "export requests (personal data opened) or dead letters as CSV or JSON",
    ),
    "update": (
        "kiosk.central.update_cli",
        "send a ticket's status back to its kiosk: update TICKET STATUS --device ID",
    ),
}


def add_db_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        help="sqlite:///PATH or postgresql://... (default: central.db_url, then central.db in the data dir)",
    )


def store_from(args: argparse.Namespace, settings: Settings) -> CentralStore:
    url = args.db if args.db is not None else settings.central.db_url
    return open_store(url, settings.data_dir)


def central_keys_dir(settings: Settings) -> Path:
    return Path(settings.central.keys_dir) if settings.central.keys_dir else settings.data_dir / "keys"


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.cli import dispatch

    return dispatch(
        "kiosk-central",
        COMMANDS,
        sys.argv[1:] if argv is None else argv,
        "Central office receiver for the Layanan Desa kiosks.",
    )


if __name__ == "__main__":
    raise SystemExit(main())
