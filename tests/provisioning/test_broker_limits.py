"""The generated broker config bounds a message's size (issue 33, item 6): a real mosquitto started with it drops a
payload bigger than the largest the protocol sends (a 32 KB chunk) before any receiver sees it."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

from layanan.domain.envelope import MAX_CHUNK_BYTES
from provisioning.broker import MESSAGE_SIZE_LIMIT
from tests.provisioning.support import Client, Office, provision_device

pytestmark = pytest.mark.slow


def test_the_broker_drops_a_message_bigger_than_the_protocol_sends(tmp_path: Path) -> None:
    office = Office(tmp_path / "office").prepare()
    device = provision_device(office, tmp_path / "kiosks", "desa-big-01")
    office.broker_config()
    assert f"message_size_limit {MESSAGE_SIZE_LIMIT}" in (office.broker_dir / "mosquitto.conf").read_text()
    assert MESSAGE_SIZE_LIMIT == MAX_CHUNK_BYTES
    broker = office.start_broker()
    central = Client(office.port, "central", office.central_password, office.ca, "central-test")
    kiosk = Client(office.port, device.device_id, device.password, office.ca, device.device_id)
    try:
        assert central.connect() and kiosk.connect()
        central.subscribe("kiosk/v1/#")
        where = f"kiosk/v1/{device.device_id}/att/01a21eac-16cc-75e3-ab59-2f7af8eb4e95"
        kiosk.publish(f"{where}/0", b"y" * MESSAGE_SIZE_LIMIT)  # the largest chunk a kiosk sends
        topic, payload = central.next_message()
        assert (topic, len(payload)) == (f"{where}/0", MESSAGE_SIZE_LIMIT)
        # one byte more is refused: mosquitto drops it (and disconnects an MQTT v5 client that sends it)
        kiosk.client.publish(f"{where}/1", b"x" * (MESSAGE_SIZE_LIMIT + 1), qos=1)
        with pytest.raises(queue.Empty):
            central.messages.get(timeout=2.0)
    finally:
        kiosk.close()
        central.close()
        broker.stop()
