"""Attachment chunks are tied to the device that sends them and to the attachment its signed request declares
(issue 33, item 3): a kiosk cannot corrupt or block another kiosk's photo, a chunk index is bounded by the
declared count, and chunks nobody declares expire. On SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central.store import DUPLICATE, NEW, REFUSED, CentralStore, Chunk, StoredRequest, open_store
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from layanan.domain.envelope import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENT_CHUNKS,
    MAX_CHUNK_BYTES,
    Ack,
    Body,
    Envelope,
    EnvelopeError,
    topic,
)
from layanan.domain.request import Request, new_msg_id
from layanan.security.crypto import sign
from tests.support.delivery import acked_count, office_signer, receiver, register
from tests.support.kiosk_env import drop_schema, make_site, postgres_schema_url
from tests.support.waiting import wait_until
from tools.net import Mosquitto

OWNER, STRANGER = "desa-owner-01", "desa-other-01"


def photo(blob: bytes, att: str | None = None, msg_id: str = "m1") -> tuple[StoredRequest, list[Chunk]]:
    """The owner's request declaring one attachment, and the attachment's chunks."""
    att = att or new_msg_id()
    parts = [blob[i : i + MAX_CHUNK_BYTES] for i in range(0, len(blob), MAX_CHUNK_BYTES)]
    request = StoredRequest(
        msg_id, OWNER, 1, "K-0001", "ktp", "id", 1, 2.0, "d-" + msg_id, b"sealed", 1,
        att_refs=((att, len(parts), len(blob), hashlib.sha256(blob).hexdigest()),),
    )  # fmt: skip
    return request, [Chunk(att, n, OWNER, part, 3.0) for n, part in enumerate(parts)]


def chunk_outcomes(store: CentralStore, chunks: list[Chunk]) -> list[str]:
    """A commit's outcomes are one per request, then one per chunk."""
    return store.commit([], [], chunks)


class TestChunksBoundToDeviceAndDeclaration:
    @pytest.fixture
    def store(self, central_db_url: str) -> Iterator[CentralStore]:
        store = open_store(central_db_url)
        try:
            yield store
        finally:
            store.close()

    def test_a_foreign_chunk_sent_first_neither_blocks_nor_corrupts_the_owners_photo(
        self, store: CentralStore
    ) -> None:
        blob = os.urandom(80_000)
        request, chunks = photo(blob)
        att = chunks[0].att_id
        junk = Chunk(att, 0, STRANGER, os.urandom(len(chunks[0].data)), 1.0)
        assert chunk_outcomes(store, [junk]) == [NEW]  # nobody declared it yet: kept apart, under its sender
        assert store.commit([request], [], chunks) == [NEW, NEW, NEW, NEW]
        assert store.attachments_of("m1") == [(att, "complete", blob)]
        [dead] = store.dead_letters()
        assert (dead.reason, dead.device_id) == ("foreign_chunk", STRANGER)
        assert store.count_chunks() == 0

    def test_a_foreign_chunk_after_the_declaration_is_refused_and_dead_lettered(
        self, store: CentralStore
    ) -> None:
        blob = os.urandom(40_000)
        request, chunks = photo(blob)
        store.commit([request], [])
        junk = dataclasses.replace(chunks[0], device_id=STRANGER, data=b"x" * 100)
        assert chunk_outcomes(store, [junk, chunks[0]]) == [REFUSED, NEW]
        assert chunk_outcomes(store, [chunks[1]]) == [NEW]
        assert store.attachments_of("m1") == [(chunks[0].att_id, "complete", blob)]
        assert [(d.reason, d.device_id) for d in store.dead_letters()] == [("foreign_chunk", STRANGER)]

    def test_a_chunk_index_beyond_the_declared_count_is_refused(self, store: CentralStore) -> None:
        request, chunks = photo(os.urandom(40_000))  # two chunks declared
        early = dataclasses.replace(chunks[0], n=7)
        assert chunk_outcomes(store, [early]) == [NEW]  # before the declaration the count is not known
        store.commit([request], [])
        late = dataclasses.replace(chunks[0], n=2)
        assert chunk_outcomes(store, [late]) == [REFUSED]
        assert sorted(d.reason for d in store.dead_letters()) == ["invalid", "invalid"]
        assert store.count_chunks() == 0

    def test_a_resent_chunk_of_a_complete_attachment_is_acked_and_not_kept(self, store: CentralStore) -> None:
        request, chunks = photo(os.urandom(40_000))
        store.commit([request], [], chunks)
        assert chunk_outcomes(store, chunks[:1]) == [DUPLICATE]
        assert store.count_chunks() == 0

    def test_chunks_nobody_declares_expire_and_declared_ones_stay(self, store: CentralStore) -> None:
        blob = os.urandom(70_000)
        request, chunks = photo(blob)
        orphans = [Chunk(new_msg_id(), n, STRANGER, b"o" * 1000, 10.0) for n in range(5)]
        store.commit([request], [], orphans + chunks[:1])
        assert store.count_chunks() == 6
        assert store.expire_chunks(before=5.0) == 0, "nothing is that old yet"
        assert store.expire_chunks(before=100.0) == 5
        assert store.count_chunks() == 1, "the declared attachment's chunk is kept"
        store.commit([], [], chunks[1:])
        assert store.attachments_of("m1")[0][1] == "complete"

    def test_an_attachment_id_declared_again_by_another_request_is_dead_lettered(
        self, store: CentralStore
    ) -> None:
        blob = os.urandom(10_000)
        request, chunks = photo(blob)
        store.commit([request], [], chunks)
        thief = dataclasses.replace(request, msg_id="m2", device_id=STRANGER, digest="d-m2")
        assert store.commit([thief], []) == [NEW]
        assert store.attachments_of("m1") == [(chunks[0].att_id, "complete", blob)]
        [dead] = store.dead_letters()
        assert (dead.reason, dead.msg_id) == ("attachment_conflict", "m2")


