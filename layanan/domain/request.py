"""A citizen's confirmed request, and the ids that travel with it."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def new_msg_id(now_ms: int | None = None, rand: bytes | None = None) -> str:
    """A UUIDv7 (time-ordered) string: the request's id everywhere, and central's de-duplication key."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rb = os.urandom(10) if rand is None else rand
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (int.from_bytes(rb[:2], "big") & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= int.from_bytes(rb[2:10], "big") & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class Request:
    """What a citizen confirmed. ``fields`` and ``documents`` are personal data: seal them before storing."""

    service_id: str
    lang: str
    fields: Mapping[str, str] = field(default_factory=dict)
    documents: tuple[str, ...] = ()
    """Documents the citizen will bring or has photographed (ids from the catalog)."""
    attachments: tuple[str, ...] = ()
    """Ids of photos captured for this request (sent as attachment chunks)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def personal(self) -> dict[str, Any]:
        """The part that is sealed to the central office."""
        return {"fields": dict(self.fields), "documents": list(self.documents)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "service_id": self.service_id,
            "lang": self.lang,
            "fields": dict(self.fields),
            "documents": list(self.documents),
            "attachments": list(self.attachments),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Request:
        return cls(
            service_id=str(data["service_id"]),
            lang=str(data["lang"]),
            fields={str(k): str(v) for k, v in dict(data.get("fields", {})).items()},
            documents=tuple(str(d) for d in data.get("documents", ())),
            attachments=tuple(str(a) for a in data.get("attachments", ())),
        )


KIOSK_CODE_DIGITS = 3
TICKET_NUMBER_DIGITS = 4
DEFAULT_KIOSK_CODE = "001"
"""The kiosk code of the demo and of tests (embedded defaults); ``kiosk-provision init`` sets a real one."""

_OLD_TICKET = re.compile(r"^([A-Z])-?(\d{4})$")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.]+")


class TicketCodeError(ValueError):
    """What a citizen, a clerk or a technician typed is not a ticket code; the message says what one looks like."""


def check_kiosk_code(code: str) -> str:
    """``code`` if it is a kiosk code: exactly 3 digits, 001 to 999 (unique within an office); else ValueError."""
    text = str(code).strip()
    if len(text) != KIOSK_CODE_DIGITS or not text.isascii() or not text.isdigit() or text == "000":
        raise ValueError(
            f"kiosk code {code!r} is not 3 digits from 001 to 999; give each kiosk of the office its own, "
            "e.g. 001, 002 (it begins every ticket of that kiosk)"
        )
    return text


def ticket_code(kiosk_code: str, seq: int) -> str:
    """The ticket of the request numbered ``seq`` on the kiosk ``kiosk_code``: 7 digits, e.g. ``1230427``.

    Digits only: a citizen who cannot read types it on the kiosk's own digit keypad, and says it as two groups
    (``123 0427``, :func:`format_ticket`). Unique within an office while kiosk codes are (for 10,000 requests
    of a kiosk; then the number wraps and the newest request with that code is the one meant)."""
    return f"{check_kiosk_code(kiosk_code)}{seq % 10**TICKET_NUMBER_DIGITS:0{TICKET_NUMBER_DIGITS}d}"


def is_old_ticket(code: str) -> bool:
    """A ticket of the old format (``K-0427``: a service letter and 4 digits, unique per kiosk only)."""
    return bool(_OLD_TICKET.match(code))


def format_ticket(code: str) -> str:
    """How a ticket is shown and said: ``1230427`` -> ``123 0427``; an old ``K-0427`` stays as it is."""
    if len(code) == KIOSK_CODE_DIGITS + TICKET_NUMBER_DIGITS and code.isascii() and code.isdigit():
        return f"{code[:KIOSK_CODE_DIGITS]} {code[KIOSK_CODE_DIGITS:]}"
    return code


def normalize_ticket(text: str) -> str:
    """A typed or spoken ticket as stored: spaces and hyphens dropped (``123 0427`` -> ``1230427``), an old code
    in its stored form (``k0427`` -> ``K-0427``), or the 4-digit number alone (a ticket of this very kiosk).
    :class:`TicketCodeError` says what a ticket looks like otherwise."""
    raw = _SEPARATORS.sub("", str(text)).upper()
    if (
        raw.isascii()
        and raw.isdigit()
        and len(raw) in (TICKET_NUMBER_DIGITS, KIOSK_CODE_DIGITS + TICKET_NUMBER_DIGITS)
    ):
        return raw
    old = _OLD_TICKET.match(raw)
    if old:
        return f"{old.group(1)}-{old.group(2)}"
    raise TicketCodeError(
        f"{str(text)[:20]!r} is not a ticket code; a ticket is 7 digits as printed on the slip (e.g. 123 0427), "
        "or the 4 digits after the kiosk code on that kiosk, or an older code such as K-0427"
    )
