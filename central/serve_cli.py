"""``kiosk-central serve --broker URL --db URL``: run one receiver until SIGTERM/SIGINT.

The broker, its CA file, the user and its password file come from the office's ``central.toml`` (written by
``kiosk-provision broker-config``). Before anything is created, serve checks what it can check alone: the broker
URL, that the CA and password files can be read, and the office signing key; then it makes the database if there
is none (saying so once). A broker that cannot be reached or refuses the receiver is logged once per cause, with
the file, the user and the fix (``central.broker_help``)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from central import compose
from central.broker_help import missing_files
from central.cli import add_db_flag, store_from
from central.receiver import ReceiverOptions, unique_client_id
from layanan.config import Settings
from layanan.link import BrokerAddress
from layanan.security.crypto import KeyFileError

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broker", default=None, help="mqtt://HOST:PORT or mqtts://HOST:PORT (default: kiosk.broker_url)"
    )
    add_db_flag(parser)
    parser.add_argument(
        "--group", default=None, help="shared subscription group (default: central.share_group)"
    )
    parser.add_argument(
        "--client-id",
        default=None,
        help="MQTT client id; unique per receiver (default: kiosk-central-HOST-RANDOM, new at every start)",
    )
    parser.add_argument(
        "--auto-register",
        action="store_true",
        help="trust a device's key on first use (demo only; off by default)",
    )
    parser.add_argument("--crash-after-commits", type=int, default=0, help=argparse.SUPPRESS)


def run(args: argparse.Namespace, settings: Settings) -> int:
    url = args.broker or settings.kiosk.broker_url
    try:
        BrokerAddress.parse(url)
    except ValueError as exc:
        print(f"kiosk-central serve: {exc} (--broker or kiosk.broker_url in central.toml)", file=sys.stderr)
        return 2
    problem = missing_files(settings.mqtt, url)
    if problem is not None:
        print(f"kiosk-central serve: {problem}", file=sys.stderr)
        return 2
    try:
        compose.office_signer(settings)
    except KeyFileError as exc:  # acks must be signed: kiosks ignore unsigned ones
        print(f"kiosk-central serve: {exc}", file=sys.stderr)
        return 2
    try:
        probe = store_from(args, settings, create=True)
        probe.close()
    except Exception as exc:  # noqa: BLE001 - any database error is reported, not traced
        print(f"kiosk-central serve: cannot open the database: {exc}", file=sys.stderr)
        return 2
    options = ReceiverOptions(
        group=args.group or settings.central.share_group,
        client_id=args.client_id or unique_client_id(),
        session_expiry_s=settings.central.session_expiry_s,
        orphan_chunk_s=settings.central.orphan_chunk_s,
        max_payload=settings.central.max_payload,
        auto_register=args.auto_register,
        crash_after_commits=args.crash_after_commits,
        time_zone=settings.site.time_zone,
    )
    try:
        receiver = compose.receiver(settings, url, args.db, options)
    except KeyFileError as exc:  # acks must be signed: kiosks ignore unsigned ones
        print(f"kiosk-central serve: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("receiver %s serving %s", options.client_id, url)
    receiver.run(stop)
    return 0
