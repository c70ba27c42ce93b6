"""Ticket numbers on a real SQLite queue: the kiosk code begins each ticket, old-format tickets stay findable, and
a replacement kiosk continues its predecessor's numbering without ever moving it back (issue 34, finding 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.outbox.store import LocalQueue
from layanan.domain.request import Request
from tests.support.queues import version_one_queue


def request() -> Request:
    return Request("ktp", "id", {"nik": "9103010101010001"})


def test_an_old_ticket_in_an_upgraded_queue_is_found_by_its_four_digits(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    version_one_queue(path, "K-0001")
    q = LocalQueue(path, seal=lambda b: b, kiosk_code="042")
    new = q.enqueue(request())
    assert new.ticket == "0420002", "the numbering goes on after the old tickets"
    old = q.find_ticket("0001")
    assert old is not None and old.ticket == "K-0001"
    assert q.find_ticket("K-0001") is not None, "the old code as stored is found too"
    q.close()


def test_next_ticket_raises_the_counter_and_never_moves_it_back(tmp_path: Path) -> None:
    q = LocalQueue(tmp_path / "q.db", seal=lambda b: b, kiosk_code="123")
    assert q.next_number() == 1
    assert q.continue_from(428) == 428
    assert q.enqueue(request()).ticket == "1230428"
    assert q.continue_from(5) == 429, "a lower floor changes nothing"
    assert q.enqueue(request()).ticket == "1230429"
    q.close()
    again = LocalQueue(tmp_path / "q.db", seal=lambda b: b, kiosk_code="123")
    assert again.next_number() == 430, "the floor is on disk"
    with pytest.raises(ValueError, match="1 or more"):
        again.continue_from(0)
    again.close()


def test_past_ten_thousand_the_number_wraps_and_the_newest_is_found(tmp_path: Path) -> None:
    q = LocalQueue(tmp_path / "q.db", seal=lambda b: b, kiosk_code="007")
    q.continue_from(9999)
    first = q.enqueue(request())
    q.continue_from(19999)
    second = q.enqueue(request())
    assert (first.ticket, second.ticket) == ("0079999", "0079999")
    found = q.find_ticket("0079999")
    assert found is not None and found.msg_id == second.msg_id


def test_a_kiosk_code_that_is_not_three_digits_is_refused(tmp_path: Path) -> None:
    for bad in ("12", "1234", "000", "12a"):
        with pytest.raises(ValueError, match="001 to 999"):
            LocalQueue(tmp_path / "q.db", seal=lambda b: b, kiosk_code=bad)
