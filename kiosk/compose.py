"""The kiosk's composition root: real adapters built from settings, handed to the session, the app and commands.

The office has its own (``central.compose``); the two share only the core (``layanan``)."""

from __future__ import annotations

import logging

from kiosk.outbox import wiring
from kiosk.outbox.store import LocalQueue
from layanan.calendar import Calendar, HolidayFileError, read_office_days
from layanan.config import Settings
from layanan.domain.catalog import Catalog, load_catalog
from layanan.domain.flow import Flow
from layanan.domain.prompts import LanguagePack, PromptBook, load_pack
from layanan.security import crypto

log = logging.getLogger(__name__)


def device_keys(settings: Settings) -> crypto.DeviceKeys:
    """The device's keys. A ``demo-*`` device makes its own key and a stand-in central key on first use."""
    return wiring.device_keys(settings, init=settings.kiosk.device_id.startswith("demo-"))


def open_queue(settings: Settings) -> LocalQueue:
    return wiring.open_queue(settings, device_keys(settings))


def uploader(settings: Settings, keys: crypto.DeviceKeys | None = None):  # type: ignore[no-untyped-def]
    """The outbox uploader on the device's queue, signing with its key (started by its caller)."""
    from kiosk.outbox.uploader import Uploader

    keys = keys or device_keys(settings)
    return Uploader(settings, wiring.queue_path(settings), wiring.signer(keys), keys.public_hex)


def office_asker(settings: Settings, keys: crypto.DeviceKeys | None = None):  # type: ignore[no-untyped-def]
    """Asks the office over MQTT about tickets made at another kiosk; answers count only when signed by the
    office key pinned on this kiosk (none pinned: every question gets "belum ada kabar")."""
    from kiosk.outbox.ask import OfficeAsker

    keys = keys or device_keys(settings)
    try:
        office = crypto.load_office_verify_key(settings.data_dir / "keys")
    except crypto.KeyFileError as exc:
        log.warning("ticket look-up at the office is off: %s", exc)
        office = b""
    return OfficeAsker(settings, wiring.signer(keys), office)


def catalog(settings: Settings) -> Catalog:
    return load_catalog(settings.kiosk.catalog or None, settings.kiosk.languages)


def flow(settings: Settings, cat: Catalog | None = None) -> Flow:
    k = settings.kiosk
    return Flow(cat or catalog(settings), k.languages, k.inactivity_warn_s, k.inactivity_reset_s)


def packs(settings: Settings) -> dict[str, LanguagePack]:
    return {lang: load_pack(lang, settings.data_dir / "lang") for lang in settings.kiosk.languages}


def prompt_books(settings: Settings, cat: Catalog) -> dict[str, PromptBook]:
    return {code: PromptBook(cat, pack) for code, pack in packs(settings).items()}


def slips(settings: Settings, cat: Catalog, books: dict[str, PromptBook]):  # type: ignore[no-untyped-def]
    """The ticket slips: printed on the ESC/POS printer ``kiosk.printer`` names (opened for each slip, so a
    printer plugged in later is used), else shown on the ticket screen."""
    from kiosk.slip import TicketSlips, open_printer

    k = settings.kiosk
    return TicketSlips(
        cat,
        books,
        lambda: open_printer(k.printer, k.printer_width),
        k.office_hours,
        k.printer_width,
        calendar=office_calendar(settings),
    )


def office_calendar(settings: Settings) -> Calendar:
    """Public holidays plus the office's own days from ``DATA_DIR/holidays.txt`` (the office's file, copied at
    provisioning). A broken file is reported and the national holidays alone are used: the slip's date is an
    estimate, and a citizen must never be stopped by it."""
    path = settings.data_dir / "holidays.txt"
    try:
        return Calendar(read_office_days(path))
    except HolidayFileError as exc:
        log.error("%s; fix or remove that file: the slip counts national holidays only until then", exc)
        return Calendar()


def speaker(settings: Settings, voice=None):  # type: ignore[no-untyped-def]
    """Prompt playback from the audio pack (made by ``kiosk prompts``), muting the microphone while it speaks."""
    from kiosk.speech.prompts import AudioPack, PromptSpeaker

    return PromptSpeaker(
        AudioPack(settings.data_dir / "prompts"),
        guard=voice.muted if voice else None,
        device=settings.speech.output_device,
    )


def voice(settings: Settings):  # type: ignore[no-untyped-def]
    """Microphone input with the language packs' recognizers; started by the app."""
    from kiosk.speech import engines
    from kiosk.speech.mic import MicrophoneSource
    from kiosk.speech.voice import VoiceInput

    return VoiceInput(
        settings,
        lambda lang: engines.recognizer_for(lang, settings),
        lambda: MicrophoneSource(settings.speech.input_device),
    )


def post_to_main_loop(session):  # type: ignore[no-untyped-def]
    """Events from worker threads (camera, presence, microphone, the office's answers) reach the session on
    Kivy's main loop."""
    from kivy.clock import Clock

    def post(event):  # type: ignore[no-untyped-def]
        Clock.schedule_once(lambda dt: session.dispatch(event))

    return post


def camera(settings: Settings, session):  # type: ignore[no-untyped-def]
    """The documents step's camera (``vision.camera``); failures surface when it opens, as CameraFailed."""
    from kiosk.vision.camera import open_source
    from kiosk.vision.step import CameraStep

    return CameraStep(lambda: open_source(settings.vision.camera), post_to_main_loop(session), session.photos)


def presence(settings: Settings, session):  # type: ignore[no-untyped-def]
    """Presence wake on the attract screen, with the BlazeFace model (``vision.presence_model``)."""
    from kiosk.vision.camera import open_source
    from kiosk.vision.presence import BlazeFaceDetector, PresenceDetector
    from kiosk.vision.watch import PresenceWatch

    model = settings.vision.presence_model or None
    return PresenceWatch(
        lambda: open_source(settings.vision.camera),
        lambda: PresenceDetector(BlazeFaceDetector(model)),
        post_to_main_loop(session),
    )