OLD_CHUNKS_TABLE = """CREATE TABLE att_chunks (
    att_id TEXT NOT NULL, n INTEGER NOT NULL, device_id TEXT NOT NULL, data {blob} NOT NULL,
    received_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (att_id, n))"""


def test_a_database_from_before_keeps_its_chunks_and_gets_the_new_key(tmp_path: Path) -> None:
    """att_chunks was keyed by (att_id, n); opening the store re-keys it by (att_id, device_id, n), keeping rows."""
    blob = os.urandom(40_000)
    request, chunks = photo(blob)
    old = chunks[0]
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(OLD_CHUNKS_TABLE.format(blob="BLOB"))
    conn.execute(
        "INSERT INTO att_chunks VALUES (?, ?, ?, ?, ?)", (old.att_id, old.n, old.device_id, old.data, 1.0)
    )
    conn.commit()
    conn.close()
    url, schema = postgres_schema_url()
    import psycopg

    from tests.support.kiosk_env import TEST_POSTGRES_URL

    with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        admin.execute(f"SET search_path TO {schema}")
        admin.execute(OLD_CHUNKS_TABLE.format(blob="BYTEA"))
        admin.execute(
            "INSERT INTO att_chunks VALUES (%s, %s, %s, %s, %s)",
            (old.att_id, old.n, old.device_id, old.data, 1.0),
        )
    try:
        for db_url in (f"sqlite://{path}", url):
            store = open_store(db_url)
            try:
                assert store.count_chunks() == 1
                foreign = dataclasses.replace(chunks[1], device_id=STRANGER)
                assert chunk_outcomes(store, [foreign, chunks[1]]) == [NEW, NEW], "the new key takes both"
                store.commit([request], [])
                assert store.attachments_of("m1") == [(old.att_id, "complete", blob)]
            finally:
                store.close()
            again = open_store(db_url)  # the upgrade is done once; opening again changes nothing
            again.close()
    finally:
        drop_schema(schema)


def test_attachment_declarations_are_bounded_in_the_signed_request() -> None:
    from nacl.signing import SigningKey

    key = SigningKey.generate()

    def wire(*refs: list) -> bytes:
        env = Envelope(new_msg_id(), OWNER, 1, 0, Body("ktp", "K-0001", "id", b"x")).signed(
            lambda b: sign(b, key)
        )
        obj = json.loads(env.to_bytes())
        obj["b"]["att"] = [list(r) for r in refs]
        return json.dumps(obj).encode()

    att, sha = new_msg_id(), "0" * 64
    ok = Envelope.from_bytes(wire([att, 2, 40_000, sha]))
    assert ok.body.attachments[0].chunks == 2
    for ref, field in [
        ([att, 0, 10, sha], "b.att[0][1]"),  # no chunk at all
        ([att, 1, 40_000, sha], "b.att[0][1]"),  # more bytes than chunks of 32 KB can carry
        ([att, 11, 10, sha], "b.att[0][1]"),  # more chunks than bytes
        ([att, MAX_ATTACHMENT_CHUNKS + 1, 10**7, sha], "b.att[0][1]"),
        ([att, 600, MAX_ATTACHMENT_BYTES + 1, sha], "b.att[0][2]"),
    ]:
        with pytest.raises(EnvelopeError) as info:
            Envelope.from_bytes(wire(ref))
        assert info.value.field == field, ref
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_bytes(wire([att, 1, 10, sha], [att, 1, 10, sha]))
    assert info.value.field == "b.att[1][0]"


