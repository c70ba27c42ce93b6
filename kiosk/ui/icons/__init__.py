"""Pictograms for the kiosk: every choice on screen is a large picture, so citizens who read little can use
it.

``ICON_IDS`` names every icon; ``icon_path(id)`` gives its 256x256 RGBA PNG (transparent background, navy with
one accent colour, no letters). The PNGs are drawn by ``make_icons.py`` in this folder (numpy + OpenCV only):
``python -m tools.icons.make_icons`` regenerates them and ``contact_sheet.png``. This module imports
neither OpenCV nor Kivy, so the UI can look icons up cheaply.
"""

from __future__ import annotations

from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent
"""Folder holding the generated ``<id>.png`` files."""

SERVICE_ICONS = (
    "ktp", "ktp_new", "ktp_replace", "kk", "kk_new", "kk_change", "akta", "akta_lahir", "akta_kematian",
    "surat", "sk_domisili", "sktm", "sk_usaha", "pengantar_nikah", "bansos", "bansos_dtks",
    "bansos_complaint", "pengaduan", "call_staff",
)  # fmt: skip
ACTION_ICONS = (
    "ulang", "kembali", "batal", "bantuan", "ya", "tidak", "next", "speaker", "mic", "mic_off", "camera",
    "keypad_del", "home", "start",
)  # fmt: skip
OPTION_ICONS = (
    "opt_lost", "opt_damaged", "opt_member_add", "opt_member_remove", "opt_data_fix", "opt_school", "opt_health",
    "opt_shop", "opt_farming", "opt_fishing", "opt_crafts", "opt_aid_missing", "opt_aid_short", "opt_aid_wrong",
    "opt_road", "opt_water", "opt_electricity", "opt_service",
)  # fmt: skip
"""One picture per option of a choice field (catalog options never borrow a service's or an action's)."""
LANGUAGE_ICONS = ("lang_id", "lang_en")
FIELD_ICONS = ("nik", "phone", "rt_rw", "date", "name", "choice")
DOCUMENT_ICONS = (
    "doc_ktp_copy", "doc_ktp_deceased", "doc_aid_card", "doc_kk", "doc_kk_copy", "doc_police_report",
    "doc_supporting_letter", "doc_birth_letter", "doc_death_letter", "doc_birth_certificate",
    "doc_business_photo", "doc_house_photo", "doc_marriage", "doc_ktp", "doc_letter", "doc_photo", "doc_bring",
)  # fmt: skip
"""One picture per catalog document (the catalog check refuses two documents with one picture); ``doc_ktp``
and ``doc_letter`` are generic ones for other offices' catalogs, ``doc_photo`` the camera's "no document" hint and
``doc_bring`` the documents screen's own."""
HINT_ICONS = ("hint_closer", "hint_steady", "hint_light", "hint_glare", "hint_center", "hint_ok")
STAFF_ICONS = ("staff", "queue", "ticket", "staff_key")
STATUS_ICONS = (
    "status_diterima", "status_diproses", "status_siap", "status_selesai", "status_kurang", "status_ditolak",
)  # fmt: skip
"""What the office says about a ticket (its state, and a missing document)."""

ICON_IDS: tuple[str, ...] = (
    SERVICE_ICONS
    + ACTION_ICONS
    + LANGUAGE_ICONS
    + FIELD_ICONS
    + DOCUMENT_ICONS
    + HINT_ICONS
    + STAFF_ICONS
    + STATUS_ICONS
    + OPTION_ICONS
)
"""Every icon id; the file is ``<id>.png`` in :data:`ICON_DIR`. ``bantuan`` and ``call_staff`` look alike."""


class UnknownIconError(KeyError):
    """Raised for an icon id that is not in :data:`ICON_IDS`."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown icon"


def icon_path(icon_id: str) -> Path:
    """The PNG file of ``icon_id``; raises :class:`UnknownIconError` naming the known ids if it is unknown."""
    if icon_id not in ICON_IDS:
        raise UnknownIconError(
            f"unknown icon id {icon_id!r}; use one of kiosk.ui.icons.ICON_IDS ({', '.join(ICON_IDS)}) "
            "or add it to ICON_IDS and draw it in tools/icons/make_icons.py"
        )
    return ICON_DIR / f"{icon_id}.png"
