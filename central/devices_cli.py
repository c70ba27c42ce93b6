"""``kiosk-central devices``: the registry with the latest telemetry; ``devices import FILE`` adds a device or gives
it a new key, ``devices disable ID`` / ``enable ID`` refuse or admit a kiosk. Running receivers see a change within
seconds (they read a device's entry again every few seconds)."""

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


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["list", "import", "disable", "enable"], default="list")
    parser.add_argument(
        "file",
        nargs="?",
        help="import: the device record from 'kiosk-provision register' (.register.json, or the QR picture "
        ".register.png or a photo of it); disable/enable: the device id",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="import: give an already registered device the record's new key (a replacement kiosk or SD card)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_db_flag(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    store = store_from(args, settings)
    try:
        if args.action in ("disable", "enable"):
            return _switch(store, args.action, args.file)
        if args.action == "import":
            if not args.file:
                print("kiosk-central devices import: name the device record file", file=sys.stderr)
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


def _import(store: CentralStore, device: Device, replace: bool) -> int:
    old = store.device(device.device_id)
    if old is None:
        store.add_device(device)
        print(
            f"registered {device.device_id} (village {device.village_code or '-'}, key {device.public_key[:16]}...)"
        )
        return 0
    if (old.public_key, old.village_code, old.credentials_sha256) == (
        device.public_key,
        device.village_code,
        device.credentials_sha256,
    ):
        print(f"{device.device_id} is already registered with this record; nothing changed")
        return 0
    if not replace:
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
        )
        if a != b
    ]
    print(
        f"replaced {device.device_id}: {'; '.join(changed)}"
        + ("; it stays disabled ('devices enable ID')" if old.disabled else "")
    )
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


def _list(store, settings: Settings, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    now = time.time()
    rows = []
    for view in store.devices():
        silent = view.last_seen is None or now - view.last_seen > settings.central.silent_after_s
        tel = view.telemetry
        rows.append(
            {
                "device_id": view.device.device_id,
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
            f"{r['device_id']:<20} {flag:<7} seen {_ago(r['last_seen_s_ago'])}  queue {_or(r['queue_depth'])}  "
            f"oldest {_or(r['oldest_pending_s'], ' s')}  disk {_or(r['disk_free_mb'], ' MB')}  "
            f"quarantined {_or(r['quarantined'])}  {versions_text(r['versions'])}"
        )
    if not rows:
        print("no devices registered; 'kiosk-central devices import FILE' adds one")
    return 0
