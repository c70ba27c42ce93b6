"""``kiosk-central update TICKET STATUS --device ID``: store a ticket's status and send it to the kiosk (``upd``)."""

from __future__ import annotations

import argparse
import sys
import time

from central import compose, updates
from central.cli import add_db_flag, store_from
from layanan.config import Settings
from layanan.domain.envelope import StatusUpdate
from layanan.security.crypto import KeyFileError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ticket", help="ticket code, e.g. K-0427")
    parser.add_argument("status", help="new status, e.g. 'siap diambil'")
    parser.add_argument("--device", required=True, help="device id of the kiosk that issued the ticket")
    parser.add_argument("--broker", default=None, help="mqtt://HOST:PORT (default: kiosk.broker_url)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the broker")
    add_db_flag(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    store = store_from(args, settings)
    try:
        request = store.find_ticket(args.device, args.ticket)
        if request is None:
            print(f"kiosk-central update: no ticket {args.ticket} from device {args.device}", file=sys.stderr)
            return 1
        try:  # before anything changes: kiosks ignore unsigned updates
            signer = compose.office_signer(settings)
        except KeyFileError as exc:
            print(f"kiosk-central update: {exc}", file=sys.stderr)
            return 2
        store.set_status(request.msg_id, args.status)
    finally:
        store.close()
    client = updates.connect(
        args.broker or settings.kiosk.broker_url,
        settings.mqtt,
        f"kiosk-central-update-{int(time.time() * 1000)}",
        args.timeout,
    )
    if client is None:
        print(
            "kiosk-central update: status stored, but the broker is not reachable; run it again later",
            file=sys.stderr,
        )
        return 1
    try:
        update = StatusUpdate(request.msg_id, args.ticket, args.status)
        if not updates.publish(client, args.device, update, args.timeout, signer):
            print(
                "kiosk-central update: stored, but the broker did not take the update in time; run it again",
                file=sys.stderr,
            )
            return 1
    finally:
        client.disconnect()
        client.loop_stop()
    print(f"{args.device} {args.ticket}: {args.status}")
    return 0
