"""The envelope and the other wire messages: round trips, size, signatures, and errors that name the field."""

from __future__ import annotations

import json
import random

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from kiosk.outbox.synthetic import synthetic_request
from layanan.domain.envelope import (
    Ack,
    Body,
    Envelope,
    EnvelopeError,
    Rejection,
    StatusUpdate,
    Telemetry,
    parse_topic,
    topic,
)
from layanan.domain.request import new_msg_id
from layanan.security.crypto import seal, sign, verify

KEY = SigningKey(bytes(range(32)))
CENTRAL = PrivateKey(bytes(range(1, 33)))


def make_envelope(seed: int = 0) -> Envelope:
    request = synthetic_request(random.Random(seed))
    sealed = seal(json.dumps(request.personal(), separators=(",", ":")).encode(), CENTRAL.public_key)
    body = Body(request.service_id, "K-0042", request.lang, sealed)
    return Envelope(new_msg_id(), "desa-sentani-01", 42, 1_795_000_000_000, body).signed(
        lambda b: sign(b, KEY)
    )


def wire(env: Envelope) -> dict:
    return json.loads(env.to_bytes())


def test_envelope_round_trips_and_verifies() -> None:
    env = make_envelope()
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert back.verify(lambda m, s: verify(m, s, bytes(KEY.verify_key)))


def test_typical_text_request_fits_in_one_kilobyte_with_topic_and_signature() -> None:
    sizes = [
        len(make_envelope(seed).to_bytes()) + len(topic("desa-sentani-01", "req")) + 4 for seed in range(50)
    ]
    assert max(sizes) <= 1024, sizes


def test_tampered_body_fails_verification() -> None:
    obj = wire(make_envelope())
    obj["b"]["svc"] = "bansos" if obj["b"]["svc"] != "bansos" else "ktp"
    tampered = Envelope.from_bytes(json.dumps(obj).encode())
    assert not tampered.verify(lambda m, s: verify(m, s, bytes(KEY.verify_key)))


def test_resend_has_identical_bytes_and_digest() -> None:
    env = make_envelope()
    again = Envelope(env.msg_id, env.device_id, env.seq, env.created_ms, env.body).signed(
        lambda b: sign(b, KEY)
    )
    assert again.to_bytes() == env.to_bytes()
    assert again.digest() == env.digest()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.update(v=2), "v"),
        (lambda o: o.update(v="1"), "v"),
        (lambda o: o.update(seq="7"), "seq"),
        (lambda o: o.update(seq=True), "seq"),
        (lambda o: o.update(id="not-a-uuid"), "id"),
        (lambda o: o.pop("dev"), "dev"),
        (lambda o: o["b"].update(svc=5), "b.svc"),
        (lambda o: o["b"].update(pd="***"), "b.pd"),
        (lambda o: o.update(sig="AAAA"), "sig"),
        (lambda o: o.update(extra=1), "extra"),
    ],
)
def test_bad_fields_are_refused_by_name(change, field: str) -> None:
    obj = wire(make_envelope())
    change(obj)
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_bytes(json.dumps(obj).encode())
    assert info.value.field == field


def test_malformed_json_and_oversized_payloads_are_refused() -> None:
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_bytes(b'{"v":1,')
    assert info.value.field == "json"
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_bytes(b"[" + b"1," * 20000 + b"1]")
    assert info.value.field == "size"


def test_ack_status_update_and_telemetry_round_trip() -> None:
    ack = Ack(("a", "b"), (("c", 3),), (Rejection("d", "bad_signature"),))
    assert Ack.from_bytes(ack.to_bytes()) == ack
    upd = StatusUpdate(new_msg_id(), "K-0042", "siap diambil")
    assert StatusUpdate.from_bytes(upd.to_bytes()) == upd
    tel = Telemetry(3, 12.5, 1_795_000_000_000, 1024, {"sw": "0.1.0"}, 1, "ab" * 32)
    assert Telemetry.from_bytes(tel.to_bytes()) == tel


def test_topics_follow_the_protocol_table() -> None:
    assert topic("desa-01x", "att", "abc", 3) == "kiosk/v1/desa-01x/att/abc/3"
    assert parse_topic("kiosk/v1/desa-01x/req") == ("desa-01x", "req", ())
    with pytest.raises(EnvelopeError):
        parse_topic("other/v1/desa-01x/req")
