"""A citizen's confirmed request, and the ids that travel with it."""

from __future__ import annotations

import os
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


TICKET_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def ticket_code(prefix: str, seq: int) -> str:
    """A short code a citizen can say or show: the service's letter and a 4-digit number, e.g. ``K-0427``.

    Unique per device for 10,000 requests of one service; central keys tickets by (device, code).
    """
    letter = prefix[:1].upper() if prefix[:1].upper() in TICKET_LETTERS else "A"
    return f"{letter}-{seq % 10000:04d}"
