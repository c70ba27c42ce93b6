"""The composition point: real adapters built from settings, handed to the session, the app and the commands."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.config import Settings
from kiosk.domain.catalog import Catalog, load_catalog
from kiosk.domain.flow import Flow
from kiosk.domain.prompts import LanguagePack, PromptBook, load_pack
from kiosk.outbox.store import LocalQueue
from kiosk.security import crypto

log = logging.getLogger(__name__)


def keys_dir(settings: Settings) -> Path:
    return settings.data_dir / "keys"


def demo_central_dir(settings: Settings) -> Path:
    """Where a demo device keeps the stand-in central office's key pair (never on a provisioned device)."""
    return settings.data_dir / "demo-central"


def device_keys(settings: Settings) -> crypto.DeviceKeys:
    """The device's keys. A ``demo-*`` device makes its own key and a stand-in central key on first use."""
    kdir = keys_dir(settings)
    if settings.kiosk.device_id.startswith("demo-"):
        crypto.ensure_signing_key(kdir)
        if not (kdir / crypto.CENTRAL_PUBLIC_FILE).exists():
            central = crypto.ensure_central_keypair(demo_central_dir(settings))
            crypto.write_key(kdir / crypto.CENTRAL_PUBLIC_FILE, bytes(central.public_key))
            log.warning("demo device: sealing to a stand-in central key in %s", demo_central_dir(settings))
    return crypto.load_device_keys(kdir)


def open_queue(settings: Settings) -> LocalQueue:
    keys = device_keys(settings)
    return LocalQueue(settings.data_dir / "queue.db", seal=lambda data: crypto.seal(data, keys.central_public))


def catalog(settings: Settings) -> Catalog:
    return load_catalog(settings.kiosk.catalog or None, settings.kiosk.languages)


def flow(settings: Settings, cat: Catalog | None = None) -> Flow:
    k = settings.kiosk
    return Flow(cat or catalog(settings), k.languages, k.inactivity_warn_s, k.inactivity_reset_s)


def packs(settings: Settings) -> dict[str, LanguagePack]:
    return {lang: load_pack(lang, settings.data_dir / "lang") for lang in settings.kiosk.languages}


def prompt_books(settings: Settings, cat: Catalog) -> dict[str, PromptBook]:
    return {code: PromptBook(cat, pack) for code, pack in packs(settings).items()}


def speaker(settings: Settings, books: dict[str, PromptBook]):  # type: ignore[no-untyped-def]
    """Prompt playback from the audio pack (made by ``kiosk prompts`` at set-up or provisioning)."""
    from kiosk.speech.prompts import AudioPack, PromptSpeaker

    return PromptSpeaker(AudioPack(settings.data_dir / "prompts"))


def listener(settings: Settings, session):  # type: ignore[no-untyped-def]
    """The microphone listener for the session's language, or None (touch keeps working)."""
    return None
