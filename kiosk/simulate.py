"""``kiosk simulate SCENARIO.json``: drive the real flow headless and print the stored request as JSON.

A scenario is a JSON object::

    {"name": "KTP baru by touch",
     "events": [
        {"tap": "start"},                 # one tap on an element id
        {"choose": "cat:ktp"},            # two taps: the first speaks it, the second selects it
        {"keys": "3201014507900001"},     # key:3, key:2, ... on the keypad
        {"say": "satu dua tiga"},         # words as a recognizer would hear them
        {"speak": "recordings/nik.wav"},  # a WAV file through the language's speech engine
        {"speak": "nik.wav", "hold": [0.6, 2.9]},  # ... with the talk button held from 0.6 s to 2.9 s
        {"idle": 80},                     # seconds without input
        {"photo": "kk_copy", "image": "kk.jpg"}  # photograph a document from a still image
     ],
     "expect": {"screen": "ticket", "service_id": "ktp_new"}}

Relative WAV paths are relative to the scenario file. With ``hold`` only what is said while the microphone
button is held counts (hold to talk), as on the kiosk once a citizen has held it. ``--targets`` lists the
element ids of every screen.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import compose
from kiosk.session import KioskSession
from layanan.config import Settings
from layanan.domain.events import Event, Idle, Spoken, Tap
from layanan.domain.flow import Flow, State, UnknownTarget

Hear = Callable[[Path, State, tuple[tuple[float, float], ...]], str]
"""Hears a WAV on the current screen: (path, state, talk-button holds as (press, release) seconds) -> text."""


class ScenarioError(ValueError):
    """The scenario file is not usable; the message says which event and why."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", help="scenario JSON file")
    parser.add_argument(
        "--targets", action="store_true", help="list the element ids of every screen and exit"
    )


