"""The central commands as subprocesses: devices import/list, export with personal data opened, ticket updates."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

from kiosk.outbox.store import LocalQueue
from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from layanan.domain.request import format_ticket
from tests.support.delivery import acked_count, receiver
from tests.support.kiosk_env import make_site, run_cli
from tests.support.waiting import wait_until
from tools.net import Mosquitto


def central(*args: str) -> tuple[int, str, str]:
    done = run_cli("central.cli", list(args))
    return done.returncode, done.stdout, done.stderr


def test_a_request_travels_to_central_is_exported_and_its_status_comes_back(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    base = ["--db", central_db_url, "--data-dir", str(site.central_dir)]
    code, out, err = central("devices", "import", str(site.device_record()), *base)
    assert code == 0, err
    settings = site.settings()
    keys = device_keys(settings)
    q = open_queue(settings, keys)
    item = q.enqueue(synthetic_request(random.Random(1)))
    expected = synthetic_request(random.Random(1))
    q.close()
    rec = receiver(broker.url, central_db_url, settings).start()
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(lambda: acked_count(site) == 1, 20, "the request acknowledged")

        code, out, err = central("export", "--format", "json", *base)
        assert code == 0, err
        [row] = json.loads(out)
        assert (row["msg_id"], row["ticket"], row["fields"]) == (
            item.msg_id,
            item.ticket,
            dict(expected.fields),
        )
        code, out, err = central("export", "--format", "csv", *base)
        assert code == 0, err
        assert next(csv.DictReader(io.StringIO(out)))["ticket"] == item.ticket

        # tickets are unique within the office: the ticket as printed on the slip is enough (issue 34, item 5)
        code, out, err = central(
            "update", format_ticket(item.ticket), "siap diambil", "--broker", broker.url, *base
        )
        assert code == 0, err
        assert f"{site.device_id} {format_ticket(item.ticket)}: siap diambil" in out
        local = LocalQueue(queue_path(settings), seal=lambda b: b)
        wait_until(lambda: local.list()[0].status == "siap diambil", 20, "the status shown on the kiosk")
        local.close()

        wait_until(
            lambda: json.loads(central("devices", "--json", *base)[1])[0]["queue_depth"] == 0,
            20,
            "telemetry reporting an empty queue",
        )
        [dev] = json.loads(central("devices", "--json", *base)[1])
        assert dev["device_id"] == site.device_id and dev["silent"] is False
        assert dev["versions"]["sw"]
    finally:
        up.stop()
        rec.stop()
    code, out, err = central("export", "--dead-letters", "--format", "json", *base)
    assert code == 0 and json.loads(out) == []


def test_unknown_ticket_and_bad_device_record_get_clear_messages(tmp_path: Path, sqlite_db_url: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"device_id": "desa-01x", "public_key": "xyz"}))
    code, _, err = central("devices", "import", str(bad), "--db", sqlite_db_url, "--data-dir", str(tmp_path))
    assert code == 2 and "public_key" in err
    code, _, err = central(
        "update",
        "K-0001",
        "selesai",
        "--device",
        "desa-01x",
        "--db",
        sqlite_db_url,
        "--data-dir",
        str(tmp_path),
    )
    assert code == 1 and "no ticket K-0001" in err
