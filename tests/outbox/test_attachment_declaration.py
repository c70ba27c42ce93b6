"""The kiosk declares each photo as central binds it: count, size and sha256 in the signed request, within the
bounds central accepts (issue 33, item 3)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from kiosk.outbox.store import LocalQueue
from kiosk.outbox.uploader import build_envelope
from layanan.domain.envelope import MAX_ATTACHMENT_BYTES, Envelope
from layanan.domain.request import Request
from layanan.security.crypto import sign


def test_the_signed_request_declares_each_photos_chunks_size_and_digest(tmp_path: Path) -> None:
    q = LocalQueue(tmp_path / "q.db", seal=lambda b: b)
    photo = bytes(range(256)) * 400
    item = q.enqueue(Request("ktp", "id"), files=[photo], chunk_bytes=10_000)
    [row] = q.due(1, now=1e12)
    key = SigningKey.generate()
    env = build_envelope(
        row, "desa-01x", lambda b: sign(b, key), q.attachment_refs([item.msg_id])[item.msg_id]
    )
    [ref] = Envelope.from_bytes(env.to_bytes()).body.attachments
    assert (ref.chunks, ref.size, ref.sha256) == (11, len(photo), hashlib.sha256(photo).hexdigest())
    assert json.loads(env.canonical_bytes())["b"]["att"] == [[ref.att_id, 11, len(photo), ref.sha256]]
    q.close()


def test_a_photo_larger_than_central_takes_is_refused_at_enqueue_with_what_to_do(tmp_path: Path) -> None:
    q = LocalQueue(tmp_path / "q.db", seal=lambda b: b)
    with pytest.raises(ValueError, match="lower resolution"):
        q.enqueue(Request("ktp", "id"), files=[b"\xff" * (MAX_ATTACHMENT_BYTES + 1)])
    assert q.counts() == {}, "nothing was queued"
    q.close()
