"""``kiosk-provision render-firmware OUTDIR``: the ``firmware_config/`` templates filled in for this device.

Templates use ``${name}`` placeholders (``string.Template``; ``$$`` is a literal ``$``). The values come from
the device config (id, village, panel, orientation, time zone, data dir) and a few flags for the install
layout. ``OUTDIR/install.sh`` puts the files in place on the Pi; ``README.md`` is copied as it is."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import string
import tempfile
from pathlib import Path

import firmware_config
from layanan.config import Settings
from provisioning.common import ProvisionError, add_config_flag, config_path, guarded, read_device_settings

NO_CONFIG_FLAGS = True

TEMPLATES = Path(firmware_config.__file__).resolve().parent
"""The templates: ``firmware_config/`` of the checkout, or the same folder installed with the wheel."""
VERBATIM = {"README.md"}
NOT_TEMPLATES = {"__init__.py", "__pycache__"}

ROTATION = {  # orientation -> (xrandr --rotate, libinput calibration matrix for the touch panel)
    "landscape": ("normal", "1 0 0 0 1 0"),
    "portrait": ("left", "0 -1 1 1 0 0"),
    "landscape-flipped": ("inverted", "-1 0 1 0 -1 1"),
    "portrait-flipped": ("right", "0 1 0 -1 0 1"),
}
DEFAULT_LINK = {"800x480": "dsi", "1024x600": "hdmi"}

_USER = (
    re.compile(r"[a-z_][a-z0-9_-]{0,31}"),
    "a user name: 1-32 of a-z, 0-9, '_' and '-', not starting with a digit or '-'",
)
_PATH = (
    re.compile(r"(/[A-Za-z0-9._+-]+)+/?"),
    "an absolute path of letters, digits, '.', '_', '+', '-' and '/' (no spaces, quotes, '$', ';' or newlines)",
)
_CARD = (
    re.compile(r"[A-Za-z0-9_-]{1,32}"),
    "an ALSA card name or number: 1-32 of A-Z, a-z, 0-9, '_' and '-'",
)
_VILLAGE = (re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}"), "a kode wilayah such as 91.03.05.2001")
CHECKED_FLAGS = {
    "kiosk_user": ("--kiosk-user", _USER),
    "central_user": ("--central-user", _USER),
    "python": ("--python", _PATH),
    "libexec_dir": ("--libexec-dir", _PATH),
    "share_dir": ("--share-dir", _PATH),
    "central_config_path": ("--central-config", _PATH),
    "config_path": ("--device-config (default: the --config path)", _PATH),
    "speaker_card": ("--speaker-card", _CARD),
    "data_dir": ("kiosk.data_dir in the config", _PATH),
    "village_code": ("kiosk.village_code in the config", _VILLAGE),
}
"""Values that land verbatim in install.sh (run as root), systemd units and udev/ALSA files: each must match a
strict pattern, so that no shell or unit-file syntax (';', '$(', quotes, spaces, newlines, '%') gets in."""


def check_values(vals: dict[str, str]) -> None:
    """Refuse the first value that does not match its pattern, naming the flag, the value and what is allowed."""
    for key, (source, (pattern, allowed)) in CHECKED_FLAGS.items():
        value = vals[key]
        if not pattern.fullmatch(value) or len(value) > 255:  # fullmatch: '$' lets a final newline by
            raise ProvisionError(
                f"{source} {value!r} is refused: it goes into install.sh and the systemd units, so it must be "
                f"{allowed}; nothing was written"
            )


def display_values(panel: str, link: str) -> dict[str, str]:
    if link == "dsi":
        lines = (
            "# official 7-inch DSI touch display (touch comes with the overlay)\ndtoverlay=vc4-kms-dsi-7inch"
        )
        return {"display_lines": lines, "cmdline_video": ""}  # the DSI panel reports its own mode
    lines = (
        "# HDMI panel with USB touch: always drive HDMI, the mode is set in cmdline.txt\nhdmi_force_hotplug=1"
    )
    return {"display_lines": lines, "cmdline_video": f"video=HDMI-A-1:{panel}@60D "}


def values(settings: Settings, args: argparse.Namespace) -> dict[str, str]:
    site = settings.site
    link = args.display_link or DEFAULT_LINK[site.panel]
    rotate, matrix = ROTATION[site.orientation]
    if bool(args.mic_vendor) != bool(args.mic_product):
        raise ProvisionError(
            "--mic-vendor and --mic-product go together (4 hex digits each, from lsusb); pass both"
        )
    for flag, value in (("--mic-vendor", args.mic_vendor), ("--mic-product", args.mic_product)):
        if value and not (len(value) == 4 and all(c in "0123456789abcdef" for c in value.lower())):
            raise ProvisionError(f"{flag} {value!r} is not 4 hex digits; copy it from 'lsusb' (ID vvvv:pppp)")
    if args.mic_vendor:
        vendor, product = args.mic_vendor.lower(), args.mic_product.lower()
        mic_match = f'ATTRS{{idVendor}}=="{vendor}", ATTRS{{idProduct}}=="{product}", '
        mic_note = f"matches the USB microphone {args.mic_vendor}:{args.mic_product} only."
        mic_power = (
            f'ACTION=="add", SUBSYSTEM=="usb", {mic_match}TEST=="power/control", ATTR{{power/control}}="on"'
        )
    else:
        mic_match, mic_note = "", "matches any USB sound card (pass --mic-vendor/--mic-product to pin one)."
        mic_power = (
            "# (USB autosuspend stays on: pass --mic-vendor/--mic-product to turn it off for the microphone)"
        )
    if not 10 <= args.watchdog_sec <= 600:
        raise ProvisionError(f"--watchdog-sec {args.watchdog_sec} is out of range; use 10 to 600 seconds")
    vals = {
        "device_id": settings.kiosk.device_id,
        "village_code": settings.kiosk.village_code,
        "panel": site.panel,
        "orientation": site.orientation,
        "time_zone": site.time_zone,
        "xrandr_rotate": rotate,
        "touch_matrix": matrix,
        **display_values(site.panel, link),
        "data_dir": str(settings.kiosk.data_dir),
        "config_path": str(args.device_config_path),
        "kiosk_user": args.kiosk_user,
        "central_user": args.central_user,
        "central_config_path": args.central_config,
        "python": args.python,
        "libexec_dir": args.libexec_dir,
        "share_dir": args.share_dir,
        "watchdog_sec": str(args.watchdog_sec),
        "speaker_card": args.speaker_card,
        "mic_match": mic_match,
        "mic_note": mic_note,
        "mic_power_rule": mic_power,
    }
    check_values(vals)
    return vals


def render_tree(templates: Path, out: Path, vals: dict[str, str]) -> list[Path]:
    """Render every template into a temporary folder, then swap it in: a bad template changes nothing."""
    if not templates.is_dir():
        raise ProvisionError(
            f"the templates folder {templates} is missing; pass --templates PATH/firmware_config"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    written: list[Path] = []
    try:
        for src in sorted(p for p in templates.rglob("*") if p.is_file()):
            rel = src.relative_to(templates)
            if NOT_TEMPLATES & set(rel.parts) or rel.suffix == ".pyc":
                continue
            dst = staging / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if rel.name in VERBATIM:
                shutil.copyfile(src, dst)
            else:
                try:
                    text = string.Template(src.read_text()).substitute(vals)
                except (KeyError, ValueError) as exc:
                    raise ProvisionError(
                        f"template {rel} has an unknown placeholder {exc}; fix the template"
                    ) from None
                dst.write_text(text)
            os.chmod(dst, 0o755 if os.access(src, os.X_OK) else 0o644)
            written.append(out / rel)
        old = out.with_name(f".{out.name}.old")
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        os.chmod(staging, 0o755)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    parser.add_argument("outdir", type=Path, help="where to write the rendered files (replaced as a whole)")
    parser.add_argument("--device-config", help="the config's path on the kiosk (default: the --config path)")
    parser.add_argument("--templates", type=Path, default=TEMPLATES, help="the firmware_config/ folder")
    parser.add_argument(
        "--display-link", choices=("dsi", "hdmi"), help="panel cable (default: dsi for 800x480)"
    )
    parser.add_argument("--python", default="/opt/kiosk/venv/bin/python", help="the kiosk's Python on the Pi")
    parser.add_argument("--libexec-dir", default="/usr/local/lib/kiosk", help="where the session scripts go")
    parser.add_argument("--share-dir", default="/usr/local/share/kiosk", help="where the README goes")
    parser.add_argument("--kiosk-user", default="kiosk", help="system user that runs the kiosk (kiosk)")
    parser.add_argument("--central-user", default="kiosk-central", help="system user of the office receiver")
    parser.add_argument(
        "--central-config", default="/etc/kiosk/central.toml", help="the office receiver's config"
    )
    parser.add_argument(
        "--watchdog-sec", type=int, default=30, help="systemd WatchdogSec for kiosk.service (30)"
    )
    parser.add_argument(
        "--speaker-card", default="Headphones", help="ALSA card of the speaker (Headphones = jack)"
    )
    parser.add_argument("--mic-vendor", default="", help="USB vendor id of the microphone (lsusb), optional")
    parser.add_argument(
        "--mic-product", default="", help="USB product id of the microphone (lsusb), optional"
    )


def render(args: argparse.Namespace) -> int:
    path = config_path(args)
    settings = read_device_settings(path)
    args.device_config_path = args.device_config or path.resolve()
    written = render_tree(args.templates, args.outdir, values(settings, args))
    print(
        f"{args.outdir}: {len(written)} files for {settings.kiosk.device_id}; copy the folder to the kiosk "
        "and run 'sudo sh install.sh' there"
    )
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    return guarded("render-firmware", render, args)
