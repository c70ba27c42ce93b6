"""Where the device keeps its queue and keys, and how the outbox pieces are put together from the settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiosk.config import Settings
from kiosk.outbox.store import LocalQueue
from kiosk.security.crypto import (
    DeviceKeys,
    ensure_central_keypair,
    ensure_signing_key,
    load_device_keys,
    seal,
    sign,
)


def queue_path(settings: Settings) -> Path:
    return settings.data_dir / "queue.db"


def keys_dir(settings: Settings) -> Path:
    return settings.data_dir / "keys"


def device_keys(settings: Settings, init: bool = False) -> DeviceKeys:
    """The device's signing key and central's public key; ``init`` makes demo keys when they are missing."""
    directory = keys_dir(settings)
    if init:
        ensure_signing_key(directory)
        if not (directory / "central_public.key").exists():
            ensure_central_keypair(directory)
    return load_device_keys(directory)


def open_queue(settings: Settings, keys: DeviceKeys) -> LocalQueue:
    return LocalQueue(queue_path(settings), lambda data: seal(data, keys.central_public))


def signer(keys: DeviceKeys) -> Callable[[bytes], bytes]:
    return lambda data: sign(data, keys.signing)
