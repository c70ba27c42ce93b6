"""``kiosk-provision init``: the device's identity and place, written as the kiosk's TOML config.

The values are checked here, before anything is written: the device id (it names the MQTT topics and the
broker user), the village's Kemendagri kode wilayah, the panel and its mounting, the languages, the broker URL
and the time zone. Running ``init`` again with the same values changes nothing; with new values it rewrites
the file atomically (mode 0640 from the start) and keeps what ``keys`` added.

The staff PIN: a new kiosk gets one, asked twice on a terminal or made at random and printed once, and only its
salted hash is written (``layanan.security.pin``).

The kiosk code (``--kiosk-code``, 3 digits, unique within the office) begins every ticket the kiosk issues;
``--next-ticket N`` makes a replacement kiosk continue its predecessor's numbering (``kiosk-central devices import
--replace`` prints N); the counter never moves back. ``--staff-pin-stdin`` reads it from a pipe for scripts;
``--new-staff-pin`` replaces it later. There is no default PIN: only ``demo-*`` devices, which ``init`` does not
make, open the staff view with 1234."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from layanan.config import ConfigError, Settings, load_settings
from layanan.domain.request import check_kiosk_code, format_ticket, ticket_code
from layanan.security.pin import generate_pin, hash_pin, verify_pin, weak_pin_reason
from layanan.zones import ZONES
from provisioning.common import (
    ProvisionError,
    add_config_flag,
    config_path,
    guarded,
    read_device_settings,
    replace_section,
    write_device_settings,
)

NO_CONFIG_FLAGS = True

PROVINCES = {
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36",
    "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82",
    "91", "92", "93", "94", "95", "96",
}  # fmt: skip
"""Kemendagri province codes (Permendagri 72/2019 and the 2022 Papua provinces 93-96)."""

_VILLAGE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{2})\.(\d{4})$")
PANELS = {"800x480": (800, 480), "1024x600": (1024, 600)}
ORIENTATIONS = ("landscape", "portrait", "landscape-flipped", "portrait-flipped")
RESERVED_IDS = {"central"}
"""Device ids that would collide with the central office's broker user."""
DEMO_PREFIX = "demo-"
"""Ids of demo devices on embedded defaults (a stand-in office key, staff PIN 1234): never provisioned."""
OLD_DEFAULT_PIN = "1234"


def check_village_code(code: str) -> str:
    """Return the code if it has the shape PP.KK.CC.DDDD with a known province, else raise ProvisionError."""
    m = _VILLAGE.match(code.strip())
    if not m:
        raise ProvisionError(
            f"village code {code!r} is not a Kemendagri kode wilayah; "
            "write --village-code as province.regency.district.village digits, e.g. 91.03.05.2001"
        )
    province, regency, district, village = m.groups()
    if province not in PROVINCES:
        raise ProvisionError(
            f"village code {code!r} starts with province {province}, which does not exist; "
            "check --village-code against the Kemendagri list (Papua is 91, e.g. 91.03.05.2001)"
        )
    if "00" in (regency, district) or village == "0000" or village[0] not in "12":
        raise ProvisionError(
            f"village code {code!r} has a zero regency/district or a village part not starting with 1 "
            "(kelurahan) "
            "or 2 (desa); copy --village-code from the Kemendagri list, e.g. 91.03.05.2001"
        )
    return code.strip()


@dataclass(frozen=True)
class Identity:
    """What ``init`` asks for, checked."""

    device_id: str
    village_code: str
    panel: str
    orientation: str
    languages: tuple[str, ...]
    broker_url: str
    time_zone: str
    data_dir: Path
    kiosk_code: str = ""
    staff_pin_hash: str | None = None
    """The hash to write; None keeps what the config has."""

    def apply(self, base: Settings) -> Settings:
        width, height = PANELS[self.panel]
        if self.orientation.startswith("portrait"):
            width, height = height, width
        kiosk: dict[str, object] = {
            "device_id": self.device_id,
            "village_code": self.village_code,
            "kiosk_code": self.kiosk_code,
            "languages": self.languages,
            "lang": self.languages[0],
            "broker_url": self.broker_url,
            "data_dir": self.data_dir,
            "width": width,
            "height": height,
            "fullscreen": True,
        }
        if self.staff_pin_hash is not None:
            kiosk["staff_pin_hash"] = self.staff_pin_hash
            kiosk["staff_pin"] = ""  # a PIN in clear from an older init goes
        settings = replace_section(base, "kiosk", **kiosk)
        settings = replace_section(settings, "site", panel=self.panel, orientation=self.orientation,
                                   time_zone=self.time_zone)  # fmt: skip
        if settings.mqtt.username:  # keys already ran: the broker user follows the device id
            settings = replace_section(settings, "mqtt", username=self.device_id)
        return settings


