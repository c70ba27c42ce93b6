"""What every provisioning step shares: the error type, atomic file writes, the device config file and its
paths."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import grp
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from layanan.config import DEFAULT_CONFIG_PATHS, ConfigError, Settings, load_settings, to_toml

KEYS_SUBDIR = "keys"
"""Keys, broker password and pinned CA live in ``<data_dir>/keys`` (mode 0700)."""
BROKER_PASSWORD_FILE = "broker.password"
CA_FILE = "ca.crt"
MODELS_SUBDIR = "models"


class ProvisionError(RuntimeError):
    """A provisioning step refused its input; the message is one sentence naming the field and the fix."""


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644, group: str | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    A crash or a refused value leaves the previous file as it was. The new file gets ``mode`` from its
    creation, and ``group`` (when that group exists and we may set it) so a service such as mosquitto can
    read it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        if group is not None:
            # no such group (a technician laptop): docs/provisioning.md says to chgrp on the broker
            with contextlib.suppress(KeyError, PermissionError):
                os.fchown(fd, -1, grp.getgrnam(group).gr_gid)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def default_config_path() -> Path:
    env = os.environ.get("KIOSK_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG_PATHS[0]


def add_config_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="device config file (default: $KIOSK_CONFIG, then /etc/kiosk/kiosk.toml)",
    )


def config_path(args: argparse.Namespace) -> Path:
    return Path(args.config) if getattr(args, "config", None) else default_config_path()


def read_device_settings(path: Path) -> Settings:
    """The settings in the device's config file alone (no environment), as ``kiosk`` will read them."""
    if not path.exists():
        raise ProvisionError(
            f"the device config {path} does not exist; run 'kiosk-provision init' first (or pass "
            "--config FILE)"
        )
    try:
        return load_settings(path, env={})
    except ConfigError as exc:
        raise ProvisionError(f"the device config is refused: {exc}") from None


CONFIG_MODE = 0o640
CONFIG_GROUP = "kiosk"
"""The device config holds the staff PIN's hash and the broker user: owner and the kiosk's group only."""


def write_device_settings(path: Path, settings: Settings) -> None:
    """Write the config atomically after checking that ``kiosk`` reads back exactly these settings.

    The file is 0640 from its creation (mkstemp makes it 0600; it is never world-readable, not even briefly). Its
    group is the previous file's (install.sh gives it the kiosk user's group), else ``kiosk`` when that group
    exists, so the kiosk can still read it after a rewrite."""
    text = to_toml(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(fd, CONFIG_MODE)
        with contextlib.suppress(KeyError, PermissionError, FileNotFoundError):
            gid = path.stat().st_gid if path.exists() else grp.getgrnam(CONFIG_GROUP).gr_gid
            os.fchown(fd, -1, gid)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            back = load_settings(tmp, env={})
        except ConfigError as exc:
            raise ProvisionError(
                f"the new config would be refused by the kiosk ({exc}); nothing was changed"
            ) from None
        if back != settings:  # pragma: no cover - to_toml/load_settings disagree: a programming error
            raise ProvisionError("the new config does not read back identically; nothing was changed")
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def keys_dir(settings: Settings) -> Path:
    return settings.kiosk.data_dir / KEYS_SUBDIR


def models_dir(settings: Settings) -> Path:
    return settings.kiosk.data_dir / MODELS_SUBDIR


def replace_section(settings: Settings, section: str, **changes: object) -> Settings:
    return dataclasses.replace(
        settings, **{section: dataclasses.replace(getattr(settings, section), **changes)}
    )


def guarded(prog: str, step: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one step; a refusal is printed as one sentence on stderr and gives exit status 1."""
    try:
        return step(args)
    except ProvisionError as exc:
        print(f"kiosk-provision {prog}: {exc}", file=sys.stderr)
        return 1
