"""What ``kiosk-provision broker-config`` was told, kept for the next run.

The choices live in ``choices.toml`` beside the generated files (a small state file, not the generated
``mosquitto.conf``): a re-run without ``--port`` keeps the port, one without ``--local-port`` keeps the local
listener, and so on for every flag below, exactly as ``init`` keeps a kiosk's values. A folder made before the
state file existed is read back once from its ``mosquitto.conf`` (listeners, install dir) and ``acl`` (the office
user). A flag given on the command line always wins and is kept from then on.

The office's time zone for the receiver's ``central.toml`` comes from ``--office-tz``, else the kept value, else
the province of the kiosks' village codes (the ``<device>.register.json`` records beside their ``.passwd``
files) when they all lie in one zone; otherwise WIB is assumed, said so, and not kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from layanan.zones import PROVINCE_ZONES, SHORT_ZONE, ZONES
from provisioning.common import ProvisionError, atomic_write_text

CHOICES_FILE = "choices.toml"


@dataclass(frozen=True)
class BrokerChoices:
    """The values a re-run keeps; each is also a flag of ``broker-config``."""

    port: int = 8883
    """The TLS listener's port, for the kiosks (``--port``)."""
    bind: str = "0.0.0.0"
    """The TLS listener's address (``--bind``)."""
    local_port: int = 0
    """A plain listener on 127.0.0.1 for a receiver on the broker's machine; 0 = none (``--local-port``)."""
    central_user: str = "central"
    """The office receiver's broker user (``--central-user``)."""
    install_dir: str = ""
    """Where the files live on the broker, as written into mosquitto.conf; empty = OUTDIR (``--install-dir``)."""
    broker_user: str = "mosquitto"
    """The user mosquitto drops root privileges to; it alone reads passwd, acl, server.key (``--broker-user``)."""
    persistence_location: str = ""
    """Written into mosquitto.conf only when set: Debian's stock mosquitto.conf already sets one, and mosquitto
    refuses to start on a second (``--persistence-location``)."""
    receiver_dir: str = "/etc/kiosk"
    """Where central.toml, ca.crt and central.password go on the receiver's machine (``--receiver-dir``)."""
    receiver_data_dir: str = "/var/lib/kiosk-central"
    """The receiver's data dir (systemd's StateDirectory=kiosk-central) (``--receiver-data-dir``)."""
    receiver_url: str = ""
    """The broker URL the receiver dials; empty = mqtts://FIRST-SERVER-NAME:PORT (``--receiver-url``)."""
    office_db: str = ""
    """The office database URL for central.toml; empty = SQLite in the receiver's data dir (``--office-db``)."""
    office_tz: str = ""
    """Asia/Jakarta, Asia/Makassar or Asia/Jayapura; empty = from the kiosks' village codes (``--office-tz``)."""

    def to_toml(self) -> str:
        lines = [
            "# What kiosk-provision broker-config was told; a re-run without a flag keeps the value here."
        ]
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            lines.append(
                f"{f.name} = {value}" if isinstance(value, int) else f"{f.name} = {json.dumps(value)}"
            )
        return "\n".join(lines) + "\n"


FIELDS = {f.name: f.type for f in dataclasses.fields(BrokerChoices)}


def read_choices(out: Path) -> BrokerChoices:
    """The kept choices of ``out``: its choices.toml, else what an older run's files say, else the defaults."""
    path = out / CHOICES_FILE
    if path.exists():
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ProvisionError(
                f"{path} is not valid TOML ({exc}); fix that line or delete the file"
            ) from None
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise ProvisionError(f"{path} has unknown keys {', '.join(unknown)}; delete those lines")
        defaults = BrokerChoices()
        wrong = sorted(k for k, v in data.items() if type(v) is not type(getattr(defaults, k)))
        if wrong:
            raise ProvisionError(f"{path}: {', '.join(wrong)} has the wrong type; fix it or delete the line")
        return BrokerChoices(**data)
    return _from_older_files(out)


def _from_older_files(out: Path) -> BrokerChoices:
    """A folder from before choices.toml: its listeners and install dir from mosquitto.conf, user from acl."""
    kept: dict[str, object] = {}
    conf = out / "mosquitto.conf"
    if conf.exists():
        listeners = re.findall(r"^listener (\d+) (\S+)$", conf.read_text(), re.MULTILINE)
        if listeners:
            kept["port"], kept["bind"] = int(listeners[0][0]), listeners[0][1]
        if len(listeners) > 1:
            kept["local_port"] = int(listeners[1][0])
        m = re.search(r"^password_file (.+)/passwd$", conf.read_text(), re.MULTILINE)
        if m and Path(m.group(1)) != out:
            kept["install_dir"] = m.group(1)
    acl = out / "acl"
    if acl.exists():
        m = re.search(r"^user (\S+)$", acl.read_text(), re.MULTILINE)
        if m:
            kept["central_user"] = m.group(1)
    return BrokerChoices(**kept)  # type: ignore[arg-type]


def merge(kept: BrokerChoices, args: argparse.Namespace) -> BrokerChoices:
    """The kept choices with every flag given on this run put in."""
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name, None) is not None}
    if "office_tz" in given:
        given["office_tz"] = zone_of(given["office_tz"])
    for name in ("install_dir", "persistence_location", "receiver_dir", "receiver_data_dir"):
        if given.get(name):
            given[name] = str(Path(given[name]).expanduser().absolute())
    return dataclasses.replace(kept, **given)


def zone_of(text: str) -> str:
    zone = ZONES.get(text.strip().upper(), text.strip())
    if zone not in ZONES.values():
        raise ProvisionError(
            f"--office-tz {text!r} is not an Indonesian zone; use WIB, WITA or WIT (Asia/Jakarta, Asia/Makassar, "
            "Asia/Jayapura)"
        )
    return zone


def zones_of_kiosks(dirs: list[Path]) -> set[str]:
    """The time zones of the villages of the kiosks whose register records are in ``dirs``."""
    zones: set[str] = set()
    for directory in dirs:
        for path in sorted(directory.glob("*.register.json")):
            try:
                code = str(json.loads(path.read_text()).get("village_code", ""))
            except (ValueError, AttributeError):
                continue  # not ours to judge here: 'kiosk-central devices import' says what is wrong with it
            zone = PROVINCE_ZONES.get(code[:2])
            if zone:
                zones.add(zone)
    return zones


def office_zone(choices: BrokerChoices, dirs: list[Path]) -> tuple[BrokerChoices, str, str | None]:
    """(choices with the zone to keep, the zone for central.toml, a note when it was assumed or derived)."""
    if choices.office_tz:
        return choices, choices.office_tz, None
    zones = zones_of_kiosks(dirs)
    if len(zones) == 1:
        zone = zones.pop()
        return (
            dataclasses.replace(choices, office_tz=zone),
            zone,
            f"office time zone {SHORT_ZONE[zone]} from the kiosks' village codes",
        )
    why = "the kiosks' villages lie in several zones" if zones else "no kiosk record says where the office is"
    return choices, "Asia/Jakarta", f"office time zone WIB assumed ({why}); pass --office-tz WIB, WITA or WIT"


def write_choices(out: Path, choices: BrokerChoices) -> None:
    atomic_write_text(out / CHOICES_FILE, choices.to_toml(), mode=0o600)
