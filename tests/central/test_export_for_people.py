"""Exports and the device list as a person reads them: times in the office's zone, fields as CSV columns,
'never' instead of None, no traceback when the reader closes the pipe (issue 34, item 9)."""

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


def fill(db_url: str, public: bytes, n: int) -> None:
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
                new_msg_id(), "desa-01x", i + 1, f"K-{i:04d}", "ktp", "id", 1, 2.0, "d", sealed, 0
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
    assert done.stdout.startswith("received,ticket,service_id,status")


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
