"""Attachments: sealed, chunked to <= 32 KB, each chunk acknowledged, resumed after drops, reassembled at central."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from nacl.public import PrivateKey

from central.store import open_store
from kiosk.outbox.store import CHUNK_BYTES, LocalQueue
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from layanan.domain.request import Request
from layanan.security.crypto import CENTRAL_PRIVATE_FILE, read_key, unseal
from tests.support.delivery import acked_count, receiver, register
from tests.support.kiosk_env import make_site, run_cli
from tests.support.waiting import wait_until
from tools.net import Link, Mosquitto, Proxy


def acked_chunks(site) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(site.data_dir / "queue.db", timeout=30)
    try:
        return set(conn.execute("SELECT att_id, n FROM chunks WHERE acked = 1").fetchall())
    finally:
        conn.close()


def test_only_unacknowledged_chunks_are_due_again(tmp_path: Path) -> None:
    q = LocalQueue(tmp_path / "q.db", seal=lambda b: b)
    item = q.enqueue(Request("ktp", "id"), files=[os.urandom(100_000)])
    due = q.due_chunks(100)
    assert [n for _, _, n, _ in due] == [0, 1, 2, 3]
    assert all(len(data) <= CHUNK_BYTES for *_, data in due)
    att_id = due[0][1]
    q.mark_chunks_acked([(att_id, 0), (att_id, 2)])
    assert [n for _, _, n, _ in q.due_chunks(100)] == [1, 3]
    assert q.conn.execute("SELECT COUNT(*) FROM chunks WHERE data IS NULL").fetchone()[0] == 2
    [(a, chunks, size, sha)] = q.attachment_refs([item.msg_id])[item.msg_id]
    assert (a, chunks, size) == (att_id, 4, 100_000)


def test_photo_upload_interrupted_several_times_arrives_intact_and_completes_the_request(
    tmp_path: Path, broker: Mosquitto, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    register(site, sqlite_db_url)
    settings = site.settings()
    keys = device_keys(settings)
    photos = [os.urandom(200_000), os.urandom(40_000)]
    q = open_queue(settings, keys)
    item = q.enqueue(Request("ktp", "id", {"nik": "9103010101010001"}), files=photos)
    plain = q.enqueue(Request("kk", "id", {"nik": "9103010101010002"}))
    q.close()
    proxy = Proxy(broker.port, Link("200-kB/s", 8 * 200_000, 0.0)).start()  # a large upload spans the cuts
    rec = receiver(broker.url, sqlite_db_url, settings).start()
    up = Uploader(site.settings(proxy.url), queue_path(settings), signer(keys), keys.public_hex).start()
    store = open_store(sqlite_db_url)
    total = sum(-(-(len(p) + 48) // CHUNK_BYTES) for p in photos)  # a sealed box adds 48 bytes
    try:
        snapshots = []
        for progress in (1, 3, 5):  # cut the link three times in the middle of the upload
            wait_until(lambda p=progress: up.chunks_acked >= p, 30, f"{progress} chunks acknowledged")
            done = acked_chunks(site)
            snapshots.append({c: up.chunk_sends[c] for c in done})
            assert len(done) < total, "the upload finished before the cut; the test proves nothing"
            proxy.cut()
        wait_until(lambda: acked_count(site) == 2, 30, "both requests acknowledged")
        wait_until(
            lambda: [s for _, s, _ in store.attachments_of(item.msg_id)] == ["complete", "complete"],
            60,
            "both photos reassembled at central",
        )
        local = LocalQueue(queue_path(settings), seal=lambda b: b)
        wait_until(lambda: local.chunks_pending() == 0, 30, "every chunk acknowledged on the kiosk")
        local.close()
    finally:
        up.stop()
        rec.stop()
        proxy.stop()
    assert proxy.cuts >= 3
    for before in snapshots:  # a chunk acknowledged before a cut is never sent again after it
        assert {c: up.chunk_sends[c] for c in before} == before
    assert len(up.chunk_sends) == total
    central_key = PrivateKey(read_key(site.central_dir / "keys" / CENTRAL_PRIVATE_FILE, "central key"))
    stored = store.attachments_of(item.msg_id)
    got = sorted(unseal(data, central_key) for _, _, data in stored if data is not None)
    assert got == sorted(photos)
    by_id = {r.msg_id: r for r in store.requests()}
    assert by_id[item.msg_id].complete and by_id[item.msg_id].attachments == 2
    assert by_id[plain.msg_id].complete
    store.close()
    out = tmp_path / "export"
    done = run_cli(
        "central.cli",
        ["export", "--db", sqlite_db_url, "--data-dir", str(site.central_dir), "--attachments", str(out)],
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.read_bytes() for p in (out / item.msg_id).iterdir()) == sorted(photos)
