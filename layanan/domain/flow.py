"""The citizen's flow as a pure state machine: ``handle(state, event) -> Step(state, say, effects)``.

Screens: attract -> language -> category -> service -> field (one per catalog field) -> documents -> review ->
ticket -> attract. Global actions on every screen but attract: ``ulang`` (repeat the prompt), ``kembali`` (back),
``batal`` (cancel, wipe), ``bantuan`` (call staff). A choice is made in two steps (low-literacy rule): the first tap
or spoken word highlights it and speaks it, a second tap on it or ``ya`` selects it. Numbers are entered on the
keypad or spoken digit by digit; ``ulang`` while dictating drops the last spoken group (words before it in the
same utterance are dropped too, digits after it are the group said again).

What is said is a tuple of prompt keys (see :mod:`layanan.domain.prompts`); effects ask the shell to submit the
request or call staff. Kivy screens, ``kiosk simulate`` and the tests all drive this one machine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from layanan.domain import validation
from layanan.domain.catalog import Catalog, FieldSpec
from layanan.domain.events import (
    VOICE_PROBLEMS,
    AskOffice,
    CallStaff,
    CameraFailed,
    CameraHint,
    Captured,
    CaptureNow,
    Effect,
    Event,
    Idle,
    LookUpTicket,
    NoAnswer,
    Presence,
    RoomBusy,
    Spoken,
    StartCamera,
    StopCamera,
    Submit,
    SubmitFailed,
    Submitted,
    Tap,
    TicketFound,
    TicketNotFound,
    TicketNotHere,
    VoiceUnavailable,
)
from layanan.domain.prompts import camera_hint_key
from layanan.domain.request import KIOSK_CODE_DIGITS, TICKET_NUMBER_DIGITS, Request
from layanan.domain.status import TicketStatus, status_keys
from layanan.domain.words import COMMANDS, DIGITS, number_words

GLOBAL_TARGETS = ("ulang", "kembali", "batal", "bantuan")
NOTHING_TO_WIPE = ("attract", "ticket", "status")
"""Screens where ``batal`` only leaves: nothing entered there, so it acts on the first tap."""
KEYPAD_HINT_AFTER = 2
"""After this many spoken groups taken back on one screen the kiosk says, once, that the keypad works too: in
a loud room a group can take several tries (the babble voice scenarios: 1.6 takes a group)."""
KEYPAD = tuple(f"key:{d}" for d in "1234567890") + ("key:del",)
TICKET_DIGITS = KIOSK_CODE_DIGITS + TICKET_NUMBER_DIGITS
"""A ticket is typed whole (7 digits, ``123 0427``) or, at the kiosk that made it, as its last 4."""
NUMERIC_KINDS = ("nik", "kk", "phone", "digits", "date")
COMPLETE_GOES_ON = ("nik", "kk")
"""Numbers of a fixed length (16 digits): typed to the last digit, they are checked at once and, if right, the
kiosk goes on by itself (no confirm tap; the review shows them all and each line can be tapped to fix it)."""


@dataclass(frozen=True)
class State:
    """Everything the kiosk shows now. ``values`` and ``entry`` are personal data: never log them."""

    screen: str = "attract"
    lang: str = "id"
    category: str | None = None
    service: str | None = None
    field_index: int = 0
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    entry: str = ""
    groups: tuple[int, ...] = ()
    documents: tuple[str, ...] = ()
    highlighted: str | None = None
    error: str | None = None
    warning: bool = False
    staff_called: bool = False
    hold_to_talk: bool = False
    """The room is busy: the banner asks the citizen to hold the talk button (until their next tap or word)."""
    redos: int = 0
    """Spoken groups taken back with "ulang" on this screen; from :data:`KEYPAD_HINT_AFTER` the keypad is offered."""
    camera_document: str | None = None
    """The document being photographed on the camera screen."""
    photos: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Document id -> attachment id of its photo."""
    hint: str | None = None
    status: str | None = None
    """On the ticket-status screen: what central last said about the ticket ("" when there is no news yet)."""
    status_state: str | None = None
    status_reason: str | None = None
    """That status read as the office's state and reason (:mod:`layanan.domain.status`), when known."""
    status_date: str = ""
    """The day the office received the ticket (``YYYY-MM-DD``), when the office was asked about it."""
    asking: str = ""
    """On the ticket-status screen: the ticket the kiosk is asking the office about (made elsewhere)."""
    submitting: bool = False
    ticket: str | None = None
    printed: bool = False
    """On the ticket screen: the slip was printed (else the screen shows it to photograph)."""
    contact: bool = False
    """On the ticket screen: the citizen gave a phone number, so staff can call (and the kiosk says so)."""
    advanced: bool = False
    """The last digit of a 16-digit number moved the kiosk on by itself: a habitual confirm tap right after it
    repeats the new screen's prompt instead of refusing an empty number."""
    editing: bool = False
    """A field (or the documents) opened from the review by tapping its line: done, it goes back to the review."""
    armed: str | None = None
    """A control that changes or destroys data (``batal``, ``lewati``) tapped once: it has said what it will do,
    and a second tap on it (or ``ya``) does it; any other input disarms it."""

    def with_(self, **changes: object) -> State:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Step:
    state: State
    say: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    lang: str | None = None
    """The language to say it in when it is not the new state's (the farewell of a session that ends)."""


