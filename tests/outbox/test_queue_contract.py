"""One contract for every Queue the session submits to: the local queue on a real SQLite file, and the
simulator's wrapper that also remembers the last request for printing (``kiosk simulate``, ``kiosk demo``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.outbox.store import LocalQueue
from kiosk.session import Queue
from kiosk.simulate import RecordingQueue
from layanan.domain.request import Request

NIK = "9103010101010001"


def request(service: str = "ktp") -> Request:
    return Request(service, "id", {"nik": NIK, "nama": "Siti"})


class TestQueueContract:
    @pytest.fixture(params=["local", "recording"])
    def queue(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Queue]:
        local = LocalQueue(tmp_path / "q.db", seal=lambda b: b"SEALED" + b[::-1], kiosk_code="123")
        yield local if request.param == "local" else RecordingQueue(local)
        local.close()

    def test_tickets_carry_the_kiosk_code_and_count_up(self, queue: Queue) -> None:
        first, second = queue.enqueue(request()), queue.enqueue(request("kk"))
        assert (first.ticket, second.ticket) == ("1230001", "1230002")
        assert second.seq == first.seq + 1 and first.msg_id != second.msg_id
        assert (first.service_id, first.lang, first.state) == ("ktp", "id", "pending")
        assert queue.kiosk_code == "123"

    def test_a_ticket_is_found_by_its_seven_digits_or_its_last_four(self, queue: Queue) -> None:
        queue.enqueue(request())
        queued = queue.enqueue(request("kk"))
        for typed in ("1230002", "0002"):
            found = queue.find_ticket(typed)
            assert found is not None and (found.msg_id, found.ticket) == (queued.msg_id, "1230002")
        assert queue.find_ticket("0099") is None
        assert queue.find_ticket("4560002") is None, "another kiosk's ticket is not in this queue"

    def test_what_comes_back_holds_no_personal_data(self, queue: Queue) -> None:
        queued = queue.enqueue(request(), files=[b"\xff\xd8 a photo"])
        found = queue.find_ticket(queued.ticket[-4:])
        for kept in (queued, found):
            assert NIK not in repr(kept) and "Siti" not in repr(kept)
