"""One kiosk session: the flow's state plus the edges that carry out its effects (queue, speaker, staff bell).

The Kivy app and ``kiosk simulate`` both drive a :class:`KioskSession`; it is the only place where the pure flow
meets the imperative shell.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kiosk.outbox.store import QueuedRequest
from layanan.domain.events import (
    AskOffice,
    CallStaff,
    CameraFailed,
    CaptureNow,
    Effect,
    Event,
    LookUpTicket,
    NoAnswer,
    StartCamera,
    StopCamera,
    Submit,
    SubmitFailed,
    Submitted,
    TicketFound,
    TicketNotFound,
    TicketNotHere,
)
from layanan.domain.flow import Flow, State, Step
from layanan.domain.lookup import TicketAnswer
from layanan.domain.prompts import load_pack
from layanan.domain.status import parse_status

log = logging.getLogger(__name__)


class Speaker(Protocol):
    """Speaks prompt keys in a language (audio pack playback, or nothing when headless)."""

    def say(self, keys: tuple[str, ...], lang: str) -> None: ...

    def hush(self) -> None:
        """Stop the prompt playing now (the citizen pressed the talk button)."""
        ...


class Queue(Protocol):
    kiosk_code: str
    """The kiosk's 3-digit code, the start of its tickets."""

    def enqueue(self, request, files: Sequence[bytes] = ()) -> QueuedRequest: ...  # type: ignore[no-untyped-def]

    def find_ticket(self, number: str) -> QueuedRequest | None: ...


class OfficeAsker(Protocol):
    """Asks the office about a ticket made at another kiosk (``kiosk.outbox.ask``). ``reply`` is called once, from
    any thread: with the office's answer, or with None when it could not be asked or did not answer in time."""

    def ask(self, ticket: str, lang: str, reply: Callable[[TicketAnswer | None], None]) -> None: ...


class Camera(Protocol):
    """Guides a photo of one document; reports back through the session's ``dispatch`` (Captured, CameraHint,
    CameraFailed)."""

    def start(self, document: str, document_kind: str) -> None: ...

    def capture_now(self) -> None: ...

    def stop(self) -> None: ...


class SilentSpeaker:
    """Headless: remembers what would have been said (never logs it: read-backs carry personal digits)."""

    def __init__(self) -> None:
        self.said: list[tuple[str, ...]] = []
        self.hushed = 0

    def say(self, keys: tuple[str, ...], lang: str) -> None:
        self.said.append(keys)

    def hush(self) -> None:
        self.hushed += 1


