"""``kiosk queue``: the local queue for staff, without personal data (same as ``kiosk outbox status``)."""

from __future__ import annotations

import argparse

from kiosk.outbox.cli import show_status
from layanan.config import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    return show_status(settings, as_json=args.json)