class Flow:
    """The state machine over one catalog; timeouts in seconds of no input."""

    def __init__(
        self,
        catalog: Catalog,
        languages: tuple[str, ...] = ("id", "en"),
        warn_s: float = 45,
        reset_s: float = 75,
    ) -> None:
        self.catalog = catalog
        self.languages = languages
        self.warn_s, self.reset_s = warn_s, reset_s
        self._screens: dict[str, Callable[[State, str], Step]] = {
            "attract": self._on_attract,
            "language": self._on_choice,
            "category": self._on_choice,
            "service": self._on_choice,
            "field": self._on_field,
            "documents": self._on_documents,
            "camera": self._on_camera,
            "review": self._on_review,
            "ticket": self._on_ticket,
            "status": self._on_status,
        }

    # ------------------------------------------------------------------ public API

    def start(self, lang: str | None = None) -> Step:
        state = State(lang=lang or self.languages[0])
        return Step(state, self.prompt(state))

    def handle(self, state: State, event: Event) -> Step:
        if isinstance(event, Idle):
            return self._on_idle(state, event.seconds)
        if isinstance(event, Presence):
            return Step(state, ("screen.attract",)) if state.screen == "attract" else Step(state)
        if isinstance(event, Submitted):
            return self._on_submitted(state, event)
        if isinstance(event, SubmitFailed):
            return Step(state.with_(submitting=False, error="queue.failed"), ("err.queue.failed",))
        if isinstance(event, Captured | CameraHint | CameraFailed):
            return self._on_camera_event(state, event)
        if isinstance(event, TicketFound | TicketNotFound | TicketNotHere | NoAnswer):
            return self._on_lookup(state, event)
        if isinstance(event, RoomBusy):
            if state.screen == "attract":  # nobody to tell
                return Step(state)
            return Step(state.with_(hold_to_talk=True), ("hint.hold_to_talk",))
        if isinstance(event, VoiceUnavailable):
            error = VOICE_PROBLEMS[event.what]
            if not event.asked and state.error == error:
                return Step(state, ())  # on screen already; the room's chatter must not repeat it
            return Step(state.with_(error=error), (f"err.{error}",))
        advanced = state.advanced
        state = state.with_(warning=False, staff_called=False, hold_to_talk=False, advanced=False)
        if advanced and isinstance(event, Tap) and event.target == "ya":
            return Step(state, self.prompt(state))  # the habitual confirm right after the number moved on
        if isinstance(event, Spoken):
            return self._on_spoken(state, event.text, event.asked)
        if isinstance(event, Tap):
            return self._on_tap(state, event.target)
        raise TypeError(f"unknown event {event!r}")

    def targets(self, state: State) -> tuple[str, ...]:
        """Element ids that can be tapped on this screen (``kiosk simulate --targets`` lists them)."""
        if state.screen == "attract":
            return ("start", "tiket", "ulang")
        local: tuple[str, ...]
        if state.screen in ("language", "category", "service"):
            local = self.choices(state) + ("ya",)
        elif state.screen == "field":
            spec = self.current_field(state)
            if spec.kind == "choice":
                local = tuple(f"opt:{o.id}" for o in spec.options) + ("ya",)
            else:
                local = KEYPAD + ("ya",) + (("lewati",) if spec.optional else ())
        elif state.screen == "documents":
            docs = self._service(state).documents
            local = tuple(f"doc:{d}" for d in docs) + tuple(f"foto:{d}" for d in docs) + ("ya",)
        elif state.screen == "camera":
            local = ("foto",)
        elif state.screen == "review":
            local = ("ya", "tidak", *self.review_lines(state))
        elif state.screen == "status":
            local = ("selesai",) if state.ticket else KEYPAD + ("ya",)
        else:
            local = ("selesai",)
        return local + GLOBAL_TARGETS

    def vocabulary(self, state: State) -> tuple[str, ...]:
        """Words a recognizer should listen for on this screen."""
        words = set(COMMANDS)
        if state.screen == "attract":
            return tuple(sorted(words | set(DIGITS)))  # any word wakes the kiosk
        if state.screen in ("language", "category", "service", "documents") or (
            state.screen == "field" and self.current_field(state).kind == "choice"
        ):
            words |= set(number_words(len(self.choices(state))))
        if (state.screen == "field" and self.current_field(state).kind in NUMERIC_KINDS) or (
            state.screen == "status" and not state.ticket
        ):
            words |= set(DIGITS)
        return tuple(sorted(words))

    def choices(self, state: State) -> tuple[str, ...]:
        if state.screen == "language":
            return tuple(f"lang:{lang}" for lang in self.languages)
        if state.screen == "category":
            return tuple(f"cat:{c.id}" for c in self.catalog.categories)
        if state.screen == "service":
            return tuple(f"svc:{s.id}" for s in self.catalog.services_in(state.category or ""))
        if state.screen == "field" and self.current_field(state).kind == "choice":
            return tuple(f"opt:{o.id}" for o in self.current_field(state).options)
        if state.screen == "documents":  # "satu" says the first document, "ya" then marks it
            return tuple(f"doc:{d}" for d in self._service(state).documents)
        return ()

    def current_field(self, state: State) -> FieldSpec:
        return self.catalog.fields[self._service(state).fields[state.field_index]]

    def prompt(self, state: State) -> tuple[str, ...]:
        """What the screen says when it opens or when ``ulang`` is pressed."""
        if state.screen == "field":
            return (f"field:{self.current_field(state).id}:prompt",)
        if state.screen == "service" and state.category:
            return (f"cat:{state.category}:prompt", "screen.service")
        if state.screen == "review":
            return self._review_text(state)
        if state.screen == "ticket":
            return (
                "screen.ticket",
                *spell_ticket(state.ticket or ""),
                f"svc:{state.service}:done",
                "done.phone" if state.contact else "done.no_phone",
                "slip.printed" if state.printed else "slip.photo",
            )
        if state.screen == "camera":
            return ("screen.camera", f"doc:{state.camera_document}")
        if state.screen == "status" and state.ticket:
            return self._status_text(state)
        if state.screen == "language":  # asked in every language offered, each in its own voice
            return ("screen.language", *(in_language("screen.language", lang) for lang in self.languages[1:]))
        return (f"screen.{state.screen}",)

    def review_lines(self, state: State) -> tuple[str, ...]:
        """The review's lines, each an element that opens its field (or the documents) to change it alone."""
        if not state.service:
            return ()
        fields = tuple(f"edit:{fid}" for fid in self._service(state).fields if fid in state.values)
        return fields + (("edit:documents",) if self._service(state).documents else ())

    def request(self, state: State) -> Request:
        return Request(
            state.service or "", state.lang, dict(state.values), state.documents, tuple(state.photos.values())
        )

    # ------------------------------------------------------------------ screens

    def _service(self, state: State):  # type: ignore[no-untyped-def]
        return self.catalog.services[state.service or ""]

    def _go(self, state: State, screen: str, **changes: object) -> Step:
        new = state.with_(screen=screen, highlighted=None, error=None, redos=0, armed=None, **changes)
        return Step(new, self.prompt(new))

    def _on_attract(self, state: State, target: str) -> Step:
        if target == "tiket":
            return self._go(state, "status", entry="")
        if target != "start":
            return self._unknown(state, target)
        if len(self.languages) == 1:
            return self._go(state, "category")
        return self._go(state, "language")

    def _on_choice(self, state: State, target: str) -> Step:
        if target == "ya":
            if state.highlighted is None:
                return Step(state, ("err.choose_first",))
            target = state.highlighted
        elif target not in self.choices(state):
            return self._unknown(state, target)
        elif state.highlighted != target:
            return Step(state.with_(highlighted=target, error=None), self._describe(state, target))
        return self._select(state, target)

    def _select(self, state: State, target: str) -> Step:
        kind, _, value = target.partition(":")
        if kind == "lang":
            return self._go(state.with_(lang=value), "category")
        if kind == "cat":
            services = self.catalog.services_in(value)
            if len(services) == 1:
                return self._begin_service(state.with_(category=value), services[0].id)
            return self._go(state.with_(category=value), "service")
        if kind == "svc":
            return self._begin_service(state, value)
        # a choice field's option
        spec = self.current_field(state)
        return self._next_field(state.with_(values=_put(state.values, spec.id, value)))

    def _begin_service(self, state: State, service_id: str) -> Step:
        if service_id != state.service:  # another service: what was entered for the last one goes
            state = state.with_(values=MappingProxyType({}), documents=(), photos=MappingProxyType({}))
        state = state.with_(service=service_id, field_index=0, entry="", groups=())
        if not self.catalog.services[service_id].fields:
            return self._go(state, "documents")
        return self._open_field(state, 0)

    def _open_field(self, state: State, index: int, editing: bool = False) -> Step:
        """Open field ``index`` showing what was stored for it (typed digits, or the chosen option highlighted)."""
        fid = self._service(state).fields[index]
        stored = state.values.get(fid, "")
        kind = self.catalog.fields[fid].kind
        step = self._go(
            state,
            "field",
            field_index=index,
            entry="" if kind == "choice" else stored,
            groups=(),
            editing=editing,
        )
        if kind == "choice" and stored:
            return Step(step.state.with_(highlighted=f"opt:{stored}"), step.say)
        return step

    def _describe(self, state: State, target: str) -> tuple[str, ...]:
        kind, _, value = target.partition(":")
        if kind == "lang":
            return (f"lang:{value}:name",)
        if kind == "opt":
            return (f"opt:{self.current_field(state).id}:{value}", "hint.confirm")
        return (f"{kind}:{value}:title", f"{kind}:{value}:prompt", "hint.confirm")

    def _on_field(self, state: State, target: str) -> Step:
        spec = self.current_field(state)
        if spec.kind == "choice":
            return self._on_choice(state, target)
        if target.startswith("key:") and target in KEYPAD:
            key = target[4:]
            if key == "del":
                return Step(state.with_(entry=state.entry[:-1], groups=(), error=None), ("key.del",))
            if len(state.entry) >= spec.max_len:
                return Step(state.with_(error=f"{spec.kind}.too_long"), (f"err.{spec.kind}.too_long",))
            typed = state.with_(entry=state.entry + key, groups=(), error=None)
            if spec.kind in COMPLETE_GOES_ON and len(typed.entry) == spec.max_len:
                done = self._finish_field(typed, spec)
                # on to the next field: a habitual confirm tap there must not refuse its empty number
                moved = done.state.with_(
                    advanced=done.state.screen == "field" and done.state.field_index != state.field_index
                )
                return Step(moved, (f"digit:{key}", *done.say), done.effects)
            return Step(typed, (f"digit:{key}",))
        if target == "ya":
            return self._finish_field(state, spec)
        return self._unknown(state, target)

    def _finish_field(self, state: State, spec: FieldSpec) -> Step:
        value = state.entry
        if spec.kind == "phone":
            value = validation.normalize_phone(value)
        error = _CHECKS[spec.kind](value, spec)
        if error:
            return Step(state.with_(error=error), (f"err.{error}",))
        return self._next_field(state.with_(values=_put(state.values, spec.id, value)))

    def _next_field(self, state: State) -> Step:
        if state.editing:  # a line of the review was changed: back to the review
            return self._go(state, "review", entry="", groups=(), editing=False)
        fields = self._service(state).fields
        if state.field_index + 1 < len(fields):
            return self._open_field(state, state.field_index + 1)
        return self._go(state, "documents", entry="", groups=())

    def _on_documents(self, state: State, target: str) -> Step:
        if target == "ya":
            if state.highlighted:  # "ya" confirms the document tapped once, as on the picture screens
                return self._toggle_document(state.with_(highlighted=None), state.highlighted[4:])
            return self._go(state, "review", editing=False)
        docs = self._service(state).documents
        doc = target.partition(":")[2]
        if target.startswith("foto:") and doc in docs:
            new = state.with_(screen="camera", camera_document=doc, hint=None, highlighted=None, error=None)
            return Step(new, self.prompt(new), (StartCamera(doc, self.catalog.documents[doc].kind),))
        if not target.startswith("doc:") or doc not in docs:
            return self._unknown(state, target)
        if state.highlighted != target:  # the first tap says what it is and what a second tap will do
            hint = "doc.hint_unmark" if doc in state.documents else "doc.hint_mark"
            return Step(state.with_(highlighted=target, error=None), (f"doc:{doc}", hint))
        return self._toggle_document(state.with_(highlighted=None), doc)

    def _toggle_document(self, state: State, doc: str) -> Step:
        if doc in state.documents:
            return Step(
                state.with_(documents=tuple(d for d in state.documents if d != doc)),
                (f"doc:{doc}", "doc.unmarked"),
            )
        return Step(state.with_(documents=(*state.documents, doc)), (f"doc:{doc}", "doc.marked"))

    def _on_camera(self, state: State, target: str) -> Step:
        if target == "foto":
            return Step(state, ("camera.capturing",), (CaptureNow(),))
        return self._unknown(state, target)

    def _on_camera_event(self, state: State, event: Captured | CameraHint | CameraFailed) -> Step:
        if state.screen != "camera":
            return Step(state)
        if isinstance(event, CameraHint):
            if event.hint == state.hint:
                return Step(state)
            return Step(state.with_(hint=event.hint), (camera_hint_key(event.hint),))
        if isinstance(event, CameraFailed):
            back = self._go(state, "documents", camera_document=None, hint=None)
            return Step(
                back.state.with_(error="camera"), ("err.camera",), (StopCamera(), CallStaff("camera"))
            )
        doc = state.camera_document or event.document
        documents = state.documents if doc in state.documents else (*state.documents, doc)
        photos = _put(state.photos, doc, event.attachment_id)
        back = self._go(
            state, "documents", camera_document=None, hint=None, documents=documents, photos=photos
        )
        return Step(back.state, ("camera.taken", f"doc:{doc}"), (StopCamera(),))

    def _on_review(self, state: State, target: str) -> Step:
        if target == "ya":
            if state.submitting:
                return Step(state)
            request = self.request(state)
            return Step(state.with_(submitting=True), ("screen.submitting",), (Submit(request),))
        if target == "tidak":
            if not self._service(state).fields:
                return self._go(state, "documents")
            return self._open_field(state, 0)
        if target == "edit:documents" and target in self.review_lines(state):
            return self._go(state, "documents", editing=True)
        if target.startswith("edit:") and target in self.review_lines(state):
            return self._open_field(state, self._service(state).fields.index(target[5:]), editing=True)
        return self._unknown(state, target)

    def _on_submitted(self, state: State, event: Submitted) -> Step:
        if not state.submitting:
            return Step(state)
        phones = [f for f in self._service(state).fields if self.catalog.fields[f].kind == "phone"]
        # keep only what the ticket screen needs; the personal data now lives sealed in the queue
        return self._go(
            State(lang=state.lang, service=state.service, category=state.category),
            "ticket",
            ticket=event.ticket,
            printed=event.printed,
            contact=any(state.values.get(f) for f in phones),
        )

    def _on_status(self, state: State, target: str) -> Step:
        """Ticket status: type the ticket's 7 digits (or the last 4 at the kiosk that made it), hear what central
        last said about it."""
        if state.ticket:
            if target == "selesai":
                return self._home(state, ("screen.goodbye",))
            return self._unknown(state, target)
        if state.asking and target in (*KEYPAD, "ya"):
            return Step(state, ("status.asking",))  # the office is being asked: wait for its answer
        if target in KEYPAD:
            key = target[4:]
            if key == "del":
                return Step(state.with_(entry=state.entry[:-1], error=None), ("key.del",))
            if len(state.entry) >= TICKET_DIGITS:
                return Step(state, ("err.status.length",))
            return Step(state.with_(entry=state.entry + key, error=None), (f"digit:{key}",))
        if target == "ya":
            if len(state.entry) not in (TICKET_NUMBER_DIGITS, TICKET_DIGITS):
                return Step(state.with_(error="status.length"), ("err.status.length",))
            return Step(state, (), (LookUpTicket(state.entry),))
        return self._unknown(state, target)

    def _on_lookup(
        self, state: State, event: TicketFound | TicketNotFound | TicketNotHere | NoAnswer
    ) -> Step:
        """What the local queue or the office said about the ticket typed. An answer that comes after the citizen
        left the screen (the office is asked in the background) changes nothing."""
        if state.screen != "status" or state.ticket or event.asked != state.asking:
            return Step(state)
        if isinstance(event, TicketNotHere):
            asking = state.with_(asking=event.ticket, error=None)
            return Step(asking, ("status.asking",), (AskOffice(event.ticket, state.lang),))
        if isinstance(event, NoAnswer):
            return Step(state.with_(asking="", error="status.no_answer", entry=""), ("err.status.no_answer",))
        if isinstance(event, TicketNotFound):
            return Step(state.with_(asking="", error="status.not_found", entry=""), ("err.status.not_found",))
        found = state.with_(
            ticket=event.ticket,
            service=event.service_id,
            status=event.status or "",
            status_state=event.state,
            status_reason=event.reason,
            status_date=event.date,
            asking="",
            error=None,
            entry="",
        )
        return Step(found, self._status_text(found))

    def _status_text(self, state: State) -> tuple[str, ...]:
        news = status_keys(TicketStatus(state.status_state, state.status_reason), bool(state.status))
        return ("status.ticket", *spell_ticket(state.ticket or ""), f"svc:{state.service}:title", *news)

    def _on_ticket(self, state: State, target: str) -> Step:
        if target == "selesai":
            return self._home(state, ("screen.goodbye",))
        return self._unknown(state, target)

    # ------------------------------------------------------------------ global actions, voice, timers

    def _on_tap(self, state: State, target: str) -> Step:
        if state.submitting:
            return Step(state, ("screen.submitting",))
        armed, state = state.armed, state.with_(armed=None)
        if armed is not None and target in (armed, "ya"):
            return self._fire(state, armed)
        if self._needs_confirm(state, target):
            return Step(state.with_(armed=target), self.confirm_text(state, target))
        # the top bar's speaker ("ulang": say it again) is on every screen, the bottom bar's actions on all but attract
        if target == "ulang" or (state.screen != "attract" and target in GLOBAL_TARGETS):
            return self._global(state, target)
        return self._screens[state.screen](state, target)

    def _needs_confirm(self, state: State, target: str) -> bool:
        """One rule for every control that changes or destroys data: the first tap says what it will do."""
        if target == "batal":
            return state.screen not in NOTHING_TO_WIPE
        if target == "lewati":
            return state.screen == "field" and self.current_field(state).optional
        if target == "ya" and state.screen == "documents":  # going on with no document marked
            docs = self._service(state).documents
            return bool(docs) and not state.documents and not state.highlighted
        return False

    def confirm_text(self, state: State, target: str) -> tuple[str, ...]:
        if target == "lewati" and state.entry:
            return ("confirm.lewati_entry",)
        if target == "ya":
            return ("confirm.no_docs",)
        return (f"confirm.{target}",)

    def _fire(self, state: State, target: str) -> Step:
        """The second tap on an armed control: do it."""
        if target == "batal":
            return self._home(state, ("screen.cancelled",))
        if target == "ya":
            return self._go(state, "review", editing=False)
        step = self._next_field(state.with_(entry="", groups=()))
        return Step(step.state, ("done.skipped", *step.say), step.effects)

    def _global(self, state: State, target: str) -> Step:
        if target == "ulang":
            return Step(state, self.prompt(state))
        if target == "batal":  # reached on the first tap only where nothing was entered: just leave
            return self._home(state, ("screen.goodbye",))
        if target == "bantuan":
            return Step(state.with_(staff_called=True), ("screen.staff_called",), (CallStaff(state.screen),))
        return self._back(state)

    def _back(self, state: State) -> Step:
        screen = state.screen
        if screen == "camera":
            back = self._go(state, "documents", camera_document=None, hint=None)
            return Step(back.state, back.say, (StopCamera(),))
        fields = self._service(state).fields if state.service else ()
        if screen in ("field", "documents") and state.editing:  # changing one line: back to the review
            return self._go(state, "review", entry="", groups=(), editing=False)
        if screen == "field" and state.field_index > 0:
            return self._open_field(state, state.field_index - 1)
        if screen == "documents" and fields:
            return self._open_field(state, len(fields) - 1)
        if screen in ("field", "documents"):
            # what was entered stays until another service is chosen (the same one shows it again)
            several = len(self.catalog.services_in(state.category or "")) > 1
            return self._go(state, "service" if several else "category", entry="", groups=())
        if screen in ("ticket", "status"):
            return self._home(state, ("screen.goodbye",))
        previous = {
            "review": "documents",
            "service": "category",
            "category": "language",
            "language": "attract",
        }
        target = previous.get(screen, "attract")
        if target == "language" and len(self.languages) == 1:
            target = "attract"
        if target == "attract":
            return self._home(state, ())
        return self._go(state, target)

    def _home(self, state: State, say: tuple[str, ...]) -> Step:
        """Wipe everything entered and return to the attract screen. The farewell is said in the session's
        language; the welcome for the next citizen follows only when that is the kiosk's first language."""
        home = State(lang=self.languages[0])
        if state.lang != home.lang:
            return Step(home, say, lang=state.lang)
        return Step(home, say + self.prompt(home))

    def _on_idle(self, state: State, seconds: float) -> Step:
        if state.screen == "attract" or state.submitting:
            return Step(state)
        if seconds >= self.reset_s:
            # on the ticket and status screens nothing is left to wipe: only say goodbye
            leaving = state.screen in NOTHING_TO_WIPE
            return self._home(state, ("screen.goodbye",) if leaving else ("screen.timeout",))
        if seconds >= self.warn_s and not state.warning:
            return Step(state.with_(warning=True), ("screen.still_there",))
        return Step(state)

    def _on_spoken(self, state: State, text: str, asked: bool = False) -> Step:
        words = text.lower().split()
        if state.screen == "attract" and (words or asked):  # any words, or a press of the talk button, begin
            return self._on_attract(state, "start")
        if not words:
            return Step(state, ("err.not_understood",)) if asked else Step(state)
        if state.screen == "field" and self.current_field(state).kind in NUMERIC_KINDS:
            return self._spoken_digits(state, words)
        if state.screen == "status" and not state.ticket:
            digits = "".join(DIGITS[w] for w in words if w in DIGITS)
            if digits and state.asking:
                return Step(state, ("status.asking",))
            if digits and len(state.entry) + len(digits) <= TICKET_DIGITS:
                return Step(
                    state.with_(entry=state.entry + digits, error=None), tuple(f"digit:{d}" for d in digits)
                )
            if words[-1] in ("ya", "kembali", "batal", "bantuan", "ulang"):
                return self._on_tap(state, words[-1])
            return Step(state, ("err.not_understood",))
        if words[-1] in ("kembali", "batal", "bantuan", "ulang"):
            return self._on_tap(state, words[-1])
        if words[-1] in ("ya", "tidak") and state.screen in ("review", "ticket"):
            return self._on_tap(state, {"ticket": "selesai"}.get(state.screen, words[-1]))
        if words[-1] == "ya":
            return self._on_tap(state, "ya")
        choices = self.choices(state)
        number = _spoken_number(words)
        if choices and number is not None and 1 <= number <= len(choices):
            return self._on_tap(state, choices[number - 1])
        return Step(state, ("err.not_understood",))

    def _spoken_digits(self, state: State, words: list[str]) -> Step:
        if "ulang" in words:
            return self._redo_group(state, words[len(words) - words[::-1].index("ulang") :])
        digits = "".join(DIGITS[w] for w in words if w in DIGITS)
        if digits:
            return self._add_group(state, digits)
        if words[-1] in ("ya", "kembali", "batal", "bantuan"):
            return self._on_tap(state, words[-1])
        if words[-1] == "tidak":
            return Step(state.with_(entry="", groups=()), ("key.del",))
        return Step(state, ("err.not_understood",))

    def _add_group(self, state: State, digits: str, said: tuple[str, ...] = ()) -> Step:
        spec = self.current_field(state)
        if len(state.entry) + len(digits) > spec.max_len:
            return Step(state.with_(error=f"{spec.kind}.too_long"), (*said, f"err.{spec.kind}.too_long"))
        new = state.with_(entry=state.entry + digits, groups=(*state.groups, len(digits)), error=None)
        return Step(new, (*said, *(f"digit:{d}" for d in digits)))

    def _redo_group(self, state: State, after: list[str]) -> Step:
        """``ulang`` while dictating: the last spoken group goes. The citizen heard it read back wrong, so
        words before "ulang" (in a busy room, often a background talker's) go with it, and digits after it
        ("ulang, tiga dua nol satu") are that group said again. With no group to drop, the prompt is repeated."""
        digits = "".join(DIGITS[w] for w in after if w in DIGITS)
        if not state.groups and not digits:
            return Step(state, self.prompt(state))
        said: tuple[str, ...] = ()
        if state.groups:
            redos = state.redos + 1
            state = state.with_(
                entry=state.entry[: -state.groups[-1]], groups=state.groups[:-1], error=None, redos=redos
            )
            said = ("key.del", "hint.use_keypad") if redos == KEYPAD_HINT_AFTER else ("key.del",)
        return self._add_group(state, digits, said) if digits else Step(state, said)

    def _unknown(self, state: State, target: str) -> Step:
        raise UnknownTarget(state.screen, target, self.targets(state))

    def _review_text(self, state: State) -> tuple[str, ...]:
        service = self._service(state)
        say = ["screen.review", f"svc:{service.id}:title"]
        for fid in service.fields:
            if fid not in state.values:
                continue
            spec = self.catalog.fields[fid]
            say.append(f"field:{fid}:title")
            value = state.values[fid]
            say += [f"opt:{fid}:{value}"] if spec.kind == "choice" else [f"digit:{d}" for d in value]
        say += [f"doc:{d}" for d in state.documents]
        say.append("hint.review_confirm")
        return tuple(say)