def load_scenario(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ScenarioError(f"{path}: a scenario is an object with an 'events' list")
    return data


def events_of(
    item: Any,
    index: int,
    base: Path,
    hear: Hear,
    camera: dict[str, Path] | None = None,
) -> list[Callable[[State], Event]]:
    """Turn one scenario entry into events (functions of the state, for spoken WAVs and photos)."""
    where = f"event {index + 1}"
    if isinstance(item, dict) and set(item) == {"speak", "hold"} and isinstance(item["speak"], str):
        return [speak_event(base / item["speak"], hold_of(item["hold"], where), hear)]
    if isinstance(item, dict) and set(item) == {"photo", "image"} and camera is not None:
        image = base / str(item["image"])

        def photograph(state: State) -> Event:
            camera["image"] = image
            return Tap(f"foto:{item['photo']}")

        return [photograph]
    if not isinstance(item, dict) or len(item) != 1:
        raise ScenarioError(
            f"{where}: {item!r} must be an object with one key: tap, choose, keys, say, speak or idle "
            "(or speak with hold, or photo with image)"
        )
    ((kind, value),) = item.items()
    if kind == "tap" and isinstance(value, str):
        return [lambda s: Tap(value)]
    if kind == "choose" and isinstance(value, str):
        return [lambda s: Tap(value), lambda s: Tap(value)]
    if kind == "keys" and isinstance(value, str) and value.isdigit():
        return [lambda s, k=k: Tap(f"key:{k}") for k in value]
    if kind == "say" and isinstance(value, str):
        return [lambda s: Spoken(value)]
    if kind == "speak" and isinstance(value, str):
        return [speak_event(base / value, (), hear)]
    if kind == "idle" and isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return [lambda s: Idle(float(value))]
    raise ScenarioError(f"{where}: '{kind}' with {value!r} is not a valid event")


def hold_of(hold: Any, where: str) -> tuple[tuple[float, float], ...]:
    """A scenario's ``"hold": [press, release]`` as the hearer takes it, or a ScenarioError saying what is wrong."""
    if not (
        isinstance(hold, list)
        and len(hold) == 2
        and all(isinstance(t, int | float) and not isinstance(t, bool) for t in hold)
        and 0 <= hold[0] < hold[1]
    ):
        raise ScenarioError(
            f"{where}: 'hold' must be [press, release] in seconds into the WAV, press before release, "
            f"e.g. [0.6, 2.9]; got {hold!r}"
        )
    return ((float(hold[0]), float(hold[1])),)


def speak_event(path: Path, holds: tuple[tuple[float, float], ...], hear: Hear) -> Callable[[State], Event]:
    """A WAV heard on the screen the flow is on when the event runs."""
    return lambda s: Spoken(hear(path, s, holds), asked=bool(holds))


def run_scenario(
    flow: Flow,
    session: KioskSession,
    scenario: dict[str, Any],
    base: Path,
    hear: Hear,
) -> dict[str, Any]:
    session.start()
    play(session, scenario["events"], base, hear, attach_still_camera(session))
    return result_of(session)


def play(
    session: KioskSession,
    events: list[Any],
    base: Path,
    hear: Hear,
    camera: dict[str, Path] | None = None,
) -> None:
    """Dispatch scenario ``events`` to a started session, each made on the state the one before left."""
    for index, item in enumerate(events):
        for make in events_of(item, index, base, hear, camera):
            try:
                session.dispatch(make(session.state))
            except UnknownTarget as exc:
                raise ScenarioError(f"event {index + 1}: {exc}") from None


def result_of(session: KioskSession) -> dict[str, Any]:
    """The screen the session is on and the request it queued last (with what was typed), as printed."""
    queued = session.last_queued
    state = session.state
    result: dict[str, Any] = {"screen": state.screen, "request": None}
    if state.screen == "status" and state.ticket:  # a ticket looked up: what central last said of it
        result["ticket_status"] = {"ticket": state.ticket, "status": state.status or ""}
    if queued is not None:
        result["request"] = {
            "msg_id": queued.msg_id,
            "seq": queued.seq,
            "ticket": queued.ticket,
            "service_id": queued.service_id,
            "lang": queued.lang,
            "state": queued.state,
        }
        # the simulator prints what the tester typed; the queue itself holds it sealed
        last = getattr(session.queue, "last_request", None)
        if last is not None:
            result["request"].update(
                fields=dict(last.fields), documents=list(last.documents), photos=len(last.attachments)
            )
    return result


class RecordingQueue:
    """Wraps the real queue and remembers the last request in memory, for printing only."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.last_request = inner, None

    @property
    def kiosk_code(self) -> str:
        return str(self.inner.kiosk_code)

    def enqueue(self, request: Any, files: Any = ()) -> Any:
        queued = self.inner.enqueue(request, files=files)
        self.last_request = request
        return queued

    def find_ticket(self, number: str) -> Any:
        """The ticket-status screen looks tickets up in the real queue."""
        return self.inner.find_ticket(number)


def attach_still_camera(session: KioskSession) -> dict[str, Path]:
    """Give the session a camera that reads the image a ``photo`` event names (the real capture pipeline)."""
    from kiosk.vision.camera import StillImageSource
    from kiosk.vision.step import CameraStep

    chosen: dict[str, Path] = {}

    def open_source() -> StillImageSource:
        if "image" not in chosen:
            raise ScenarioError("the camera opened without an image: use a photo event, not a foto tap")
        return StillImageSource(chosen["image"])

    session.camera = CameraStep(open_source, session.dispatch, session.photos, synchronous=True)
    return chosen


def check_expectations(result: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    problems = []
    request = result.get("request") or {}
    for key, wanted in expect.items():
        got = result.get(key) if key == "screen" else request.get(key)
        if got != wanted:
            problems.append(f"expected {key} = {wanted!r}, got {got!r}")
    return problems


def list_targets(flow: Flow) -> dict[str, list[str]]:
    """Element ids per screen, walking every category, service and field."""
    cat = flow.catalog
    out: dict[str, list[str]] = {}
    out["attract"] = list(flow.targets(State()))
    out["language"] = list(flow.targets(State(screen="language")))
    out["category"] = list(flow.targets(State(screen="category")))
    for c in cat.categories:
        out[f"service ({c.id})"] = list(flow.targets(State(screen="service", category=c.id)))
    for s in cat.services.values():
        for i, fid in enumerate(s.fields):
            out.setdefault(
                f"field ({fid})", list(flow.targets(State(screen="field", service=s.id, field_index=i)))
            )
        out[f"documents ({s.id})"] = list(flow.targets(State(screen="documents", service=s.id)))
    out["review"] = list(flow.targets(State(screen="review")))
    out["ticket"] = list(flow.targets(State(screen="ticket")))
    out["status (typing)"] = list(flow.targets(State(screen="status")))
    out["status (found)"] = list(flow.targets(State(screen="status", ticket="0010001")))
    return out


def speech_hearer(settings: Settings) -> Hear:
    """Hear a WAV as the live kiosk would: end-pointed (or bounded by the held talk button), then recognized
    with the engine of the session's language, restricted to the screen's vocabulary. All utterances in the
    file are joined."""
    engines: dict[str, Any] = {}
    flow = compose.flow(settings)

    def hear(path: Path, state: State, holds: tuple[tuple[float, float], ...] = ()) -> str:
        from kiosk.speech import engines as speech_engines
        from kiosk.speech.audio import WavSource
        from kiosk.speech.listener import hear as listen_to

        if state.lang not in engines:
            engines[state.lang] = speech_engines.recognizer_for(state.lang, settings)
        engine = engines[state.lang]
        if engine is None:
            raise ScenarioError(
                f"{path}: no speech engine for language '{state.lang}'; install its language pack"
            )
        try:
            source = WavSource(path)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{path}: {exc}") from None
        heard = listen_to(source, engine, flow.vocabulary(state), holds=holds, hands_free=not holds)
        return " ".join(t.text for t in heard if t.text)

    return hear


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        flow = compose.flow(settings)
        if args.targets:
            print(json.dumps(list_targets(flow), indent=2, ensure_ascii=False))
            return 0
        if not args.scenario:
            print("kiosk simulate: name a scenario file, or pass --targets", file=sys.stderr)
            return 2
        path = Path(args.scenario)
        scenario = load_scenario(path)
        queue = RecordingQueue(compose.open_queue(settings))
        session = KioskSession(flow, queue)
        result = run_scenario(flow, session, scenario, path.parent, speech_hearer(settings))
    except (ScenarioError, ValueError, RuntimeError) as exc:
        print(f"kiosk simulate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    problems = check_expectations(result, scenario.get("expect", {}))
    for problem in problems:
        print(f"kiosk simulate: {path}: {problem}", file=sys.stderr)
    return 1 if problems else 0
