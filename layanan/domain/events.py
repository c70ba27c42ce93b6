"""What the flow takes (events) and what it asks of the shell (effects): small frozen messages."""

from __future__ import annotations

from dataclasses import dataclass

from layanan.domain.request import Request


@dataclass(frozen=True)
class Tap:
    """A tap on an element id (``cat:ktp``, ``key:5``, ``ya``, ``kembali`` ...)."""

    target: str


@dataclass(frozen=True)
class Spoken:
    """Words a recognizer heard, lower case. ``asked``: the citizen pressed the talk button to be heard (held it
    while speaking, or tapped it just before), so when no word was recognized (``text`` empty) the kiosk asks
    them again. Heard hands-free, an empty text is the room's noise and gets no answer."""

    text: str
    asked: bool = False


@dataclass(frozen=True)
class Idle:
    """Seconds since the last input; the shell sends it from a timer."""

    seconds: float


@dataclass(frozen=True)
class Presence:
    """Somebody stands in front of the kiosk (camera presence wake)."""


@dataclass(frozen=True)
class Submitted:
    """The request is durably queued under this ticket code; ``printed``: its slip came out of the printer
    (else the ticket screen shows the slip to photograph)."""

    ticket: str
    printed: bool = False


@dataclass(frozen=True)
class SubmitFailed:
    """The request could not be queued (disk full, database broken); staff must help."""

    reason: str


@dataclass(frozen=True)
class Captured:
    """The camera step produced a usable photo of ``document``, stored sealed under ``attachment_id``."""

    document: str
    attachment_id: str


@dataclass(frozen=True)
class CameraHint:
    """What the citizen should change for a usable photo: a hint id of ``kiosk.vision.quality.HINTS`` (``too_small``,
    ``motion`` ...); its sentence is the language pack's ``camera.<hint>`` prompt."""

    hint: str


@dataclass(frozen=True)
class CameraFailed:
    """No camera, unplugged, or unreadable frames: the citizen goes on without the photo and staff are told."""

    reason: str


@dataclass(frozen=True)
class TicketFound:
    """The local queue (or the office, asked over MQTT) knows this ticket: its service and the latest status
    central sent (None: no news yet)."""

    ticket: str
    service_id: str
    status: str | None
    state: str | None = None
    """The status read as the office's state (:mod:`layanan.domain.status`), None when unknown or no news."""
    reason: str | None = None
    """Why the office refused it, when it did and said why."""
    date: str = ""
    """The day the office received it (``YYYY-MM-DD``), when the office answered."""
    asked: str = ""
    """The ticket the office was asked about (its answer); empty when the local queue answered."""


@dataclass(frozen=True)
class TicketNotFound:
    """No ticket with that number on this kiosk, nor at the office when it was asked (``asked``)."""

    asked: str = ""


@dataclass(frozen=True)
class TicketNotHere:
    """The ticket is not in this kiosk's queue (made at another kiosk, or before its SD card was replaced): the
    office can be asked. ``ticket`` is the whole 7-digit code."""

    ticket: str
    asked: str = ""


@dataclass(frozen=True)
class NoAnswer:
    """The office could not be asked about ``asked`` (offline) or did not answer in time: "belum ada kabar"."""

    asked: str


VOICE_PROBLEMS = {"microphone": "microphone", "model": "voice_off"}
"""What can stop voice input -> the error (and ``err.*`` prompt) the citizen is shown."""


@dataclass(frozen=True)
class VoiceUnavailable:
    """The citizen tried to speak (pressed the microphone button, or talked) but voice input cannot work:
    ``what`` is "microphone" (none, or unplugged) or "model" (no speech model for this language, or it could
    not load). The flow says so and points to the touch screen. ``asked``: the citizen pressed the talk button,
    and is always answered; talk heard hands-free (not asked, as for ``Spoken``: perhaps people behind them) is
    answered only when the screen does not already show that message, so chatter does not repeat it."""

    what: str
    asked: bool = False

    def __post_init__(self) -> None:
        if self.what not in VOICE_PROBLEMS:
            raise ValueError(
                f"VoiceUnavailable: what must be one of {sorted(VOICE_PROBLEMS)}, not {self.what!r}"
            )


@dataclass(frozen=True)
class RoomBusy:
    """People are talking around the kiosk (``kiosk.speech.room``): voice now counts only while the talk button
    is held, and the citizen is asked to hold it. Sent once per citizen, and not on the attract screen."""


Event = (
    Tap
    | Spoken
    | Idle
    | Presence
    | Submitted
    | SubmitFailed
    | Captured
    | CameraHint
    | CameraFailed
    | TicketFound
    | TicketNotFound
    | TicketNotHere
    | NoAnswer
    | VoiceUnavailable
    | RoomBusy
)


@dataclass(frozen=True)
class Submit:
    """Queue this request durably, then send ``Submitted(ticket)`` back."""

    request: Request


@dataclass(frozen=True)
class CallStaff:
    """Ring for village staff; ``screen`` tells them where the citizen is stuck."""

    screen: str


@dataclass(frozen=True)
class StartCamera:
    """Open the camera and guide the citizen to a photo of ``document`` (a catalog document id); its
    ``document_kind`` (ktp, card, kk, letter) decides the card or A4 warp."""

    document: str
    document_kind: str


@dataclass(frozen=True)
class CaptureNow:
    """The citizen pressed the big camera button: take the photo now, whatever the hints say."""


@dataclass(frozen=True)
class StopCamera:
    """Close the camera (photo taken, or the citizen went back)."""


@dataclass(frozen=True)
class LookUpTicket:
    """Find a ticket in the local queue: ``number`` is its 7 digits (``1230427``) or, for a ticket of this kiosk,
    the last 4 (``0427``). Answered by ``TicketFound``, ``TicketNotFound`` or ``TicketNotHere``."""

    number: str


@dataclass(frozen=True)
class AskOffice:
    """Ask the office about a ticket made elsewhere (``kiosk/v1/{device}/ask``); the answer comes back later as
    ``TicketFound``, ``TicketNotFound`` or ``NoAnswer``."""

    ticket: str
    lang: str


Effect = Submit | CallStaff | StartCamera | CaptureNow | StopCamera | LookUpTicket | AskOffice
