"""The generated broker config on a real mosquitto: passwords, per-device ACL and TLS with the pinned CA."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning import pki
from tests.provisioning.support import Client, Device, Office, provision_device
from tools.net import Mosquitto

pytestmark = pytest.mark.slow


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Office, Device, Device, Mosquitto]]:
    office = Office(tmp_path / "office").prepare()
    a = provision_device(office, tmp_path / "kiosks", "desa-a-01")
    b = provision_device(office, tmp_path / "kiosks", "desa-b-01")
    office.broker_config()  # again, now with both kiosks' .passwd files
    broker = office.start_broker()
    try:
        yield office, a, b, broker
    finally:
        broker.stop()


def device_client(office: Office, device: Device, suffix: str = "") -> Client:
    client = Client(office.port, device.device_id, device.password, office.ca, device.device_id + suffix)
    assert client.connect(), f"{device.device_id} was refused: {client.reason}"
    return client


def central_client(office: Office) -> Client:
    client = Client(office.port, "central", office.central_password, office.ca, "central-test")
    assert client.connect(), f"central was refused: {client.reason}"
    return client


def test_device_cannot_publish_on_another_devices_topics(
    site: tuple[Office, Device, Device, Mosquitto],
) -> None:
    office, a, b, _ = site
    central = central_client(office)
    central.subscribe("kiosk/v1/#")
    dev_a = device_client(office, a)
    try:
        for leaf in ("req", "att/018f/0", "status", "tel", "ack", "upd", "ask", "ans"):
            dev_a.publish(f"kiosk/v1/{b.device_id}/{leaf}", b"forged")
        dev_a.publish(f"kiosk/v1/{a.device_id}/ack", b"own ack is read-only for the device")
        dev_a.publish(f"kiosk/v1/{a.device_id}/ans", b"own answers are read-only for the device")
        dev_a.publish(f"kiosk/v1/{a.device_id}/req", b"sentinel")
        received = []
        while True:
            topic, payload = central.next_message()
            received.append((topic, payload))
            if payload == b"sentinel":
                break
        assert received == [(f"kiosk/v1/{a.device_id}/req", b"sentinel")]
    finally:
        dev_a.close()
        central.close()


def test_device_writes_each_of_its_own_upload_topics(site: tuple[Office, Device, Device, Mosquitto]) -> None:
    office, a, _, _ = site
    central = central_client(office)
    central.subscribe("$share/central/kiosk/v1/+/req")
    central.subscribe("kiosk/v1/+/att/#")
    central.subscribe("kiosk/v1/+/status")
    central.subscribe("kiosk/v1/+/tel")
    dev_a = device_client(office, a)
    try:
        topics = [f"kiosk/v1/{a.device_id}/{leaf}" for leaf in ("req", "att/018f/3", "status", "tel")]
        for topic in topics:
            dev_a.publish(topic, b"x")
        assert sorted(central.next_message()[0] for _ in topics) == sorted(topics)
    finally:
        dev_a.close()
        central.close()


def test_device_reads_only_its_own_acks_and_updates(site: tuple[Office, Device, Device, Mosquitto]) -> None:
    office, a, b, _ = site
    dev_a = device_client(office, a)
    dev_b = device_client(office, b)
    central = central_client(office)
    try:
        dev_a.subscribe(f"kiosk/v1/{b.device_id}/ack")
        dev_a.subscribe(f"kiosk/v1/{b.device_id}/upd")
        dev_a.subscribe("kiosk/v1/+/req")
        dev_a.subscribe(f"kiosk/v1/{a.device_id}/ack")
        dev_a.subscribe(f"kiosk/v1/{a.device_id}/upd")
        dev_b.subscribe(f"kiosk/v1/{b.device_id}/ack")
        central.publish(f"kiosk/v1/{b.device_id}/ack", b"ack for b")
        central.publish(f"kiosk/v1/{b.device_id}/upd", b"upd for b")
        dev_b.publish(f"kiosk/v1/{b.device_id}/req", b"b's request")
        central.publish(f"kiosk/v1/{a.device_id}/upd", b"upd for a")
        central.publish(f"kiosk/v1/{a.device_id}/ack", b"ack for a")
        assert dev_a.next_message() == (f"kiosk/v1/{a.device_id}/upd", b"upd for a")
        assert dev_a.next_message() == (f"kiosk/v1/{a.device_id}/ack", b"ack for a")
        assert dev_a.messages.empty()
        assert dev_b.next_message() == (
            f"kiosk/v1/{b.device_id}/ack",
            b"ack for b",
        )  # the ack itself was sent
    finally:
        for client in (dev_a, dev_b, central):
            client.close()


def test_anonymous_and_wrong_password_clients_are_refused(
    site: tuple[Office, Device, Device, Mosquitto],
) -> None:
    office, a, _, _ = site
    anonymous = Client(office.port, None, None, office.ca, "anon")
    assert not anonymous.connect()
    assert anonymous.reason is not None and getattr(anonymous.reason, "is_failure", True)
    wrong = Client(office.port, a.device_id, "not-the-password-at-all", office.ca, "wrong")
    assert not wrong.connect()
    anonymous.close()
    wrong.close()


def test_tls_connects_with_the_pinned_ca_and_fails_with_another(
    site: tuple[Office, Device, Device, Mosquitto], tmp_path: Path
) -> None:
    office, a, _, _ = site
    pinned = a.data_dir / "keys" / "ca.crt"
    assert pinned.read_bytes() == office.ca.read_bytes()
    good = Client(office.port, a.device_id, a.password, pinned, "good-ca")
    assert good.connect()
    good.close()
    other = pki.make_ca("Somebody else's CA")
    other_ca = tmp_path / "other-ca.crt"
    other_ca.write_bytes(other.cert_pem())
    bad = Client(office.port, a.device_id, a.password, other_ca, "bad-ca")
    with pytest.raises(ssl.SSLError):
        bad.connect()
    bad.close()


def test_revoked_device_can_no_longer_connect(site: tuple[Office, Device, Device, Mosquitto]) -> None:
    office, a, b, broker = site
    office.broker_config("--revoke", b.device_id)
    broker.restart()
    device_client(office, a).close()  # the others still connect
    stolen = Client(office.port, b.device_id, b.password, office.ca, "stolen")
    assert not stolen.connect()
    stolen.close()
