"""Ticket look-up anywhere (issue 36, finding 11), on the real thing: a private Mosquitto with the generated
passwords, ACL and TLS; the real receiver on SQLite and PostgreSQL; kiosk A's uploader delivers a request, and a
citizen at kiosk B types its ticket: B asks the office on ``ask`` and shows what the signed ``ans`` says. With the
office down, B says "belum ada kabar" and loses nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from central.receiver import Receiver, ReceiverOptions
from central.store import Device, open_store
from kiosk import compose
from kiosk.outbox.ask import OfficeAsker
from kiosk.outbox.store import LocalQueue
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from kiosk.session import KioskSession, SilentSpeaker
from layanan.config import Settings, load_settings
from layanan.domain.events import Tap
from layanan.domain.request import Request
from layanan.security.crypto import load_office_signing_key, load_office_verify_key, sign
from tests.provisioning.support import Device as Kiosk
from tests.provisioning.support import Office, provision_device
from tests.support.waiting import wait_until
from tools.net import Mosquitto

pytestmark = pytest.mark.slow

FAST = {"reconnect_min_s": "0.2", "reconnect_max_s": "1", "connect_timeout_s": "5"}


@dataclass
class Town:
    office: Office
    broker: Mosquitto
    a: Kiosk
    b: Kiosk
    db_url: str

    def kiosk_settings(self, kiosk: Kiosk) -> Settings:
        return load_settings(kiosk.config, env={}, overrides={"mqtt": FAST, "outbox": {"ack_timeout_s": "5"}})

    def receiver(self) -> Receiver:
        settings = load_settings(
            env={},
            overrides={
                "mqtt": {
                    **FAST,
                    "username": "central",
                    "password_file": str(self.office.broker_dir / "central.password"),
                    "ca_file": str(self.office.ca),
                }
            },
        )
        key = load_office_signing_key(self.office.keys)
        return Receiver(
            f"mqtts://127.0.0.1:{self.office.port}",
            lambda: open_store(self.db_url),
            settings.mqtt,
            ReceiverOptions(client_id="central-lookup-test"),
            signer=lambda data: sign(data, key),
        )


@pytest.fixture
def town(tmp_path: Path, central_db_url: str) -> Iterator[Town]:
    office = Office(tmp_path / "office").prepare()
    a = provision_device(office, tmp_path / "kiosks", "desa-a-01", kiosk_code="101")
    b = provision_device(office, tmp_path / "kiosks", "desa-b-01", kiosk_code="102")
    office.broker_config()  # with both kiosks' passwords and the generated ACL
    store = open_store(central_db_url)
    for path in sorted(office.devices_dir.glob("*.register.json")):
        store.add_device(Device.from_record(json.loads(path.read_text()), time.time()))
    store.close()
    broker = office.start_broker()
    try:
        yield Town(office, broker, a, b, central_db_url)
    finally:
        broker.stop()


def deliver_from_a(town: Town) -> str:
    """Kiosk A queues a request and its uploader delivers it; the ticket."""
    settings = town.kiosk_settings(town.a)
    keys = device_keys(settings)
    queue = open_queue(settings, keys)
    queued = queue.enqueue(Request("ktp_new", "id", {"nik": "9103010101010001"}))
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(lambda: queue.list()[0].state == "acked", 30, "kiosk A's request acknowledged")
    finally:
        up.stop()
        queue.close()
    return queued.ticket


def session_at_b(town: Town, asker: OfficeAsker) -> tuple[KioskSession, SilentSpeaker, LocalQueue]:
    settings = town.kiosk_settings(town.b)
    queue = compose.open_queue(settings)
    speaker = SilentSpeaker()
    session = KioskSession(compose.flow(settings), queue, speaker, office=asker)
    session.start()
    return session, speaker, queue


def type_ticket(session: KioskSession, ticket: str) -> None:
    for target in ("tiket", *(f"key:{d}" for d in ticket), "ya"):
        session.dispatch(Tap(target))


def test_kiosk_b_finds_a_ticket_made_at_kiosk_a_through_the_office(town: Town) -> None:
    receiver = town.receiver().start()
    try:
        assert receiver.ready.wait(20), "the receiver subscribed"
        ticket = deliver_from_a(town)
        assert ticket == "1010001", "kiosk A's code begins its ticket"
        store = open_store(town.db_url)
        [request] = store.find_tickets(ticket)
        store.set_status(request.msg_id, "Siap diambil")
        store.close()

        settings_b = town.kiosk_settings(town.b)
        session, speaker, queue = session_at_b(town, compose.office_asker(settings_b))
        type_ticket(session, ticket)
        assert session.state.asking == ticket and speaker.said[-1] == ("status.asking",)
        wait_until(lambda: session.state.ticket == ticket, 20, "the office's answer on kiosk B")
        state = session.state
        assert (state.service, state.status, state.status_state) == (
            "ktp_new",
            "Siap diambil",
            "siap_diambil",
        )
        assert state.status_date == time.strftime("%Y-%m-%d", time.gmtime(request.received_at + 7 * 3600))
        assert speaker.said[-1][-1] == "status.siap_diambil", "the status is said aloud"
        assert queue.list() == [], "kiosk B stores nothing of another kiosk's ticket"

        # a ticket the office does not have is said to be unknown
        session.dispatch(Tap("selesai"))
        type_ticket(session, "1019999")
        wait_until(lambda: session.state.error == "status.not_found", 20, "the office's 'not found'")
        assert receiver.responder.answered == 2 and receiver.responder.ignored == 0
        queue.close()
    finally:
        receiver.stop()


def test_with_the_office_down_kiosk_b_says_belum_ada_kabar_and_loses_nothing(town: Town) -> None:
    settings_b = town.kiosk_settings(town.b)
    keys = device_keys(settings_b)
    office_key = load_office_verify_key(settings_b.data_dir / "keys")
    asker = OfficeAsker(settings_b, signer(keys), office_key, timeout_s=3)
    session, speaker, queue = session_at_b(town, asker)
    queue.enqueue(Request("kk", "id"))  # kiosk B's own waiting request
    type_ticket(session, "1010001")
    wait_until(lambda: session.state.error == "status.no_answer", 20, "'belum ada kabar' on kiosk B")
    assert speaker.said[-1] == ("err.status.no_answer",)
    assert session.state.screen == "status" and not session.state.asking
    assert [r.ticket for r in queue.list()] == ["1020001"], "nothing lost on kiosk B"
    book = compose.prompt_books(settings_b, compose.catalog(settings_b))["id"]
    assert "belum ada kabar" in book.text("err.status.no_answer").lower()
    queue.close()
