"""Ticket codes unique within the office (issue 34, finding 5), on SQLite and PostgreSQL: ``devices import`` refuses
a kiosk code an active kiosk has, ``--replace OLD`` hands it over and says where the numbering continues, ``devices
show`` prints it, ``update`` needs no ``--device``, and a code the office already has is logged but stored."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from central.store import StoredRequest, open_store
from tests.support.kiosk_env import make_site, run_cli


def central(*args: str) -> tuple[int, str, str]:
    done = run_cli("central.cli", list(args))
    return done.returncode, done.stdout, done.stderr


def record(tmp_path: Path, device_id: str, kiosk_code: str) -> Path:
    path = tmp_path / f"{device_id}.register.json"
    key = bytes(SigningKey.generate().verify_key).hex()
    path.write_text(
        json.dumps(
            {
                "device_id": device_id,
                "public_key": key,
                "village_code": "91.03.05.2001",
                "kiosk_code": kiosk_code,
                "credentials_sha256": "0" * 64,
            }
        )
    )
    return path


def stored(device_id: str, seq: int, ticket: str, msg_id: str) -> StoredRequest:
    return StoredRequest(
        msg_id, device_id, seq, ticket, "ktp_new", "id", 0, 1_780_000_000.0 + seq, "d" + msg_id, b"s"
    )


def msg(n: int) -> str:
    return f"01900000-0000-7000-8000-{n:012d}"


def test_a_taken_kiosk_code_is_refused_and_replace_continues_the_numbering(
    tmp_path: Path, central_db_url: str
) -> None:
    open_store(central_db_url).close()  # as 'kiosk-central serve' leaves it
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    base = ["--db", central_db_url, "--data-dir", str(site.central_dir)]
    code, out, err = central("devices", "import", str(record(tmp_path, "desa-lama-01", "123")), *base)
    assert code == 0 and "kiosk code 123" in out, err
    store = open_store(central_db_url)
    store.commit([stored("desa-lama-01", 41, "1230041", msg(1))], [])
    store.save_telemetry("desa-lama-01", {"q": 2}, 1_780_000_100.0)  # two requests still queued on it
    store.close()

    new = record(tmp_path, "desa-baru-01", "123")
    code, out, err = central("devices", "import", str(new), *base)
    assert code == 1
    assert "kiosk code 123" in err and "desa-lama-01" in err and "--replace desa-lama-01" in err
    assert "123 0041" in err, "the refusal names the kiosk's last ticket"

    code, out, err = central("devices", "import", str(new), "--replace", "desa-nope-01", *base)
    assert code == 1 and "no such device" in err

    code, out, err = central("devices", "import", str(new), "--replace", "desa-lama-01", *base)
    assert code == 0, err
    assert "replacing desa-lama-01" in out and "now disabled" in out
    assert "kiosk-provision init --next-ticket 44" in out, "after the last ticket and the two still queued"
    store = open_store(central_db_url)
    assert store.device("desa-lama-01").disabled  # type: ignore[union-attr]
    assert store.device("desa-baru-01").kiosk_code == "123"  # type: ignore[union-attr]
    store.close()

    code, out, err = central("devices", "show", "desa-lama-01", *base)
    assert code == 0, err
    assert "kiosk code   123" in out and "last ticket  123 0041" in out and "--next-ticket 44" in out
    code, out, _ = central("devices", "--json", *base)
    rows = {r["device_id"]: r for r in json.loads(out)}
    assert rows["desa-lama-01"]["kiosk_code"] == "123" and rows["desa-lama-01"]["last_ticket"] == "123 0041"
    # finding 6: a replaced (disabled) kiosk says so in the listing, not "SILENT seen None s ago"
    code, out, _ = central("devices", *base)
    [old_line] = [line for line in out.splitlines() if "desa-lama-01" in line]
    assert "DISABLED" in old_line and "None" not in out
    assert "DISABLED" not in next(line for line in out.splitlines() if "desa-baru-01" in line)

    # the code is free again for nobody else while the new kiosk holds it
    code, _, err = central("devices", "import", str(record(tmp_path, "desa-lain-01", "123")), *base)
    assert code == 1 and "desa-baru-01" in err


def test_update_finds_a_ticket_without_device_and_asks_for_it_when_an_old_code_is_shared(
    tmp_path: Path, central_db_url: str
) -> None:
    open_store(central_db_url).close()  # as 'kiosk-central serve' leaves it
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    base = ["--db", central_db_url, "--data-dir", str(site.central_dir)]
    store = open_store(central_db_url)
    store.commit(
        [
            stored("desa-satu-01", 1, "1230001", msg(1)),
            stored("desa-dua-01", 1, "4560001", msg(2)),
            stored("desa-satu-01", 2, "K-0002", msg(3)),
            stored("desa-dua-01", 2, "K-0002", msg(4)),
        ],
        [],
    )
    store.close()
    offline = ["--broker", "mqtt://127.0.0.1:1", "--timeout", "1"]
    code, _, err = central("update", "456 0001", "siap diambil", *offline, *base)
    assert "status stored" in err, err  # found without --device; the broker is down in this test
    code, _, err = central("update", "K-0002", "diproses", *offline, *base)
    assert code == 1 and "2 kiosks" in err and "--device" in err
    code, _, err = central("update", "K-0002", "diproses", "--device", "desa-dua-01", *offline, *base)
    assert "status stored" in err, err
    code, _, err = central("update", "12", "diproses", *base)
    assert code == 2 and "123 0427" in err
    store = open_store(central_db_url)
    status = {r.msg_id: r.status for r in store.requests()}
    assert status == {msg(1): "received", msg(2): "siap diambil", msg(3): "received", msg(4): "diproses"}
    store.close()


def test_a_ticket_the_office_already_has_from_another_kiosk_is_logged_and_stored(
    central_db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(central_db_url)
    with caplog.at_level(logging.WARNING, logger="central.store"):
        store.commit([stored("desa-satu-01", 7, "1230007", msg(1))], [])
        assert not caplog.records
        store.commit([stored("desa-dua-01", 7, "1230007", msg(2))], [])  # two kiosks share code 123
    [warning] = caplog.records
    assert "1230007" in warning.getMessage() and "desa-satu-01" in warning.getMessage()
    assert {r.msg_id for r in store.find_tickets("1230007")} == {msg(1), msg(2)}, "never lose a request"
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="central.store"):
        store.commit([stored("desa-satu-01", 8, "1230008", msg(3))], [])
        store.commit([stored("desa-satu-01", 10008, "1230008", msg(4))], [])  # its numbering went round
        assert not caplog.records
        store.commit([stored("desa-satu-01", 8, "1230008", msg(5))], [])  # a replacement that began again
    [warning] = caplog.records
    assert "replacement did not continue" in warning.getMessage()
    store.close()
