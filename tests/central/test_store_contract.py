"""One contract, two databases: SQLite and PostgreSQL behave the same for the receiver and the commands."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterator

import pytest

from central.store import (
    CONFLICT,
    DUPLICATE,
    NEW,
    CentralStore,
    Chunk,
    DeadLetter,
    Device,
    StoredRequest,
    open_store,
)
from layanan.domain.envelope import MAX_CHUNK_BYTES


def req(msg_id: str, digest: str = "d1", ticket: str = "K-0001", seq: int = 1) -> StoredRequest:
    return StoredRequest(msg_id, "desa-01x", seq, ticket, "ktp", "id", 1, 2.0, digest, b"\x00sealed\xff")


ATT = "01a21eac-16cc-75e3-ab59-2f7af8eb4e95"


def with_photo(blob: bytes, sha256: str | None = None) -> tuple[StoredRequest, list[Chunk]]:
    """A request announcing one attachment, and the attachment's chunks."""
    parts = [blob[i : i + MAX_CHUNK_BYTES] for i in range(0, len(blob), MAX_CHUNK_BYTES)]
    digest = sha256 or hashlib.sha256(blob).hexdigest()
    request = dataclasses.replace(req("m1"), attachments=1, att_refs=((ATT, len(parts), len(blob), digest),))
    return request, [Chunk(ATT, n, "desa-01x", part, 0.0) for n, part in enumerate(parts)]


class TestCentralStoreContract:
    @pytest.fixture
    def store(self, central_db_url: str) -> Iterator[CentralStore]:
        store = open_store(central_db_url)
        try:
            yield store
        finally:
            store.close()

    def test_a_new_request_is_stored_once_and_a_resend_is_a_duplicate(self, store: CentralStore) -> None:
        assert store.commit([req("m1")], []) == [NEW]
        assert store.commit([req("m1"), req("m2")], []) == [DUPLICATE, NEW]
        assert store.count_requests() == 2
        assert store.requests()[0].sealed == b"\x00sealed\xff"

    def test_same_msg_id_with_a_different_body_is_dead_lettered(self, store: CentralStore) -> None:
        store.commit([req("m1")], [])
        assert store.commit([req("m1", digest="other")], []) == [CONFLICT]
        assert store.count_requests() == 1
        [dead] = store.dead_letters()
        assert (dead.reason, dead.msg_id) == ("replay_conflict", "m1")

    def test_dead_letters_keep_reason_and_payload(self, store: CentralStore) -> None:
        store.commit([], [DeadLetter("malformed", "json: bad", "kiosk/v1/x/req", b"{", 3.0, "x")])
        [dead] = store.dead_letters()
        assert (dead.reason, dead.payload, dead.device_id) == ("malformed", b"{", "x")

    def test_device_registry_and_latest_telemetry(self, store: CentralStore) -> None:
        assert store.device("desa-01x") is None
        store.add_device(Device("desa-01x", "ab" * 32, "91.03", "00" * 32, 1.0))
        store.save_telemetry("desa-01x", {"q": 3}, 5.0)
        store.save_telemetry("desa-01x", {"q": 1}, 6.0)
        [view] = store.devices()
        assert view.device == Device("desa-01x", "ab" * 32, "91.03", "00" * 32, 1.0)
        assert (view.telemetry, view.last_seen) == ({"q": 1}, 6.0)

    def test_ticket_lookup_and_status(self, store: CentralStore) -> None:
        store.commit([req("m1", ticket="K-0001", seq=1), req("m2", ticket="K-0002", seq=2)], [])
        found = store.find_ticket("desa-01x", "K-0002")
        assert found is not None and found.msg_id == "m2"
        assert store.set_status("m2", "siap diambil")
        assert store.find_ticket("desa-01x", "K-0002").status == "siap diambil"  # type: ignore[union-attr]
        assert store.find_ticket("desa-01x", "K-9999") is None

    def test_a_request_is_incomplete_until_its_attachment_arrives_in_any_order(
        self, store: CentralStore
    ) -> None:
        blob = os.urandom(70_000)
        request, chunks = with_photo(blob)
        store.commit([], [], [chunks[2]])  # a chunk may come before its request
        store.commit([request], [])
        assert not store.requests()[0].complete
        store.commit([], [], chunks[:2] + chunks[:1])  # a resent chunk changes nothing
        assert store.requests()[0].complete
        assert store.attachments_of("m1") == [(ATT, "complete", blob)]
        assert store.dead_letters() == []

    def test_an_attachment_that_fails_its_sha256_is_kept_out_and_dead_lettered(
        self, store: CentralStore
    ) -> None:
        request, chunks = with_photo(os.urandom(40_000), sha256="0" * 64)
        store.commit([request], [], chunks)
        assert store.attachments_of("m1") == [(ATT, "corrupt", None)]
        assert not store.requests()[0].complete
        [dead] = store.dead_letters()
        assert (dead.reason, dead.msg_id) == ("attachment_corrupt", "m1")
