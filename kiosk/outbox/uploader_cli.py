"""``kiosk uploader``: the uploader as a daemon (systemd ``Type=simple``; stops cleanly on SIGTERM/SIGINT)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from kiosk import compose
from kiosk.outbox.wiring import device_keys
from layanan.config import Settings
from layanan.security.crypto import KeyFileError

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--init-keys", action="store_true", help="make demo keys in the data dir when missing"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        keys = device_keys(settings, init=args.init_keys)
    except KeyFileError as exc:
        print(f"kiosk uploader: {exc} (or pass --init-keys for demo keys)", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping the uploader", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    uploader = compose.uploader(settings, keys)
    if uploader.key_problem:  # it could not tell central's acks from forged ones
        print(f"kiosk uploader: {uploader.key_problem}; the queued requests are kept", file=sys.stderr)
        return 2
    log.info("uploader for device %s to %s", settings.kiosk.device_id, settings.kiosk.broker_url)
    uploader.run(stop)
    return 0
