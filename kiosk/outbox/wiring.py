"""Where the device keeps its queue and keys, and how the outbox pieces are put together from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from kiosk.outbox.store import LocalQueue
from layanan.config import Settings
from layanan.domain.request import DEFAULT_KIOSK_CODE
from layanan.security.crypto import (
    CENTRAL_PUBLIC_FILE,
    OFFICE_VERIFY_FILE,
    DeviceKeys,
    ensure_central_keypair,
    ensure_office_signing_key,
    ensure_signing_key,
    load_device_keys,
    seal,
    sign,
    write_key,
)

log = logging.getLogger(__name__)


def queue_path(settings: Settings) -> Path:
    return settings.data_dir / "queue.db"


def keys_dir(settings: Settings) -> Path:
    return settings.data_dir / "keys"


def demo_central_dir(settings: Settings) -> Path:
    """Where a demo device keeps the stand-in central office's key pair: never beside the device's own keys,
    so the device's key folder never holds a key that opens citizen data."""
    return settings.data_dir / "demo-central"


def device_keys(settings: Settings, init: bool = False) -> DeviceKeys:
    """The device's signing key and central's public key; ``init`` makes demo keys when they are missing: the
    device's own, and a stand-in office whose sealing key and ack-signing key are pinned on it."""
    directory = keys_dir(settings)
    if init:
        ensure_signing_key(directory)
        if not (directory / CENTRAL_PUBLIC_FILE).exists():
            central = ensure_central_keypair(demo_central_dir(settings))
            write_key(directory / CENTRAL_PUBLIC_FILE, bytes(central.public_key))
            log.warning("demo keys: sealing to a stand-in central key in %s", demo_central_dir(settings))
        if not (
            directory / OFFICE_VERIFY_FILE
        ).exists():  # also on a demo device made before acks were signed
            office = ensure_office_signing_key(demo_central_dir(settings))
            write_key(directory / OFFICE_VERIFY_FILE, bytes(office.verify_key))
            log.warning(
                "demo keys: trusting acks signed by a stand-in office key in %s", demo_central_dir(settings)
            )
    return load_device_keys(directory)


def open_queue(settings: Settings, keys: DeviceKeys) -> LocalQueue:
    return LocalQueue(
        queue_path(settings), lambda data: seal(data, keys.central_public), kiosk_code=kiosk_code(settings)
    )


def kiosk_code(settings: Settings) -> str:
    """The kiosk's 3-digit code for its tickets: ``kiosk.kiosk_code``, or 001 on a kiosk without one (the demo,
    tests; ``kiosk-provision init`` and ``selftest`` require one on a real kiosk, and a kiosk that lacks it says
    so in its log)."""
    if settings.kiosk.kiosk_code:
        return settings.kiosk.kiosk_code
    if not settings.kiosk.device_id.startswith("demo-"):
        log.warning(
            "kiosk.kiosk_code is not set: tickets start with %s and may collide with another kiosk's; "
            "run kiosk-provision init --kiosk-code NNN",
            DEFAULT_KIOSK_CODE,
        )
    return DEFAULT_KIOSK_CODE


def signer(keys: DeviceKeys) -> Callable[[bytes], bytes]:
    return lambda data: sign(data, keys.signing)
