"""A clerk's state change reaches a real kiosk: ``kiosk simulate`` queues a request, the ``kiosk uploader``
process delivers it through a real Mosquitto to the receiver, the clerk moves it to 'siap diambil' in chromium,
the uploader stores it and acknowledges (updack), the page shows it acknowledged, and the kiosk's ticket
look-up (``kiosk simulate`` again) reads it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from central import compose
from central.store import Device
from layanan.domain.request import format_ticket
from tests.support.delivery import acked_count, receiver
from tests.support.kiosk_env import ROOT, kill, make_site, run_cli, spawn
from tests.support.office import Office, office_settings
from tests.support.waiting import wait_until
from tools.net import Mosquitto

from .test_browser import log_in


def test_a_state_change_reaches_the_kiosk_and_the_page_shows_it_acknowledged(
    tmp_path: Path, broker: Mosquitto, central_db_url: str, page: Any
) -> None:
    site = make_site(tmp_path, broker.url)
    flags = site.cli_flags()
    made = run_cli("kiosk.cli", ["simulate", str(ROOT / "tests/scenarios/ktp_new.json"), *flags])
    assert made.returncode == 0, made.stderr
    ticket = json.loads(made.stdout)["request"]["ticket"]

    office = Office(
        office_settings(
            tmp_path / "office", central_db_url, broker.url, keys_dir=str(site.central_dir / "keys")
        ),
        central_db_url,
    )
    record = json.loads(site.device_record().read_text())
    store = compose.store(office.settings, central_db_url)
    store.add_device(Device.from_record(record, time.time()))
    store.close()
    office.user("ani", "clerk", "91.03", "dukcapil")
    rec = receiver(broker.url, central_db_url, site.settings()).start()
    uploader = spawn("kiosk.cli", ["uploader", *flags], tmp_path / "uploader.log")
    office.start(broker.url, link=True)
    try:
        wait_until(lambda: acked_count(site) == 1, 30, "the kiosk's request acknowledged by central")
        office.index()
        log_in(page, office, "ani")
        page.wait_for_url("**/inbox")
        page.click(f"a.ticket:text('{format_ticket(ticket)}')")  # shown as "001 0001"
        page.wait_for_selector("dl.fields")
        for state in ("diproses", "siap_diambil"):
            page.check(f"input[value={state}]")
            page.click("form.change button")
            page.wait_for_selector("p.flash")

        def acknowledged() -> bool:
            page.reload()
            return "Kios sudah menerima" in page.locator("#kiosk-state").inner_text()

        wait_until(acknowledged, 30, "the page showing the kiosk's acknowledgement")
        assert "Siap diambil" in page.locator("#kiosk-state").inner_text()
    finally:
        kill(uploader)
        office.stop()
        rec.stop()
    lookup = tmp_path / "lookup.json"
    keys = [{"tap": f"key:{d}"} for d in ticket[-4:]]
    lookup.write_text(json.dumps({"events": [{"tap": "tiket"}, *keys, {"tap": "ya"}]}))
    seen = run_cli("kiosk.cli", ["simulate", str(lookup), *flags])
    assert seen.returncode == 0, seen.stderr
    assert json.loads(seen.stdout)["ticket_status"] == {"ticket": ticket, "status": "Siap diambil"}
