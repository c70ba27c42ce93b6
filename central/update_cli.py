"""``kiosk-central update TICKET STATUS``: store a ticket's status and send it to the kiosk that issued it (``upd``).

Tickets are unique within the office (a kiosk code and a number: ``123 0427``), so the ticket alone finds the
request; ``--device`` is needed only for an old ticket (``K-0427``) that several kiosks issued."""

from __future__ import annotations

import argparse
import sys
import time

from central import compose, updates
from central.cli import add_db_flag, store_from
from central.store import CentralStore, StoredRequest
from layanan.config import Settings
from layanan.domain.envelope import StatusUpdate
from layanan.domain.request import TicketCodeError, format_ticket, normalize_ticket
from layanan.security.crypto import KeyFileError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ticket", help="ticket code as on the slip, e.g. '123 0427' (or an old one, K-0427)")
    parser.add_argument("status", help="new status, e.g. 'siap diambil'")
    parser.add_argument(
        "--device",
        help="device id of the kiosk that issued the ticket (needed only for an old K-0427 ticket)",
    )
    parser.add_argument("--broker", default=None, help="mqtt://HOST:PORT (default: kiosk.broker_url)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the broker")
    add_db_flag(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        ticket = normalize_ticket(args.ticket)
    except TicketCodeError as exc:
        print(f"kiosk-central update: {exc}", file=sys.stderr)
        return 2
    if len(ticket) == 4:
        print(
            f"kiosk-central update: {args.ticket!r} is only the number; give the whole ticket as on the slip, "
            "the kiosk code first (e.g. 123 0427)",
            file=sys.stderr,
        )
        return 2
    store = store_from(args, settings)
    try:
        request = _find(store, ticket, args.device)
        if request is None:
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
        update = StatusUpdate(request.msg_id, request.ticket, args.status)
        if not updates.publish(client, request.device_id, update, args.timeout, signer):
            print(
                "kiosk-central update: stored, but the broker did not take the update in time; run it again",
                file=sys.stderr,
            )
            return 1
    finally:
        client.disconnect()
        client.loop_stop()
    print(f"{request.device_id} {format_ticket(request.ticket)}: {args.status}")
    return 0


def _find(store: CentralStore, ticket: str, device: str | None) -> StoredRequest | None:
    """The request with this ticket (the newest, when a kiosk's numbering went round); None, said why, when there
    is none or several kiosks issued it and ``device`` does not say which."""
    shown = format_ticket(ticket)
    if device:
        request = store.find_ticket(device, ticket)
        if request is None:
            print(f"kiosk-central update: no ticket {shown} from device {device}", file=sys.stderr)
        return request
    found = store.find_tickets(ticket)
    kiosks = sorted({r.device_id for r in found})
    if not found:
        print(f"kiosk-central update: no ticket {shown} at this office", file=sys.stderr)
        return None
    if len(kiosks) > 1:
        print(
            f"kiosk-central update: ticket {shown} was issued by {len(kiosks)} kiosks ({', '.join(kiosks)}), as "
            "old tickets were; add --device ID to say which",
            file=sys.stderr,
        )
        return None
    return found[0]