@dataclass
class KioskSession:
    flow: Flow
    queue: Queue
    speaker: Speaker = field(default_factory=SilentSpeaker)
    on_staff: Callable[[str], None] = lambda screen: log.warning("staff called from screen %s", screen)
    on_change: Callable[[Step], None] = lambda step: None
    camera: Camera | None = None
    slips: Any = None
    """The ticket slips (:class:`kiosk.slip.TicketSlips`): printed, or shown on the ticket screen."""
    status_words: dict[str, Any] = field(default_factory=dict)
    """Each language's office words (``[office]`` of its pack): how a ticket's status text is read back. Empty:
    the packs of the flow's languages."""
    photos: dict[str, bytes] = field(default_factory=dict)
    """Encoded photos by attachment id, in memory only until the request is queued (then sealed)."""
    office: OfficeAsker | None = None
    """Asks the office about tickets this kiosk does not have; None: only the local queue is looked in."""
    post: Callable[[Event], object] | None = None
    """How an event from another thread (the office's answer) reaches the session; None: dispatched at once.
    The app posts it to Kivy's main loop."""
    strict: bool = True
    """Flow errors propagate (tests, ``kiosk simulate``). The kiosk app sets it False: a flow bug is logged,
    the citizen asked to try again and staff called, and the screen stays as it was (nothing is lost)."""
    state: State = field(init=False)
    last_queued: QueuedRequest | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.state = self.flow.start().state
        if not self.status_words:
            self.status_words = {lang: load_pack(lang).office for lang in self.flow.languages}

    def start(self) -> Step:
        step = self.flow.start()
        self._apply(step)
        return step

    def dispatch(self, event: Event) -> Step:
        try:
            step = self.flow.handle(self.state, event)
        except Exception as exc:
            if self.strict:
                raise
            return self._flow_failed(event, exc)
        self._apply(step)
        for effect in step.effects:
            follow = self._run(effect)
            if follow is not None:
                step = self.dispatch(follow)
        return step

    def _flow_failed(self, event: Event, exc: Exception) -> Step:
        """A bug in the flow: say where in the code, never the message (it may hold what was typed)."""
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error(
            "the flow failed on screen '%s' handling %s: %s at %s:%s; the screen stays, staff are called;"
            " please report this line",
            self.state.screen,
            type(event).__name__,
            type(exc).__name__,
            Path(where.filename).name,
            where.lineno,
        )
        self.on_staff("flow_error")
        step = Step(self.state, ("err.glitch",))
        self._apply(step)
        return step

    def _apply(self, step: Step) -> None:
        self.state = step.state
        if step.state.screen == "attract" and self.photos:
            self.photos.clear()  # cancelled or timed out: the photos go with the rest of the data
        if step.state.screen == "attract" and self.slips is not None:
            self.slips.forget()
        if step.say:
            self.speaker.say(step.say, step.lang or step.state.lang)
        self.on_change(step)

    def _run(self, effect: Effect) -> Event | None:
        if isinstance(effect, Submit):
            files = [self.photos[a] for a in effect.request.attachments if a in self.photos]
            try:
                queued = self.queue.enqueue(effect.request, files=files)
            except (
                Exception
            ) as exc:  # disk full, broken database: the citizen must hear it and staff must help
                log.error("queueing the request failed: %s", type(exc).__name__)
                self.on_staff("queue_failed")
                return SubmitFailed(type(exc).__name__)
            self.last_queued = queued
            self.photos.clear()
            printed = False
            if self.slips is not None:
                printed = self.slips.issue(queued.service_id, queued.ticket, effect.request.lang)
            return Submitted(queued.ticket, printed)
        if isinstance(effect, CallStaff):
            self.on_staff(effect.screen)
            return None
        if isinstance(effect, StartCamera):
            if self.camera is None:
                return CameraFailed("no camera on this kiosk")
            try:
                self.camera.start(effect.document, effect.document_kind)
            except Exception as exc:  # an unplugged camera must never stop the citizen
                log.error("camera failed to start: %s", exc)
                return CameraFailed(str(exc))
            return None
        if isinstance(effect, LookUpTicket):
            found = self.queue.find_ticket(effect.number)
            if found is not None:
                status = parse_status(found.status, self.status_words)
                return TicketFound(found.ticket, found.service_id, found.status, status.state, status.reason)
            if self.office is None:
                return TicketNotFound()
            number = effect.number
            return TicketNotHere(number if len(number) > 4 else self.queue.kiosk_code + number)
        if isinstance(effect, AskOffice):
            if self.office is None:
                return NoAnswer(effect.ticket)
            self.office.ask(effect.ticket, effect.lang, lambda answer: self._answered(effect.ticket, answer))
            return None
        if isinstance(effect, CaptureNow):
            if self.camera is not None:
                self.camera.capture_now()
            return None
        if isinstance(effect, StopCamera):
            if self.camera is not None:
                self.camera.stop()
            return None
        raise TypeError(f"unknown effect {effect!r}")

    def _answered(self, ticket: str, answer: TicketAnswer | None) -> None:
        """The office's answer about ``ticket`` (None: no answer in time, or offline), as an event for the flow."""
        event: Event
        if answer is None:
            event = NoAnswer(ticket)
        elif not answer.found:
            event = TicketNotFound(asked=ticket)
        else:
            status = parse_status(answer.status or None, self.status_words)
            event = TicketFound(
                answer.ticket,
                answer.service_id,
                answer.status or None,
                status.state,
                status.reason,
                answer.date,
                asked=ticket,
            )
        (self.post or self.dispatch)(event)
