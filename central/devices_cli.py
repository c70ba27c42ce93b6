"""``kiosk-central devices``: the registry with the latest telemetry; ``devices import FILE`` adds a device or gives
it a new key, ``devices show ID`` prints one kiosk (its kiosk code, last ticket and the number its replacement
continues from), ``devices disable ID`` / ``enable ID`` refuse or admit a kiosk. Running receivers see a change within
seconds (they read a device's entry again every few seconds).

Tickets are unique within the office because kiosk codes are: ``import`` refuses a record whose kiosk code an
active kiosk already has, unless ``--replace OLD`` names that kiosk (a replacement): OLD is then disabled and the
output gives the ``kiosk-provision init --next-ticket N`` that makes the new kiosk continue OLD's numbering."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from central import qr
from central.cli import add_db_flag, store_from
from central.store import CentralStore, Device
from central.versions import versions_text
from layanan.config import Settings
from layanan.domain.request import format_ticket


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", nargs="?", choices=["list", "import", "show", "disable", "enable"], default="list"
    )
    parser.add_argument(
        "file",
        nargs="?",
        help="import: the device record from 'kiosk-provision register' (.register.json, or the QR picture "
        ".register.png or a photo of it); show/disable/enable: the device id",
    )
    parser.add_argument(
        "--replace",
        nargs="?",
        const="",
        default=None,
        metavar="OLD",
        help="import: the record replaces a kiosk: alone, an already registered device gets the record's new key "
        "(a replacement SD card); with OLD, the new kiosk takes over kiosk OLD's code (OLD is disabled) and the "
        "output says from which ticket number it continues",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_db_flag(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    store = store_from(args, settings)
    try:
        if args.action in ("disable", "enable"):
            return _switch(store, args.action, args.file)
        if args.action == "show":
            return _show(store, args.file, args.json)
        if args.action == "import":
            if not args.file:
                swallowed = args.replace and Path(args.replace).suffix in (".json", ".png", ".jpg", ".jpeg")
                print(
                    f"kiosk-central devices import: name the device record file; --replace took {args.replace} as "
                    "the old kiosk's id: put the file first ('devices import FILE --replace [OLD]')"
                    if swallowed
                    else "kiosk-central devices import: name the device record file",
                    file=sys.stderr,
                )
                return 2
            try:
                device = Device.from_record(_read_record(Path(args.file)), time.time())
            except (OSError, ValueError) as exc:
                print(f"kiosk-central devices import: {args.file}: {exc}", file=sys.stderr)
                return 2
            return _import(store, device, args.replace)
        return _list(store, settings, args.json)
    finally:
        store.close()


def _read_record(path: Path) -> Any:
    """The record as JSON, from the .register.json or from the QR code of the .register.png (or a photo)."""
    text = qr.read_qr_text(path) if qr.is_picture(path) else path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a device record from 'kiosk-provision register' ({exc})") from None


def _next_number(store: CentralStore, device_id: str) -> tuple[int, str]:
    """The number a kiosk's successor continues from: after the last request the office has from it and the
    requests its last telemetry said were still queued; and that last ticket, formatted ("" for none)."""
    last = store.last_request(device_id)
    queued = (store.telemetry(device_id) or {}).get("q")
    waiting = queued if isinstance(queued, int) and queued > 0 else 0
    return (last.seq if last else 0) + waiting + 1, format_ticket(last.ticket) if last else ""


def _continue_line(store: CentralStore, old_id: str, new_id: str) -> str:
    number, last = _next_number(store, old_id)
    return (
        f"{old_id}'s last ticket at the office: {last or 'none'}; on {new_id} run: "
        f"kiosk-provision init --next-ticket {number}"
    )


def _code_taken(store: CentralStore, device: Device, replace: str | None) -> tuple[int, Device | None]:
    """(exit code, the kiosk being replaced): 0 when the record's kiosk code is free or ``--replace OLD`` names the
    active kiosk that has it; else the refusal is printed."""
    others = [
        d
        for d in (store.devices_with_code(device.kiosk_code) if device.kiosk_code else [])
        if d.device_id != device.device_id and not d.disabled
    ]
    if replace:
        old = store.device(replace)
        if old is None:
            print(
                f"kiosk-central devices import: --replace {replace}: no such device in the registry; "
                "'kiosk-central devices' lists them",
                file=sys.stderr,
            )
            return 1, None
        if others and others[0].device_id != replace:
            pass  # refused below: the code belongs to another kiosk than the one named
        else:
            return 0, old
    if not others:
        return 0, None
    taken = others[0]
    _, last = _next_number(store, taken.device_id)
    print(
        f"kiosk-central devices import: kiosk code {device.kiosk_code} of {device.device_id} is already used by "
        f"active kiosk {taken.device_id} (last ticket {last or 'none'}): two kiosks with one code would issue the "
        f"same tickets. Give {device.device_id} another code (on it: kiosk-provision init --kiosk-code NNN, then "
        f"register again), or, if it replaces {taken.device_id}, add --replace {taken.device_id}",
        file=sys.stderr,
    )
    return 1, None


def _import(store: CentralStore, device: Device, replace: str | None) -> int:
    status, replaced = _code_taken(store, device, replace)
    if status:
        return status
    if replaced is not None and replaced.device_id != device.device_id:
        return _take_over(store, device, replaced)
    old = store.device(device.device_id)
    if old is None:
        store.add_device(device)
        print(
            f"registered {device.device_id} (kiosk code {device.kiosk_code or '-'}, village "
            f"{device.village_code or '-'}, key {device.public_key[:16]}...)"
        )
        return 0
    if (old.public_key, old.village_code, old.credentials_sha256, old.kiosk_code) == (
        device.public_key,
        device.village_code,
        device.credentials_sha256,
        device.kiosk_code,
    ):
        print(f"{device.device_id} is already registered with this record; nothing changed")
        return 0
    if replace is None:
        print(
            f"kiosk-central devices import: {device.device_id} is already registered with key "
            f"{old.public_key[:16]}... (village {old.village_code or '-'}); this record has key "
            f"{device.public_key[:16]}... (village {device.village_code or '-'}). If this is a replacement kiosk "
            "or SD card, add --replace (the old key stops working); if not, the record may be forged: ask the "
            "technician",
            file=sys.stderr,
        )
        return 1
    store.add_device(device)
    changed = [
        f"{what} {a[:16] + '...' if what == 'key' else a or '-'} -> {b[:16] + '...' if what == 'key' else b or '-'}"
        for what, a, b in (
            ("key", old.public_key, device.public_key),
            ("village", old.village_code, device.village_code),
            ("credentials", old.credentials_sha256[:12], device.credentials_sha256[:12]),
            ("kiosk code", old.kiosk_code, device.kiosk_code),
        )
        if a != b
    ]
    print(
        f"replaced {device.device_id}: {'; '.join(changed)}"
        + ("; it stays disabled ('devices enable ID')" if old.disabled else "")
    )
    if old.public_key != device.public_key:  # a new kiosk or SD card: its queue's numbering starts again
        print(_continue_line(store, device.device_id, device.device_id))
    return 0


def _take_over(store: CentralStore, device: Device, old: Device) -> int:
    """``--replace OLD`` with a new device id: the new kiosk is registered, OLD is disabled."""
    if store.device(device.device_id) is not None:
        print(
            f"kiosk-central devices import: {device.device_id} is already registered; --replace {old.device_id} "
            f"is for a new kiosk taking over {old.device_id}'s code",
            file=sys.stderr,
        )
        return 1
    store.add_device(device)
    store.set_disabled(old.device_id, True)
    print(
        f"registered {device.device_id} (kiosk code {device.kiosk_code or '-'}, key {device.public_key[:16]}...) "
        f"replacing {old.device_id} (kiosk code {old.kiosk_code or '-'}), which is now disabled"
    )
    print(_continue_line(store, old.device_id, device.device_id))
    return 0


def _show(store: CentralStore, device_id: str | None, as_json: bool) -> int:
    if not device_id:
        print("kiosk-central devices show: name the device id", file=sys.stderr)
        return 2
    device = store.device(device_id)
    if device is None:
        print(
            f"kiosk-central devices show: no device {device_id} in the registry; 'kiosk-central devices' lists them",
            file=sys.stderr,
        )
        return 1
    number, last = _next_number(store, device_id)
    row = {
        "device_id": device.device_id,
        "kiosk_code": device.kiosk_code,
        "village": device.village_code,
        "disabled": device.disabled,
        "public_key": device.public_key,
        "last_ticket": last,
        "next_ticket_number": number,
    }
    if as_json:
        print(json.dumps(row, indent=2))
        return 0
    print(f"device       {device.device_id}{'  (DISABLED)' if device.disabled else ''}")
    print(f"kiosk code   {device.kiosk_code or '- (record from before kiosk codes: import a new one)'}")
    print(f"village      {device.village_code or '-'}")
    print(f"key          {device.public_key[:16]}...")
    print(f"last ticket  {last or 'none yet'}")
    print(f"a replacement continues with: kiosk-provision init --next-ticket {number}")
    return 0


def _ago(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds} s ago"


def _or(value: object, unit: str = "") -> str:
    """A telemetry value, or '-' when the kiosk never reported it."""
    return "-" if value is None else f"{value}{unit}"


def _switch(store: CentralStore, action: str, device_id: str | None) -> int:
    if not device_id:
        print(f"kiosk-central devices {action}: name the device id", file=sys.stderr)
        return 2
    if not store.set_disabled(device_id, action == "disable"):
        print(
            f"kiosk-central devices {action}: no device {device_id} in the registry; 'kiosk-central devices' lists them",
            file=sys.stderr,
        )
        return 1
    if action == "disable":
        print(f"{device_id} disabled: its requests, chunks and telemetry are refused from now on")
    else:
        print(f"{device_id} enabled again")
    return 0


def _last_ticket(store: CentralStore, device_id: str) -> str:
    last = store.last_request(device_id)
    return format_ticket(last.ticket) if last else ""


def _list(store, settings: Settings, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    now = time.time()
    rows = []
    for view in store.devices():
        silent = view.last_seen is None or now - view.last_seen > settings.central.silent_after_s
        tel = view.telemetry
        rows.append(
            {
                "device_id": view.device.device_id,
                "kiosk_code": view.device.kiosk_code,
                "last_ticket": _last_ticket(store, view.device.device_id),
                "village": view.device.village_code,
                "disabled": view.device.disabled,
                "last_seen_s_ago": None if view.last_seen is None else round(now - view.last_seen, 1),
                "silent": silent,
                "queue_depth": tel.get("q"),
                "oldest_pending_s": tel.get("old"),
                "last_sync_ms": tel.get("sync"),
                "disk_free_mb": tel.get("disk"),
                "quarantined": tel.get("quar"),
                "versions": tel.get("ver", {}),
            }
        )
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        flag = "DISABLED" if r["disabled"] else "SILENT" if r["silent"] else "ok"
        print(
            f"{r['device_id']:<20} {flag:<7} code {r['kiosk_code'] or '-':<3}  last ticket {r['last_ticket'] or '-'}  "
            f"seen {_ago(r['last_seen_s_ago'])}  queue {_or(r['queue_depth'])}  "
            f"oldest {_or(r['oldest_pending_s'], ' s')}  disk {_or(r['disk_free_mb'], ' MB')}  "
            f"quarantined {_or(r['quarantined'])}  {versions_text(r['versions'])}"
        )
    if not rows:
        print("no devices registered; 'kiosk-central devices import FILE' adds one")
    return 0