def identity_from_args(args: argparse.Namespace) -> Identity:
    device_id = args.device_id.strip()
    if device_id in RESERVED_IDS:
        raise ProvisionError(
            f"device id {device_id!r} is reserved for the central office; pick another --device-id"
        )
    if device_id.startswith(DEMO_PREFIX):
        raise ProvisionError(
            f"device id {device_id!r} starts with {DEMO_PREFIX!r}, which is kept for the demo (stand-in office "
            "key, staff PIN 1234); pick another --device-id"
        )
    if args.display not in PANELS:
        raise ProvisionError(
            f"display {args.display!r} is not supported; use --display 800x480 or --display 1024x600"
        )
    if args.orientation not in ORIENTATIONS:
        raise ProvisionError(
            f"orientation {args.orientation!r} is unknown; use --orientation {' or '.join(ORIENTATIONS)}"
        )
    languages = tuple(code.strip() for code in args.languages.split(",") if code.strip())
    bad = [code for code in languages if not re.match(r"^[a-z]{2,3}$", code)]
    if not languages or bad:
        raise ProvisionError(
            f"languages {args.languages!r} are not language codes; write --languages as codes like "
            "id,en (first is default)"
        )
    zone = ZONES.get(args.time_zone.upper(), args.time_zone)
    if zone not in ZONES.values():
        raise ProvisionError(
            f"time zone {args.time_zone!r} is not an Indonesian zone; use --time-zone WIB, WITA or WIT "
            "(Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"
        )
    try:
        code = check_kiosk_code(args.kiosk_code)
    except ValueError as exc:
        raise ProvisionError(f"--kiosk-code: {exc}") from None
    identity = Identity(
        device_id=device_id,
        village_code=check_village_code(args.village_code),
        kiosk_code=code,
        panel=args.display,
        orientation=args.orientation,
        languages=languages,
        broker_url=args.broker_url.strip(),
        time_zone=zone,
        data_dir=Path(args.data_dir).expanduser().resolve(),
    )
    # The kiosk's own checks (device id, broker URL) speak for the fields they own.
    try:
        load_settings(
            None,
            env={},
            overrides={
                "kiosk": {
                    "device_id": identity.device_id,
                    "broker_url": identity.broker_url,
                }
            },
        )
    except ConfigError as exc:
        message = str(exc).removeprefix("command line: ")
        for key in ("device_id", "broker_url"):
            message = message.replace(f"kiosk.{key} =", f"--{key.replace('_', '-')}")
        raise ProvisionError(f"{message}; fix that flag and run init again") from None
    return identity


def _checked_pin(pin: str, source: str) -> str:
    reason = weak_pin_reason(pin)
    if reason is not None:
        raise ProvisionError(f"{source}: {reason}; choose another (or leave it out and init makes one)")
    return pin


def ask_pin() -> str | None:
    """The PIN typed twice on the terminal (not echoed); None when the technician wants a random one."""
    for _ in range(3):
        first = getpass.getpass("Staff PIN, 6 to 8 digits (Enter alone: a random one): ")
        if not first:
            return None
        reason = weak_pin_reason(first)
        if reason is not None:
            print(f"{reason}; again", file=sys.stderr)
            continue
        if getpass.getpass("The same staff PIN again: ") == first:
            return first
        print("the two PINs differ; again", file=sys.stderr)
    raise ProvisionError("no staff PIN after three tries; run init again (Enter alone makes a random one)")


def choose_staff_pin(args: argparse.Namespace, base: Settings | None) -> tuple[str | None, str | None]:
    """(the hash to write, or None to keep the config's; the new PIN when init made it, to print once)."""
    stored = base.kiosk.staff_pin_hash if base is not None else ""
    given = None
    if args.staff_pin_stdin:
        given = _checked_pin(sys.stdin.readline().strip(), "--staff-pin-stdin")
    elif args.staff_pin is not None:
        print(
            "kiosk-provision init: --staff-pin is visible to every user of this machine in the process list "
            "and stays in the shell history; use --staff-pin-stdin or let init ask",
            file=sys.stderr,
        )
        given = _checked_pin(args.staff_pin, "--staff-pin")
    if given is not None:
        return (stored if stored and verify_pin(given, stored) else hash_pin(given)), None
    legacy = base.kiosk.staff_pin if base is not None else ""
    if not args.new_staff_pin:
        if stored:
            return None, None
        if legacy and legacy != OLD_DEFAULT_PIN:  # a PIN chosen before the hash: keep it, hashed
            return hash_pin(legacy), None
    typed = ask_pin() if sys.stdin.isatty() else None
    if typed is not None:
        return hash_pin(typed), None
    made = generate_pin()
    return hash_pin(made), made


NEW_KIOSK_DEFAULTS = {
    "display": "800x480",
    "orientation": "landscape",
    "languages": "id,en",
    "time_zone": "WIT",
    "data_dir": "/var/lib/kiosk",
}
"""Values for flags left out on a new kiosk; on a provisioned one a left-out flag keeps its value."""
REQUIRED = ("device_id", "village_code", "broker_url", "kiosk_code")


