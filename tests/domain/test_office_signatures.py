"""Acks and status updates are signed by the office for one device (issue 33, item 6)."""

from __future__ import annotations

import dataclasses
import json

from nacl.signing import SigningKey

from layanan.domain.envelope import Ack, Rejection, StatusUpdate
from layanan.security.crypto import sign, verify

OFFICE = SigningKey(bytes(range(32)))
OTHER = SigningKey(bytes(range(1, 33)))


def office(message: bytes, signature: bytes) -> bool:
    return verify(message, signature, bytes(OFFICE.verify_key))


def test_a_signed_ack_round_trips_and_verifies_for_its_device_only() -> None:
    ack = Ack(("m1", "m2"), (("a1", 0),), (Rejection("m3", "bad_signature"),)).signed(
        "desa-01x", lambda b: sign(b, OFFICE)
    )
    back = Ack.from_bytes(ack.to_bytes())
    assert back == ack
    assert back.verify("desa-01x", office)
    assert not back.verify("desa-02x", office), "an ack for another kiosk, replayed here"


def test_an_unsigned_tampered_or_foreign_signed_ack_does_not_verify() -> None:
    signed = Ack(("m1",)).signed("desa-01x", lambda b: sign(b, OFFICE))
    assert not Ack(("m1",)).verify("desa-01x", office)
    assert not Ack.from_bytes(Ack(("m1",)).to_bytes()).verify("desa-01x", office)
    tampered = json.loads(signed.to_bytes())
    tampered["ids"].append("m-not-committed")
    assert not Ack.from_bytes(json.dumps(tampered).encode()).verify("desa-01x", office)
    forged = Ack(("m1",)).signed("desa-01x", lambda b: sign(b, OTHER))
    assert not forged.verify("desa-01x", office)


def test_a_signed_status_update_verifies_and_a_changed_status_does_not() -> None:
    upd = StatusUpdate("01a21ea8-f208-7f57-bd32-9998ffdd0911", "K-0005", "siap diambil").signed(
        "desa-01x", lambda b: sign(b, OFFICE)
    )
    back = StatusUpdate.from_bytes(upd.to_bytes())
    assert back == upd and back.verify("desa-01x", office)
    assert not dataclasses.replace(back, status="ditolak").verify("desa-01x", office)
    assert not StatusUpdate(upd.msg_id, upd.ticket, upd.status).verify("desa-01x", office)


def test_an_old_kiosk_still_reads_a_signed_ack() -> None:
    """Kiosks from before signing read ``ids``/``ch``/``rej`` and ignore the rest of the object."""
    ack = Ack(("m1",), (("a1", 2),)).signed("desa-01x", lambda b: sign(b, OFFICE))
    wire = json.loads(ack.to_bytes())
    assert (wire["ids"], wire["ch"]) == (["m1"], [["a1", 2]])
    assert set(wire) == {"v", "ids", "ch", "dev", "sig"}