class UnknownTarget(LookupError):
    """A tap on an element id that the current screen does not have."""

    def __init__(self, screen: str, target: str, valid: tuple[str, ...]) -> None:
        super().__init__(f"screen '{screen}' has no element '{target}'; its elements are: {', '.join(valid)}")
        self.screen, self.target, self.valid = screen, target, valid


def in_language(key: str, lang: str) -> str:
    """A prompt key said in ``lang`` whatever the session's language (``screen.language@en``)."""
    return f"{key}@{lang}"


def spell_ticket(ticket: str) -> tuple[str, ...]:
    """``1230427`` -> each digit, for the speaker (an old ``K-0427``: letter K, then each digit)."""
    return tuple(f"letter:{c}" if c.isalpha() else f"digit:{c}" for c in ticket if c.isalnum())


def _put(values: Mapping[str, str], key: str, value: str) -> Mapping[str, str]:
    return MappingProxyType({**values, key: value})


def _spoken_number(words: list[str]) -> int | None:
    digits = "".join(DIGITS[w] for w in words if w in DIGITS)
    return int(digits) if digits else None


_CHECKS: dict[str, Callable[[str, FieldSpec], str | None]] = {
    "nik": lambda v, s: validation.check_nik(v),
    "kk": lambda v, s: validation.check_kk(v),
    "phone": lambda v, s: validation.check_phone(v),
    "digits": lambda v, s: validation.check_digits(v, s.min_len, s.max_len),
    "date": lambda v, s: validation.check_date(v),
}
