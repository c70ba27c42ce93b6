"""``kiosk-central export --format csv|json [--dead-letters]``: requests with personal data opened, or dead letters.

Rows are for people: the service's Indonesian name beside its id (from the catalog), and the receive time in the
zone of the kiosk's village (WIB, WITA or WIT from the province of its kode wilayah; the office's
``site.time_zone`` for a kiosk whose village is not known), named in a ``zone`` column."""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from nacl.public import PrivateKey

from central import office_keys
from central.cli import add_db_flag, central_keys_dir, store_from
from layanan.config import Settings
from layanan.domain.catalog import CatalogError, load_catalog
from layanan.security.crypto import CENTRAL_PRIVATE_FILE, KeyFileError, unseal
from layanan.zones import zone_of_village

Keys = list[PrivateKey]


class WrongKey(Exception):
    """A request is sealed to a key the office no longer has: the message names it and the fix."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["csv", "json"], default="json")
    parser.add_argument(
        "--dead-letters", action="store_true", help="export the dead letters with their reasons"
    )
    parser.add_argument(
        "--sealed", action="store_true", help="do not open personal data (no private key needed)"
    )
    parser.add_argument("--out", default="-", help="output file (default: standard output)")
    parser.add_argument(
        "--attachments",
        default=None,
        metavar="DIR",
        help="also write each complete attachment, opened, to DIR/MSG_ID/ATT_ID.bin",
    )
    add_db_flag(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    store = store_from(args, settings)
    try:
        villages = {view.device.device_id: view.device.village_code for view in store.devices()}
        if args.dead_letters:
            rows = [
                {
                    "received_at": d.received_at,
                    "reason": d.reason,
                    "detail": d.detail,
                    "topic": d.topic,
                    "device_id": d.device_id,
                    "msg_id": d.msg_id,
                    "payload_b64": base64.b64encode(d.payload).decode(),
                }
                for d in store.dead_letters()
            ]
        else:
            key: Keys | None = None
            keys_dir = central_keys_dir(settings)
            if not args.sealed:
                try:
                    key = office_keys.opening_keys(keys_dir)
                except KeyFileError as exc:
                    print(
                        f"kiosk-central export: {exc.args[0].split(';')[0]}; make or restore the office keys "
                        "with 'kiosk-central keys init' or 'kiosk-central keys restore BACKUP' (or pass --sealed)",
                        file=sys.stderr,
                    )
                    return 2
            try:
                rows = [_request_row(r, key, keys_dir) for r in store.requests()]
            except WrongKey as exc:
                print(f"kiosk-central export: {exc}", file=sys.stderr)
                return 2
            if args.attachments:
                if key is None:
                    print(
                        "kiosk-central export: --attachments needs the private key (drop --sealed)",
                        file=sys.stderr,
                    )
                    return 2
                written = _write_attachments(store, key, Path(args.attachments), [r["msg_id"] for r in rows])
                print(f"wrote {written} attachments under {args.attachments}", file=sys.stderr)
    finally:
        store.close()
    names = service_names(settings)
    for row in rows:
        zone = ZoneInfo(zone_of_village(villages.get(row["device_id"], ""), settings.site.time_zone))
        row["received"] = readable_time(row["received_at"], zone)
        row["zone"] = row["received"].rsplit(" ", 1)[-1]
        if "service_id" in row:
            row["service"] = names.get(row["service_id"], f"(not in the catalog: {row['service_id']})")
    out = sys.stdout if args.out == "-" else _private_text(Path(args.out))
    try:
        if args.format == "json":
            json.dump(rows, out, indent=2, ensure_ascii=False)
            out.write("\n")
        else:
            _write_csv(out, [_flat(r) for r in rows])
        out.flush()
    except BrokenPipeError:  # 'export | head' closed the pipe: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


LEADING = ["received", "zone", "ticket", "service", "service_id", "status", "device_id", "msg_id"]
"""The columns a person reads first; the rest follow sorted, each opened field in a 'field.NAME' column."""


def service_names(settings: Settings) -> dict[str, str]:
    """Service id -> its Indonesian name in the catalog the office uses (``kiosk.catalog``, else the shipped one);
    ids alone when that catalog cannot be read (the export still runs)."""
    try:
        catalog = load_catalog(settings.kiosk.catalog or None, ("id",))
    except CatalogError as exc:
        print(f"kiosk-central export: service names left out: {exc}", file=sys.stderr)
        return {}
    return {sid: service.title.get("id") for sid, service in catalog.services.items()}


def readable_time(epoch: float, zone: ZoneInfo) -> str:
    """``2026-12-07 08:12:03 WIT``: the office's own time zone, named as people say it (WIB, WITA, WIT)."""
    return dt.datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k not in ("fields", "documents")}
    for name, value in (row.get("fields") or {}).items():
        flat[f"field.{name}"] = value
    if "documents" in row:
        flat["documents"] = "; ".join(str(d) for d in row["documents"])
    return flat


def _write_csv(out: TextIO, rows: list[dict[str, Any]]) -> None:
    present = {k for r in rows for k in r} or {"msg_id"}
    columns = [c for c in LEADING if c in present] + sorted(present - set(LEADING))
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for r in rows:
        writer.writerow(
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for k, v in r.items()}
        )


def _private_text(path: Path) -> TextIO:
    """The export holds opened personal data: mode 0600, also when an older file of that name was wider."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return open(fd, "w", newline="")  # noqa: SIM115 - closed by the caller


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _write_attachments(store: Any, key: Keys, out: Path, msg_ids: list[str]) -> int:
    """Opened photos, 0600 in 0700 folders: they are citizens' documents."""
    written = 0
    for msg_id in msg_ids:
        for att_id, status, data in store.attachments_of(msg_id):
            if status != "complete" or data is None:
                continue
            folder = out / msg_id
            _private_dir(out)
            _private_dir(folder)
            fd = os.open(folder / f"{att_id}.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(unseal(data, key))
            written += 1
    return written


def _request_row(r: Any, key: Keys | None, keys_dir: Path) -> dict[str, Any]:
    row: dict[str, Any] = {
        "msg_id": r.msg_id,
        "device_id": r.device_id,
        "seq": r.seq,
        "ticket": r.ticket,
        "service_id": r.service_id,
        "lang": r.lang,
        "created_ms": r.created_ms,
        "received_at": r.received_at,
        "status": r.status,
        "attachments": r.attachments,
        "attachments_complete": r.attachments_done,
        "complete": r.complete,
    }
    if key is None:
        row["sealed_b64"] = base64.b64encode(r.sealed).decode()
    else:
        try:
            personal = json.loads(unseal(r.sealed, key))
            row["fields"] = personal.get("fields", {})
            row["documents"] = personal.get("documents", [])
        except ValueError:
            raise WrongKey(
                f"request {r.msg_id} (ticket {r.ticket}, device {r.device_id}) is sealed to another office key "
                f"than {keys_dir / CENTRAL_PRIVATE_FILE} (fingerprint "
                f"{office_keys.fingerprint(bytes(key[0].public_key))}) and the {len(key) - 1} retired keys in "
                f"{keys_dir / office_keys.RETIRED_DIR}: point --data-dir or central.keys_dir at the office's "
                "keys, or put the key it was sealed to back with 'kiosk-central keys restore BACKUP' "
                "(or export with --sealed)"
            ) from None
    return row