def fill_missing(args: argparse.Namespace, base: Settings | None) -> None:
    """Left-out flags keep what the config says (a re-run changes only what is given), else the defaults."""
    if base is None:
        missing = [f"--{name.replace('_', '-')}" for name in REQUIRED if getattr(args, name) is None]
        if missing:
            raise ProvisionError(f"a new kiosk needs {', '.join(missing)}; add them to the init command")
        for name, value in NEW_KIOSK_DEFAULTS.items():
            if getattr(args, name) is None:
                setattr(args, name, value)
        return
    current = {
        "device_id": base.kiosk.device_id,
        "village_code": base.kiosk.village_code,
        "kiosk_code": base.kiosk.kiosk_code,
        "broker_url": base.kiosk.broker_url,
        "display": base.site.panel,
        "orientation": base.site.orientation,
        "languages": ",".join(base.kiosk.languages),
        "time_zone": base.site.time_zone,
        "data_dir": str(base.kiosk.data_dir),
    }
    for name, value in current.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if not args.kiosk_code:
        raise ProvisionError(
            "this kiosk has no kiosk code yet (provisioned before tickets carried one); add --kiosk-code NNN, "
            "3 digits that no other kiosk of the office has (kiosk-central devices lists them)"
        )


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    add = parser.add_argument
    add("--device-id", help="the kiosk's id, e.g. desa-91030520-01 (lower case, digits, -); needed once")
    add("--village-code", help="Kemendagri kode wilayah of the village, e.g. 91.03.05.2001; needed once")
    add("--broker-url", help="central office broker, e.g. mqtts://10.8.0.1:8883; needed once")
    add(
        "--kiosk-code",
        help="3 digits, 001-999, that no other kiosk of the office has: every ticket of this kiosk starts with "
        "them (123 0427); needed once",
    )
    add(
        "--next-ticket",
        type=int,
        metavar="N",
        help="a replacement kiosk continues its predecessor's numbering: its next ticket gets number N (as "
        "'kiosk-central devices import --replace' prints it); never moves the numbering back",
    )
    add("--display", help="touch panel: 800x480 or 1024x600 (new kiosk: 800x480)")
    add("--orientation", help=f"panel mounting: {', '.join(ORIENTATIONS)} (new kiosk: landscape)")
    add("--languages", help="language packs offered, first is the default (new kiosk: id,en)")
    add("--time-zone", help="WIB, WITA or WIT, or Asia/Jakarta ... (new kiosk: WIT)")
    add("--data-dir", help="queue, keys and models (new kiosk: /var/lib/kiosk)")
    add(
        "--staff-pin-stdin",
        action="store_true",
        help="read the staff PIN (6-8 digits) from one line of stdin, for scripts",
    )
    add(
        "--new-staff-pin",
        action="store_true",
        help="replace the staff PIN: asked twice on a terminal (Enter alone, or no terminal: a random one, printed)",
    )
    add(
        "--staff-pin",
        help="the staff PIN on the command line: visible in the process list and shell history; prefer "
        "--staff-pin-stdin",
    )
    # Left-out flags keep the config's values on a re-run; see fill_missing.


def init(args: argparse.Namespace) -> int:
    path = config_path(args)
    base = read_device_settings(path) if path.exists() else None
    fill_missing(args, base)
    identity = identity_from_args(args)
    pin_hash, new_pin = choose_staff_pin(args, base)
    identity = dataclasses.replace(identity, staff_pin_hash=pin_hash)
    settings = identity.apply(base or Settings())
    if base is not None and settings == base:
        print(f"{path}: already provisioned as {identity.device_id}; nothing changed")
    else:
        write_device_settings(path, settings)
        print(
            f"{path}: device {identity.device_id} (kiosk code {identity.kiosk_code}) in village "
            f"{identity.village_code} written; next: kiosk-provision keys"
        )
    if args.next_ticket is not None:
        continue_numbering(settings, args.next_ticket)
    if new_pin is not None:  # only now that it is stored; never logged, shown this once
        print(
            f"staff PIN: {new_pin}  (shown only this once: give it to the village staff; to change it, "
            "kiosk-provision init --new-staff-pin)"
        )
    return 0


def continue_numbering(settings: Settings, next_ticket: int) -> None:
    """Raise the queue's counter so the next request gets at least ``next_ticket``; say what it will be."""
    from kiosk.outbox.store import LocalQueue

    if next_ticket < 1:
        raise ProvisionError(f"--next-ticket {next_ticket}: give the number the next ticket gets, 1 or more")
    queue = LocalQueue(settings.data_dir / "queue.db", _never_seal, kiosk_code=settings.kiosk.kiosk_code)
    try:
        before = queue.next_number()
        after = queue.continue_from(next_ticket)
    finally:
        queue.close()
    first = format_ticket(ticket_code(settings.kiosk.kiosk_code, after))
    if after > next_ticket:
        print(
            f"this kiosk's numbering was already at {before}, past --next-ticket {next_ticket}; it stays (the "
            f"next ticket is {first})"
        )
    else:
        print(f"the next ticket of this kiosk is {first} (number {after}), continuing its predecessor's")


def _never_seal(data: bytes) -> bytes:
    raise RuntimeError("init never queues a request")


def run(args: argparse.Namespace, settings: Settings) -> int:
    return guarded("init", init, args)