class Stranger:
    """A registered kiosk that publishes chunks on its own topic with another kiosk's attachment id."""

    def __init__(self, broker_url: str) -> None:
        self.acked: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="stranger", protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", int(broker_url.rsplit(":", 1)[1]))
        self.client.subscribe(topic(STRANGER, "ack"), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.acked.update(Ack.from_bytes(msg.payload).chunks)

    def publish(self, att_id: str, n: int, data: bytes) -> None:
        self.client.publish(topic(STRANGER, "att", att_id, n), data, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_another_kiosk_cannot_corrupt_a_photo_on_its_way(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    owner = make_site(tmp_path, broker.url, OWNER)
    other = make_site(tmp_path, broker.url, STRANGER)
    register(owner, central_db_url)
    register(other, central_db_url)
    settings = owner.settings()
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    blob = os.urandom(150_000)
    item = q.enqueue(Request("ktp", "id", {"nik": "9103010101010001"}), files=[blob])
    [(att_id, n_chunks)] = q.conn.execute("SELECT att_id, chunks FROM attachments").fetchall()
    q.close()
    rec = receiver(broker.url, central_db_url, settings).start()
    stranger = Stranger(broker.url)
    store = open_store(central_db_url)
    try:
        assert rec.ready.wait(10)
        for n in range(n_chunks):  # first: before the owner's request declares the attachment
            stranger.publish(att_id, n, os.urandom(MAX_CHUNK_BYTES))
        wait_until(lambda: len(stranger.acked) == n_chunks, 10, "the stranger's early chunks kept apart")
        up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
        try:
            wait_until(lambda: acked_count(owner) == 1, 20, "the owner's request acknowledged")
            for n in range(n_chunks + 2):  # then: after it, and beyond the declared count
                stranger.publish(att_id, n, os.urandom(1000))
            wait_until(
                lambda: [s for _, s, _ in store.attachments_of(item.msg_id)] == ["complete"],
                30,
                "the owner's photo reassembled",
            )
            time.sleep(0.5)
        finally:
            up.stop()
    finally:
        stranger.close()
        rec.stop()
    try:
        [(_, _, sealed)] = store.attachments_of(item.msg_id)
        from nacl.public import PrivateKey

        from layanan.security.crypto import CENTRAL_PRIVATE_FILE, read_key, unseal

        central_key = PrivateKey(read_key(owner.central_dir / "keys" / CENTRAL_PRIVATE_FILE, "central key"))
        assert sealed is not None and unseal(sealed, central_key) == blob
        foreign = [d for d in store.dead_letters() if d.reason == "foreign_chunk"]
        assert foreign and all(d.device_id == STRANGER for d in foreign)
        assert store.count_chunks() == 0, "nothing of the stranger's is left behind"
    finally:
        store.close()


def test_the_receiver_drops_orphan_chunks_after_the_configured_time(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    from central.receiver import Receiver, ReceiverOptions

    other = make_site(tmp_path, broker.url, STRANGER)
    register(other, central_db_url)
    options = ReceiverOptions(client_id="central-expiry", orphan_chunk_s=1.0)
    settings = other.settings()
    rec = Receiver(
        broker.url, lambda: open_store(central_db_url), settings.mqtt, options, signer=office_signer(settings)
    ).start()
    stranger = Stranger(broker.url)
    store = open_store(central_db_url)
    try:
        assert rec.ready.wait(10)
        for n in range(3):
            stranger.publish(new_msg_id(), n, b"o" * 30_000)
        wait_until(lambda: len(stranger.acked) == 3, 10, "three orphan chunks stored")
        wait_until(lambda: store.count_chunks() == 0, 10, "the orphan chunks dropped")
        assert rec.chunks_expired == 3
    finally:
        stranger.close()
        rec.stop()
        store.close()
