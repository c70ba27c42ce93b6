"""The session carries out the flow's effects: a real queue stores the request; failures are heard, not fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.outbox.store import LocalQueue
from kiosk.session import KioskSession, SilentSpeaker
from layanan.domain.catalog import load_catalog
from layanan.domain.events import CallStaff, Tap
from layanan.domain.flow import Flow

NIK = "3201014507900001"
TAPS = [
    "start",
    "lang:id",
    "lang:id",
    "cat:pengaduan",
    "cat:pengaduan",
    "opt:road",
    "opt:road",
    "key:2",
    "ya",
    "lewati",
    "lewati",
    "ya",
]


def flow() -> Flow:
    return Flow(load_catalog())


def test_confirmed_request_is_queued_sealed_and_the_ticket_shown(tmp_path: Path):
    queue = LocalQueue(tmp_path / "q.db", seal=lambda b: b"sealed:" + bytes(reversed(b)))
    speaker = SilentSpeaker()
    session = KioskSession(flow(), queue, speaker)
    session.start()
    for target in TAPS:
        session.dispatch(Tap(target))
    session.dispatch(Tap("ya"))
    assert session.state.screen == "ticket" and session.state.ticket == "0010001"
    assert [r.ticket for r in queue.list()] == ["0010001"]
    assert speaker.said[-1][0] == "screen.ticket"


class BrokenQueue:
    kiosk_code = "001"

    def enqueue(self, request, files=()):  # noqa: ANN001
        raise OSError("disk full")


def test_a_queue_failure_is_spoken_and_staff_are_called():
    called: list[str] = []
    session = KioskSession(flow(), BrokenQueue(), on_staff=called.append)
    session.start()
    for target in TAPS:
        session.dispatch(Tap(target))
    step = session.dispatch(Tap("ya"))
    assert session.state.screen == "review" and session.state.error == "queue.failed"
    assert step.say == ("err.queue.failed",) and called == ["queue_failed"]


def test_without_a_camera_the_photo_step_falls_back_and_tells_staff(tmp_path: Path):
    called: list[str] = []
    queue = LocalQueue(tmp_path / "q.db", seal=lambda b: b)
    session = KioskSession(flow(), queue, on_staff=called.append)
    session.start()
    for target in [
        "start",
        "lang:id",
        "lang:id",
        "cat:bansos",
        "cat:bansos",
        "svc:bansos_complaint",
        "svc:bansos_complaint",
    ]:
        session.dispatch(Tap(target))
    for d in NIK:
        session.dispatch(Tap(f"key:{d}"))
    for target in ["ya", "opt:short", "opt:short", "lewati", "lewati"]:
        session.dispatch(Tap(target))
    step = session.dispatch(Tap("foto:aid_card"))
    assert session.state.screen == "documents" and session.state.error == "camera"
    assert "err.camera" in step.say and called == ["camera"]
    assert CallStaff("camera") in step.effects


def test_the_status_central_sent_is_found_by_ticket_number(tmp_path: Path):
    queue = LocalQueue(tmp_path / "q.db", seal=lambda b: b)
    session = KioskSession(flow(), queue)
    session.start()
    for target in TAPS:
        session.dispatch(Tap(target))
    session.dispatch(Tap("ya"))
    ticket = session.state.ticket
    assert queue.set_status(session.last_queued.msg_id, "Jalan sudah diperbaiki")  # what an upd message does
    for target in ["selesai", "tiket", *(f"key:{d}" for d in ticket[-4:]), "ya"]:
        session.dispatch(Tap(target))
    assert session.state.screen == "status" and session.state.ticket == ticket
    assert session.state.status == "Jalan sudah diperbaiki"


class BuggyFlow(Flow):
    """A flow with a bug on one tap: its message carries what was typed, as a real bug's might."""

    def handle(self, state, event):  # noqa: ANN001, ANN201
        if event == Tap("key:9"):
            raise IndexError(f"bad entry {NIK}")
        return super().handle(state, event)


def test_the_app_session_survives_a_flow_bug_and_logs_where_without_what_was_typed(caplog):
    called: list[str] = []
    session = KioskSession(BuggyFlow(load_catalog()), BrokenQueue(), on_staff=called.append, strict=False)
    session.start()
    for target in ("start", "lang:id", "lang:id"):
        session.dispatch(Tap(target))
    before = session.state
    with caplog.at_level("ERROR"):
        step = session.dispatch(Tap("key:9"))
    assert session.state == before and step.say == ("err.glitch",) and called == ["flow_error"]
    assert "IndexError at test_session.py:" in caplog.text and "'category'" in caplog.text
    assert NIK not in caplog.text
    session.dispatch(Tap("cat:ktp"))  # and it goes on
    assert session.state.highlighted == "cat:ktp"


def test_tests_and_simulate_see_flow_bugs_raised():
    session = KioskSession(BuggyFlow(load_catalog()), BrokenQueue())
    session.start()
    with pytest.raises(IndexError):
        session.dispatch(Tap("key:9"))
