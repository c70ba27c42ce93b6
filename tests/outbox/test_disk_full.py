"""A full disk during enqueue, for real: a tmpfs of 256 KB filled until SQLite says SQLITE_FULL (issue 33, item 6).

The queue must say "disk full" and what to do (not a bare OperationalError from the ROLLBACK after it), keep every
request it confirmed before, work again once space is freed, and the citizen must hear the error screen while staff
are called.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.outbox.store import DiskFullError, LocalQueue, QueuedRequest
from kiosk.session import KioskSession, SilentSpeaker
from layanan.domain.catalog import load_catalog
from layanan.domain.events import Tap
from layanan.domain.flow import Flow
from layanan.domain.request import Request

SIZE = "256k"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 256 KB of our own (needs root, as in the test container and CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", f"kiosk-test-{uuid.uuid4().hex[:8]}",
         str(mount_point)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True, timeout=30)


def seal(data: bytes) -> bytes:
    return b"SEALED" + data[::-1]


def request(n: int) -> Request:
    return Request("ktp", "id", {"nik": f"91030101010{n:05d}", "nama": "Siti"})


def fill(queue: LocalQueue, limit: int = 10_000) -> tuple[list[QueuedRequest], Exception]:
    """Enqueue requests with a photo, then smaller ones without, until the disk refuses even a small one; what was
    confirmed, and the refusal."""
    confirmed: list[QueuedRequest] = []
    refused: Exception | None = None
    for photo in (3000, 300, None):
        for _ in range(limit):
            try:
                files = [] if photo is None else [os.urandom(photo)]
                confirmed.append(queue.enqueue(request(len(confirmed)), files=files))
            except Exception as exc:
                refused = refused or exc
                break
        else:
            raise AssertionError(f"{limit} requests fitted on a {SIZE} disk")
    assert refused is not None
    return confirmed, refused


def test_a_full_disk_says_disk_full_and_keeps_every_confirmed_request(
    tiny_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spare = tiny_disk / "spare"  # space to free afterwards, as a technician would
    spare.write_bytes(b"\0" * 64 * 1024)
    queue = LocalQueue(tiny_disk / "queue.db", seal=seal)
    with caplog.at_level(logging.ERROR, logger="kiosk.outbox.store"):
        confirmed, refused = fill(queue)
    assert confirmed, "not even one request fitted: the disk is too small for the test"
    assert isinstance(refused, DiskFullError), repr(refused)
    message = str(refused)
    assert "disk full" in message and "SQLITE_FULL" in message and "NOT stored" in message
    assert "ROLLBACK" in message and "df -h" in message and str(tiny_disk) in message
    assert isinstance(refused.__cause__, sqlite3.OperationalError)  # the original error stays attached
    assert any("disk full" in r.getMessage() for r in caplog.records)
    assert "Siti" not in caplog.text and "91030101010" not in caplog.text

    # nothing confirmed before is lost: another connection (the uploader, or the app after a restart) sees them all
    queue.close()
    with sqlite3.connect(tiny_disk / "queue.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT msg_id, ticket, sealed FROM requests ORDER BY seq").fetchall()
        photos = db.execute(
            "SELECT r.attachments, a.chunks, COUNT(c.n) FROM requests r JOIN attachments a ON a.msg_id = r.msg_id"
            " JOIN chunks c ON c.att_id = a.att_id AND c.data IS NOT NULL GROUP BY a.att_id"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(c.msg_id, c.ticket) for c in confirmed]
    assert all(r[2].startswith(b"SEALED") for r in rows)
    assert photos and all(p == (1, 1, 1) for p in photos)  # the first ones' photos, whole

    # space freed: the same kiosk queues again, with the next sequence number
    spare.unlink()
    queue = LocalQueue(tiny_disk / "queue.db", seal=seal)
    try:
        again = queue.enqueue(request(99))
        assert again.seq == confirmed[-1].seq + 1
    finally:
        queue.close()


def test_on_a_full_disk_the_citizen_hears_the_error_and_staff_are_called(tiny_disk: Path) -> None:
    queue = LocalQueue(tiny_disk / "queue.db", seal=seal)
    fill(queue)
    called: list[str] = []
    speaker = SilentSpeaker()
    session = KioskSession(Flow(load_catalog()), queue, speaker, on_staff=called.append, strict=False)
    session.start()
    # Lewati is tapped twice: the first tap says what it will do
    taps = ["start", "lang:id", "lang:id", "cat:pengaduan", "cat:pengaduan", "opt:road", "opt:road", "key:2",
            "ya", "lewati", "lewati", "ya", "ya"]  # fmt: skip
    for target in taps:
        session.dispatch(Tap(target))
    assert session.state.screen == "review" and session.state.error == "queue.failed"
    assert speaker.said[-1] == ("err.queue.failed",) and called == ["queue_failed"]
    assert session.last_queued is None
    queue.close()
