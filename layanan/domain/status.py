"""What the office says about a ticket, as the kiosk speaks it.

The office sends a ticket's status on ``upd`` as the state's word in the citizen's language, with the reason when
it refused ("Siap diambil", "Ditolak: Dokumen kurang": the ``[office]`` words of the language packs, see
docs/office-console.md). :func:`parse_status` turns that text back into the state and reason, and
:func:`status_keys` into fixed prompt keys, so the kiosk says the status aloud (with its pictogram) instead of
asking staff to read the screen. A text it does not know stays on screen and is said to be there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STATES = ("diterima", "diproses", "siap_diambil", "selesai", "ditolak")
"""The office's request states (docs/office-console.md)."""
REASONS = ("dokumen_kurang", "data_tidak_sesuai", "bukan_wewenang", "ganda", "lainnya")
"""Why the office refused a request."""
ICONS = {
    "diterima": "status_diterima",
    "diproses": "status_diproses",
    "siap_diambil": "status_siap",
    "selesai": "status_selesai",
    "kurang_dokumen": "status_kurang",
    "ditolak": "status_ditolak",
}
"""Status key -> its pictogram."""


@dataclass(frozen=True)
class TicketStatus:
    state: str | None = None
    """One of :data:`STATES`, or None for a text the kiosk does not know (or no news)."""
    reason: str | None = None
    """One of :data:`REASONS` when refused with a known reason."""

    @property
    def key(self) -> str | None:
        """The status's own key: a state, or ``kurang_dokumen`` for a refusal for a missing document."""
        if self.state == "ditolak" and self.reason == "dokumen_kurang":
            return "kurang_dokumen"
        return self.state


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())


def parse_status(text: str | None, words: Mapping[str, Mapping[str, str]]) -> TicketStatus:
    """``text`` as the office sent it; ``words``: each language's ``[office]`` table (``state.*``,
    ``reason.*``). The state's id itself ("siap_diambil", "siap diambil") is understood too."""
    if not text:
        return TicketStatus()
    head, _, tail = _norm(text).partition(":")
    head, tail = head.strip(), tail.strip()

    def find(kind: str, ids: tuple[str, ...], said: str) -> str | None:
        for ident in ids:
            names = {_norm(ident)} | {
                _norm(table[f"{kind}.{ident}"]) for table in words.values() if f"{kind}.{ident}" in table
            }
            if said in names:
                return ident
        return None

    state = find("state", STATES, head)
    reason = find("reason", REASONS, tail) if state == "ditolak" and tail else None
    return TicketStatus(state, reason)


def status_keys(status: TicketStatus, has_news: bool) -> tuple[str, ...]:
    """What the kiosk says about the status: fixed prompt keys, the reason of a refusal included."""
    if not has_news:
        return ("status.no_news",)
    key = status.key
    if key is None:
        return ("status.news",)
    if key == "ditolak":
        return ("status.ditolak", f"reason.{status.reason or 'lainnya'}")
    return (f"status.{key}",)
