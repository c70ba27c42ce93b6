"""The local queue's outbox states on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from kiosk.outbox.store import MIGRATIONS, LocalQueue
from layanan.domain.request import Request
from tests.support.queues import version_one_queue


def queue(tmp_path: Path) -> LocalQueue:
    return LocalQueue(tmp_path / "q.db", seal=lambda b: b"SEALED" + b[::-1])


def request() -> Request:
    return Request("ktp", "id", {"nik": "9103010101010001", "nama": "Siti"})


def test_due_requests_come_oldest_first_and_skip_those_in_flight(tmp_path: Path) -> None:
    q = queue(tmp_path)
    items = [q.enqueue(request()) for _ in range(5)]
    due = q.due(3, now=1e12)
    assert [r.seq for r in due] == [1, 2, 3]
    q.mark_in_flight([r.msg_id for r in due])
    assert [r.seq for r in q.due(10, now=1e12)] == [4, 5]
    assert q.counts() == {"in_flight": 3, "pending": 2}
    assert items[0].msg_id == due[0].msg_id


def test_ack_keeps_ticket_and_status_but_deletes_the_sealed_personal_data(tmp_path: Path) -> None:
    q = queue(tmp_path)
    item = q.enqueue(request())
    q.mark_in_flight([item.msg_id])
    assert q.mark_acked([item.msg_id], now=100.0) == 1
    row = q.conn.execute("SELECT sealed, ticket, service_id, state FROM requests").fetchone()
    assert row == (None, item.ticket, "ktp", "acked")
    assert q.stats().last_sync_at == 100.0
    q.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"SEALED" not in (tmp_path / "q.db").read_bytes()


def test_rejections_quarantine_after_max_tries_and_staff_can_release(tmp_path: Path) -> None:
    q = queue(tmp_path)
    poison = q.enqueue(request())
    good = q.enqueue(request())
    for _ in range(3):
        q.mark_in_flight([poison.msg_id])
        q.reject([(poison.msg_id, "bad_signature", 0.0)], max_tries=3)
    assert [r.msg_id for r in q.due(10, now=1e12)] == [good.msg_id]
    [(quarantined, reason)] = q.quarantined()
    assert (quarantined.msg_id, quarantined.tries, reason) == (poison.msg_id, 3, "bad_signature")
    assert q.release(poison.msg_id)
    assert [r.msg_id for r in q.due(10, now=1e12)] == [poison.msg_id, good.msg_id]


def test_timeouts_back_off_and_restart_resends_what_was_in_flight(tmp_path: Path) -> None:
    q = queue(tmp_path)
    a, b = q.enqueue(request()), q.enqueue(request())
    q.mark_in_flight([a.msg_id, b.msg_id])
    q.reschedule([(a.msg_id, 500.0)])
    assert q.due(10, now=499.0) == []
    assert [r.msg_id for r in q.due(10, now=500.0)] == [a.msg_id]
    q.close()
    q = queue(tmp_path)
    assert q.recover() == 1
    assert {r.msg_id for r in q.due(10, now=0.0)} == {b.msg_id}


def test_a_version_one_database_is_migrated_without_losing_requests(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    version_one_queue(path, "A-0001")
    q = LocalQueue(path, seal=lambda b: b)
    assert q.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert [(r.msg_id, r.sends) for r in q.due(5, now=10.0)] == [("m1", 0)]


def test_a_retry_scheduled_under_a_wrong_clock_is_not_stranded_after_the_clock_is_fixed(
    tmp_path: Path,
) -> None:
    q = queue(tmp_path)
    item = q.enqueue(request())
    q.mark_in_flight([item.msg_id])
    wrong_clock = 4_102_444_800.0  # booted believing it is 2100; backoff scheduled from there
    q.reschedule([(item.msg_id, wrong_clock + 30)])
    real_now = 1_795_000_000.0
    assert q.due(10, now=real_now) == []
    assert [r.msg_id for r in q.due(10, now=real_now, horizon=real_now + 930)] == [item.msg_id]
