"""Poison envelopes: values a database cannot hold and text it cannot store are refused by the schema, by name.

Each case here once passed the schema and then broke the commit at central (issue 33, item 1).
"""

from __future__ import annotations

import json

import pytest
from nacl.signing import SigningKey

from layanan.domain.envelope import Body, Envelope, EnvelopeError, StatusUpdate, Telemetry
from layanan.domain.request import new_msg_id
from layanan.security.crypto import sign

KEY = SigningKey(bytes(range(32)))
INT64_MAX = 2**63 - 1


def signed(
    seq: int = 7, ts: int = 1_795_000_000_000, svc: str = "ktp", tk: str = "K-0007", lang: str = "id"
) -> dict:
    body = Body(svc, tk, lang, b"sealed")
    env = Envelope(new_msg_id(), "desa-poison-01", seq, ts, body).signed(lambda b: sign(b, KEY))
    return json.loads(env.to_bytes())


def refused(obj: dict | bytes) -> EnvelopeError:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_bytes(data)
    return info.value


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", 2**64), ("seq", INT64_MAX + 1), ("ts", 2**64), ("ts", -1)],
)
def test_numbers_beyond_a_signed_64_bit_database_integer_are_refused(field: str, value: int) -> None:
    obj = {**signed(), field: value}
    assert refused(obj).field == field


def test_the_largest_signed_64_bit_values_are_still_accepted() -> None:
    env = Envelope.from_bytes(json.dumps(signed(seq=INT64_MAX, ts=INT64_MAX)).encode())
    assert (env.seq, env.created_ms) == (INT64_MAX, INT64_MAX)


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("b.tk", "K-\x000001"),
        ("b.svc", "ktp\x00"),
        ("b.lang", "i\nd"),
        ("b.tk", "K\x7f1"),
        ("b.svc", "k\x85tp"),
    ],
)
def test_control_characters_in_signed_text_are_refused_without_echoing_them(field: str, text: str) -> None:
    kwargs = {"b.tk": "tk", "b.svc": "svc", "b.lang": "lang"}
    exc = refused(signed(**{kwargs[field]: text}))
    assert exc.field == field
    assert "control character" in exc.problem
    assert str(exc).isprintable(), "the error goes into a dead letter: it must be storable text"


def test_a_lone_surrogate_in_signed_text_is_refused() -> None:
    obj = signed()
    data = json.dumps(obj).replace('"K-0007"', '"K-\\ud800"').encode()
    assert refused(data).field == "b.tk"


def test_an_unknown_key_with_a_nul_is_named_in_printable_form() -> None:
    obj = {**signed(), "x\x00y": 1}
    exc = refused(obj)
    assert exc.field == "x\\x00y"
    assert str(exc).isprintable() and "\x00" not in str(exc)


def test_a_very_long_unknown_key_is_named_shortened() -> None:
    exc = refused({**signed(), "k" * 5000: 1})
    assert len(exc.field) <= 64


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 8000 + b"]" * 8000,
        b'{"a":' * 8000 + b"1" + b"}" * 8000,
        b'{"v":1,"seq":' + b"9" * 5000 + b"}",
    ],
    ids=["list-8000-deep", "object-8000-deep", "5000-digit-integer"],
)
def test_deep_nesting_and_huge_integers_are_malformed_json_not_a_crash(payload: bytes) -> None:
    for parse in (
        lambda: Envelope.from_bytes(payload, limit=64 * 1024),
        lambda: Telemetry.from_bytes(payload[:8192]),
        lambda: StatusUpdate.from_bytes(payload[:4096]),
    ):
        with pytest.raises(EnvelopeError) as info:
            parse()
        assert info.value.field in ("json", "size")
    assert refused(payload).field in ("json", "size")
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_bytes(payload, limit=64 * 1024)
    assert info.value.field == "json"


@pytest.mark.parametrize(("index", "value"), [(1, 2**31), (2, 2**64)])
def test_attachment_numbers_beyond_the_database_columns_are_refused(index: int, value: int) -> None:
    obj = signed()
    ref = [new_msg_id(), 1, 10, "0" * 64]
    ref[index] = value
    obj["b"]["att"] = [ref]
    assert refused(obj).field == f"b.att[0][{index}]"
