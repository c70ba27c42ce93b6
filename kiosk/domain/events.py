"""What the flow takes (events) and what it asks of the shell (effects): small frozen messages."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.request import Request


@dataclass(frozen=True)
class Tap:
    """A tap on an element id (``cat:ktp``, ``key:5``, ``ya``, ``kembali`` ...)."""

    target: str


@dataclass(frozen=True)
class Spoken:
    """Words a recognizer heard, lower case."""

    text: str


@dataclass(frozen=True)
class Idle:
    """Seconds since the last input; the shell sends it from a timer."""

    seconds: float


@dataclass(frozen=True)
class Presence:
    """Somebody stands in front of the kiosk (camera presence wake)."""


@dataclass(frozen=True)
class Submitted:
    """The request is durably queued under this ticket code."""

    ticket: str


@dataclass(frozen=True)
class SubmitFailed:
    """The request could not be queued (disk full, database broken); staff must help."""

    reason: str


Event = Tap | Spoken | Idle | Presence | Submitted | SubmitFailed


@dataclass(frozen=True)
class Submit:
    """Queue this request durably, then send ``Submitted(ticket)`` back."""

    request: Request
    ticket_letter: str


@dataclass(frozen=True)
class CallStaff:
    """Ring for village staff; ``screen`` tells them where the citizen is stuck."""

    screen: str


Effect = Submit | CallStaff
