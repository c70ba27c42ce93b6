"""Exports and the device list as a person reads them: times in the village's zone (WIB, WITA, WIT), service names,
fields as CSV columns, 'never' instead of None, no traceback when the reader closes the pipe (issue 34, item 9)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from nacl.public import PublicKey

from central.store import StoredRequest, open_store
from layanan.domain.request import new_msg_id
from layanan.security.crypto import CENTRAL_PUBLIC_FILE, read_key, seal
from tests.support.kiosk_env import ROOT, child_env, make_site, run_cli


def fill(db_url: str, public: bytes, n: int, service: str = "ktp") -> None:
    store = open_store(db_url)
    try:
        for i in range(n):
            sealed = seal(
                json.dumps(
                    {"fields": {"nik": f"91030{i:011d}", "nama": "Yohana"}, "documents": ["ktp"]}
                ).encode(),
                PublicKey(public),
            )
            request = StoredRequest(
                new_msg_id(), "desa-01x", i + 1, f"K-{i:04d}", service, "id", 1, 2.0, "d", sealed, 0
            )
            store.commit([request], [], [])
    finally:
        store.close()


def test_csv_has_field_columns_and_times_in_the_office_zone(tmp_path: Path, sqlite_db_url: str) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    fill(sqlite_db_url, read_key(site.central_dir / "keys" / CENTRAL_PUBLIC_FILE, "public"), 2)
    done = run_cli(
        "central.cli",
        ["export", "--format", "csv", "--db", sqlite_db_url, "--data-dir", str(site.central_dir),
         "--set", "site.time_zone=Asia/Jayapura"],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows[0]["field.nama"] == "Yohana" and rows[0]["documents"] == "ktp"
    assert "fields" not in rows[0]
    assert rows[0]["received"].endswith(" WIT") and rows[0]["received"][:4].isdigit()
    assert done.stdout.startswith("received,zone,ticket,service,service_id,status")
    assert rows[0]["zone"] == "WIT" and rows[0]["service"] == "(not in the catalog: ktp)"


def test_export_into_a_closed_pipe_ends_quietly(tmp_path: Path, sqlite_db_url: str) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    fill(sqlite_db_url, read_key(site.central_dir / "keys" / CENTRAL_PUBLIC_FILE, "public"), 300)
    export = subprocess.Popen(
        [sys.executable, "-m", "central.cli", "export", "--format", "csv", "--db", sqlite_db_url,
         "--data-dir", str(site.central_dir)],
        cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert export.stdout is not None and export.stderr is not None
    export.stdout.readline()
    export.stdout.close()  # what 'head -1' does
    err = export.stderr.read().decode()
    assert export.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_a_device_never_seen_says_never(tmp_path: Path, sqlite_db_url: str) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    base = ["--db", sqlite_db_url, "--data-dir", str(site.central_dir)]
    assert run_cli("central.cli", ["devices", "import", str(site.device_record()), *base]).returncode == 0
    listed = run_cli("central.cli", ["devices", *base])
    assert "seen never" in listed.stdout and "None" not in listed.stdout, listed.stdout


def test_exports_name_the_service_and_the_zone_of_the_kiosks_village(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    """The office's config says WIB (the default), the kiosk stands in Banjarmasin (province 63, WITA)."""
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    record = json.loads(site.device_record().read_text())
    record.update(device_id="desa-01x", village_code="63.71.01.1001")
    (tmp_path / "desa-01x.json").write_text(json.dumps(record))
    base = ["--db", sqlite_db_url, "--data-dir", str(site.central_dir)]
    assert (
        run_cli("central.cli", ["devices", "import", str(tmp_path / "desa-01x.json"), *base]).returncode == 0
    )
    fill(sqlite_db_url, read_key(site.central_dir / "keys" / CENTRAL_PUBLIC_FILE, "public"), 1, "ktp_new")

    done = run_cli("central.cli", ["export", "--format", "json", *base])
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert (row["service_id"], row["service"]) == ("ktp_new", "KTP-el baru")
    assert row["zone"] == "WITA" and row["received"].endswith(" WITA")
    assert row["received"] == "1970-01-01 08:00:02 WITA"  # received_at 2.0 s after the epoch, UTC+8

    done = run_cli("central.cli", ["export", "--format", "csv", *base])
    [csv_row] = list(csv.DictReader(io.StringIO(done.stdout)))
    assert (csv_row["service"], csv_row["zone"]) == ("KTP-el baru", "WITA")

    done = run_cli("central.cli", ["export", "--dead-letters", "--format", "json", *base])
    assert done.returncode == 0 and json.loads(done.stdout) == []


def test_every_province_has_its_zone() -> None:
    from layanan.zones import PROVINCE_ZONES, zone_of_village

    assert len(PROVINCE_ZONES) == 38  # Indonesia's provinces since 2022
    assert zone_of_village("61.01.01.2001", "x") == "Asia/Jakarta"  # West Kalimantan: WIB
    assert zone_of_village("64.72.01.1001", "x") == "Asia/Makassar"  # East Kalimantan: WITA
    assert zone_of_village("52.01.01.2001", "x") == "Asia/Makassar"  # West Nusa Tenggara: WITA
    assert zone_of_village("96.01.01.2001", "x") == "Asia/Jayapura"  # Southwest Papua: WIT
    assert zone_of_village("99.01", "Asia/Jakarta") == "Asia/Jakarta"  # not a province: the office's own zone
