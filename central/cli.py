"""``kiosk-central``: the central office's commands, dispatched like ``kiosk`` (``layanan.cli.dispatch``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from central import compose
from central.store import CentralStore
from layanan.cli import dispatch
from layanan.config import Settings

OFFICE_CONFIG = Path("/etc/kiosk/central.toml")
"""The office's settings (``kiosk-provision broker-config`` writes them; docs/operations.md describes each key):
read without --config or $KIOSK_CONFIG; the systemd unit kiosk-central.service names the same file."""

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("central.serve_cli", "receive requests from the kiosks (MQTT v5 shared subscription)"),
    "keys": (
        "central.keys_cli",
        "make the office's sealing and signing keys once; name the files kiosks pin",
    ),
    "devices": (
        "central.devices_cli",
        "list devices with their latest telemetry, or 'devices import FILE'",
    ),
    "export": (
        "central.export_cli",
        "export requests (personal data opened) or dead letters as CSV or JSON",
    ),
    "update": (
        "central.update_cli",
        "send a ticket's status back to its kiosk: update TICKET STATUS --device ID",
    ),
    "users": ("central.users_cli", "console accounts: users add NAME --role ROLE | list | disable | reset"),
    "web": ("central.web_cli", "the office console in a browser (login, inbox, requests, fleet, audit)"),
    "forecast": (
        "central.forecast_cli",
        "weekly demand per village x service and kecamatan with 80% intervals: forecast [--horizon 8w] [--json]",
    ),
    "publish": (
        "central.publish_cli",
        "the public transparency pages as a static site: publish OUTDIR [--area KODE]",
    ),
    "bench": ("tools.bench.office", "benchmarks, from a checkout: bench web --requests N --devices N"),
}


def add_db_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        help="sqlite:///PATH or postgresql://... (default: central.db_url, then central.db in the data dir)",
    )


def store_from(args: argparse.Namespace, settings: Settings, create: bool = False) -> CentralStore:
    """The store of ``--db``; a database that does not exist ends the command with exit 2 and what to give
    instead, unless ``create`` (serve, web) makes it."""
    try:
        return compose.store(settings, args.db, create)
    except compose.MissingDatabase as exc:
        print(f"kiosk-central: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def central_keys_dir(settings: Settings) -> Path:
    return compose.keys_dir(settings)


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(
        "kiosk-central",
        COMMANDS,
        sys.argv[1:] if argv is None else argv,
        "Central office receiver for the Layanan Desa kiosks.",
        (OFFICE_CONFIG,),
    )


if __name__ == "__main__":
    raise SystemExit(main())
