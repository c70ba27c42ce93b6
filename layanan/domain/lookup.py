"""Ticket look-up at another kiosk: the kiosk asks the office about a ticket it does not have (issue 36).

Two small wire messages beside those of :mod:`layanan.domain.envelope`, in the same compact JSON:

- :class:`TicketAsk` on ``kiosk/v1/{device}/ask`` (device to central, QoS 1), signed by the device's key::

    {"v":1,"id":ASK_ID,"dev":DEVICE,"tk":TICKET,"lang":LANG,"sig":SIG_B64}

- :class:`TicketAnswer` on ``kiosk/v1/{device}/ans`` (central to device, QoS 1), signed by the office key for that
  device like an ack::

    {"v":1,"id":ASK_ID,"tk":TICKET,"ok":true,"svc":SERVICE,"st":STATUS,"day":"YYYY-MM-DD","dev":DEVICE,"sig":SIG_B64}

The answer holds no personal data: whether the office has the ticket, its service, its latest status text and the
day it was received. Pure: no MQTT, no database, signing passed in.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from layanan.domain.envelope import (
    _MSG_ID,
    SCHEMA_VERSION,
    EnvelopeError,
    OfficeSigned,
    Signer,
    Verifier,
    _b64d,
    _b64e,
    _check_version,
    _dumps,
    _get,
    _load_json,
    _office_signature,
    _text,
)

ASK_BYTES = 1024
"""Largest ask or answer; both are a few hundred bytes."""
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TICKET = re.compile(r"^(\d{7}|[A-Z]-\d{4})$")


def _ticket(obj: dict[str, Any]) -> str:
    ticket = _text(obj, "tk", "tk", 16)
    if not _TICKET.match(ticket):
        raise EnvelopeError("tk", "expected a ticket code: 7 digits, or an old code such as K-0427")
    return ticket


@dataclass(frozen=True)
class TicketAsk:
    """A kiosk asks the office about ``ticket``; ``msg_id`` pairs the answer with the question."""

    msg_id: str
    device_id: str
    ticket: str
    lang: str
    signature: bytes = b""

    def _wire(self) -> dict[str, Any]:
        return {
            "v": SCHEMA_VERSION,
            "id": self.msg_id,
            "dev": self.device_id,
            "tk": self.ticket,
            "lang": self.lang,
        }

    def canonical_bytes(self) -> bytes:
        return _dumps(self._wire())

    def signed(self, signer: Signer) -> TicketAsk:
        return dataclasses.replace(self, signature=signer(self.canonical_bytes()))

    def verify(self, verifier: Verifier) -> bool:
        return bool(self.signature) and verifier(self.canonical_bytes(), self.signature)

    def to_bytes(self) -> bytes:
        if not self.signature:
            raise EnvelopeError("sig", "the question is not signed; call signed() first")
        return _dumps({**self._wire(), "sig": _b64e(self.signature)})

    @classmethod
    def from_bytes(cls, data: bytes) -> TicketAsk:
        obj = _load_json(data, ASK_BYTES)
        _check_version(obj)
        msg_id = _text(obj, "id", "id", 36)
        if not _MSG_ID.match(msg_id):
            raise EnvelopeError("id", "expected a lower-case UUID")
        signature = _b64d(_get(obj, "sig", str, "sig"), "sig")
        if len(signature) != 64:
            raise EnvelopeError("sig", f"expected a 64-byte Ed25519 signature, got {len(signature)} bytes")
        return cls(
            msg_id, _text(obj, "dev", "dev", 40), _ticket(obj), _text(obj, "lang", "lang", 8), signature
        )


@dataclass(frozen=True)
class TicketAnswer(OfficeSigned):
    """The office's answer to a :class:`TicketAsk`: found or not, and then the service, status text and day."""

    msg_id: str
    ticket: str
    found: bool
    service_id: str = ""
    status: str = ""
    """The latest status the office sent for it (as on ``upd``); empty: no news yet."""
    date: str = ""
    """The day the office received it, ``YYYY-MM-DD`` (the office's time zone)."""
    device_id: str = ""
    """The kiosk that asked (signed)."""
    signature: bytes = b""

    def _wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"v": SCHEMA_VERSION, "id": self.msg_id, "tk": self.ticket, "ok": self.found}
        if self.found:
            wire.update({"svc": self.service_id, "st": self.status, "day": self.date})
        if self.device_id:
            wire["dev"] = self.device_id
        return wire

    @classmethod
    def from_bytes(cls, data: bytes) -> TicketAnswer:
        obj = _load_json(data, ASK_BYTES)
        _check_version(obj)
        found = _get(obj, "ok", bool, "ok")
        service = status = day = ""
        if found:
            service = _text(obj, "svc", "svc")
            status = str(_get(obj, "st", str, "st"))[:64]
            day = _text(obj, "day", "day", 10)
            if not _DAY.match(day):
                raise EnvelopeError("day", "expected YYYY-MM-DD")
        return cls(
            _text(obj, "id", "id", 36), _ticket(obj), found, service, status, day, *_office_signature(obj)
        )
