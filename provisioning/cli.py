"""The ``kiosk-provision`` command: one sub-command per provisioning step, in the order a technician runs
them."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from layanan.cli import dispatch

COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "provisioning.identity",
        "device id, village code, display, languages, broker URL, time zone -> config",
    ),
    "keys": ("provisioning.keys", "device signing key, broker password; pin the office's public key and CA"),
    "register": ("provisioning.register", "the record (JSON + QR code PNG) the central office imports"),
    "broker-config": (
        "provisioning.broker",
        "central Mosquitto: passwords, per-device ACL, TLS listener, trial CA",
    ),
    "install-model": (
        "provisioning.models",
        "install a language pack or model from a local path (sha256-checked)",
    ),
    "selftest": (
        "provisioning.selftest",
        "check microphone, speaker, camera, touch, disk, clock, broker, speech models, prompts",
    ),
    "render-firmware": (
        "provisioning.firmware",
        "render firmware_config/ (config.txt, systemd, udev) for this device",
    ),
}
"""Sub-command name -> (module, one-line help)."""


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(
        "kiosk-provision",
        COMMANDS,
        sys.argv[1:] if argv is None else argv,
        "Provision a Layanan Desa kiosk: init -> keys -> register -> selftest (broker-config is for "
        "the office).",
    )


if __name__ == "__main__":
    raise SystemExit(main())
