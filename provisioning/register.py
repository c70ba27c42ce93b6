"""``kiosk-provision register``: the record the central office imports, as JSON and as a QR code PNG.

The record is ``{"device_id", "public_key" (Ed25519, hex), "village_code", "kiosk_code", "credentials_sha256"}``
(the kiosk code begins the kiosk's tickets; the office refuses one another kiosk has) and goes to
the office with ``kiosk-central devices import FILE``. Beside it goes ``<device>.passwd``: the device's line
for the office Mosquitto password file, already PBKDF2-hashed (``broker-config --devices DIR`` reads it), so
the clear password never leaves the kiosk."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import qrcode

from layanan.config import Settings
from layanan.security.crypto import KeyFileError, load_device_keys
from provisioning.broker_passwd import check_entry, password_entry
from provisioning.common import (
    BROKER_PASSWORD_FILE,
    ProvisionError,
    add_config_flag,
    atomic_write_bytes,
    atomic_write_text,
    config_path,
    guarded,
    keys_dir,
    read_device_settings,
)
from provisioning.keys import credentials_sha256, read_password

NO_CONFIG_FLAGS = True


@dataclass(frozen=True)
class RegisterRecord:
    """What central needs to trust one device."""

    device_id: str
    public_key: str
    village_code: str
    credentials_sha256: str
    kiosk_code: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegisterRecord:
        return cls(
            **{k: str(data[k]) for k in ("device_id", "public_key", "village_code", "credentials_sha256")},
            kiosk_code=str(data.get("kiosk_code", "")),
        )


def build_record(settings: Settings) -> tuple[RegisterRecord, str]:
    """The record and the device's broker password (which never goes into the record)."""
    if not settings.kiosk.kiosk_code:
        raise ProvisionError(
            "this kiosk has no kiosk code; run 'kiosk-provision init --kiosk-code NNN' (3 digits no other kiosk "
            "of the office has) first"
        )
    kdir = keys_dir(settings)
    try:
        keys = load_device_keys(kdir)
    except KeyFileError as exc:
        raise ProvisionError(str(exc)) from None
    password = read_password(kdir / BROKER_PASSWORD_FILE)
    record = RegisterRecord(
        device_id=settings.kiosk.device_id,
        public_key=keys.public_hex,
        village_code=settings.kiosk.village_code,
        credentials_sha256=credentials_sha256(password),
        kiosk_code=settings.kiosk.kiosk_code,
    )
    return record, password


def write_qr(path: Path, text: str) -> None:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image()
    tmp = path.with_name(f".{path.name}.tmp.png")
    image.save(str(tmp))
    tmp.replace(path)


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    parser.add_argument(
        "--out", type=Path, default=Path("."), help="where to write the files (default: here)"
    )


def register(args: argparse.Namespace) -> int:
    settings = read_device_settings(config_path(args))
    record, password = build_record(settings)
    out: Path = args.out
    json_path = out / f"{record.device_id}.register.json"
    png_path = out / f"{record.device_id}.register.png"
    passwd_path = out / f"{record.device_id}.passwd"
    text = record.to_json()
    passwd_current = passwd_path.exists() and check_entry(passwd_path.read_text(), password)
    if json_path.exists() and json_path.read_text().strip() == text and png_path.exists() and passwd_current:
        print(f"{json_path}: already up to date; give it (and {passwd_path.name}) to the central office")
        return 0
    atomic_write_text(json_path, text + "\n")
    write_qr(png_path, text)
    if not passwd_current:
        atomic_write_bytes(
            passwd_path, (password_entry(record.device_id, password) + "\n").encode(), mode=0o600
        )
    print(
        f"{json_path}, {png_path.name} and {passwd_path.name} written; the office runs "
        f"'kiosk-central devices import {json_path.name}' and 'kiosk-provision broker-config --devices DIR'"
    )
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    return guarded("register", register, args)
