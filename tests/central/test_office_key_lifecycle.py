"""The office's keys over their life: fingerprints, a passphrase-sealed backup, rotation that keeps older requests
readable, and an export with the wrong key that stops and says which key and what to do (issue 34, item 1)."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from nacl.public import PrivateKey

from central.office_keys import fingerprint
from central.store import StoredRequest, open_store
from layanan.domain.request import new_msg_id
from layanan.security.crypto import CENTRAL_PRIVATE_FILE, CENTRAL_PUBLIC_FILE, read_key, seal
from tests.support.kiosk_env import ROOT, child_env, run_cli

PASSPHRASE = "sawah hijau di pinggir desa\n"


def keys(data: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "central.cli", "keys", *args, "--data-dir", str(data)],
        cwd=ROOT, env=child_env(), input=stdin or "", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def put_request(db_url: str, public: bytes, ticket: str) -> str:
    from nacl.public import PublicKey

    sealed = seal(json.dumps({"fields": {"nama": ticket}}).encode(), PublicKey(public))
    request = StoredRequest(new_msg_id(), "desa-01x", 1, ticket, "ktp", "id", 1, 2.0, "d", sealed, 0)
    store = open_store(db_url)
    try:
        store.commit([request], [], [])
    finally:
        store.close()
    return request.msg_id


def test_keys_show_prints_fingerprints_and_backup_restores_them(tmp_path: Path) -> None:
    data = tmp_path / "office"
    code, out, err = keys(data, "init")
    assert code == 0, err
    public = read_key(data / "keys" / CENTRAL_PUBLIC_FILE, "public")
    code, shown, err = keys(data, "show")
    assert code == 0 and fingerprint(public) in shown and "signing key" in shown, shown + err
    backup = tmp_path / "usb" / "office-keys.backup"
    backup.parent.mkdir()
    code, out, err = keys(data, "backup", str(backup), "--passphrase-stdin", stdin="short\n")
    assert code == 2 and "at least 12" in err
    code, out, err = keys(data, "backup", str(backup), "--passphrase-stdin", stdin=PASSPHRASE)
    assert code == 0, err
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert public.hex() not in backup.read_text() and "argon2id" in backup.read_text()
    before = {p.name: p.read_bytes() for p in (data / "keys").iterdir()}
    shutil.rmtree(data / "keys")  # the server's disk died
    code, out, err = keys(data, "restore", str(backup), "--passphrase-stdin", stdin="not the passphrase!\n")
    assert code == 2 and "does not open" in err and "Traceback" not in err
    code, out, err = keys(data, "restore", str(backup), "--passphrase-stdin", stdin=PASSPHRASE)
    assert code == 0, err
    assert {p.name: p.read_bytes() for p in (data / "keys").iterdir()} == before
    assert stat.S_IMODE((data / "keys" / CENTRAL_PRIVATE_FILE).stat().st_mode) == 0o600


def test_rotation_keeps_older_requests_readable(tmp_path: Path, sqlite_db_url: str) -> None:
    data = tmp_path / "office"
    assert keys(data, "init")[0] == 0
    old_public = read_key(data / "keys" / CENTRAL_PUBLIC_FILE, "public")
    old_id = put_request(sqlite_db_url, old_public, "K-0001")
    code, out, err = keys(data, "rotate")
    assert code == 0, err
    assert fingerprint(old_public) in out and "retired" in out
    new_public = read_key(data / "keys" / CENTRAL_PUBLIC_FILE, "public")
    assert new_public != old_public
    new_id = put_request(sqlite_db_url, new_public, "K-0002")
    assert f"retired      {fingerprint(old_public)}" in keys(data, "show")[1]
    done = run_cli("central.cli", ["export", "--db", sqlite_db_url, "--data-dir", str(data)])
    assert done.returncode == 0, done.stderr
    names = {row["msg_id"]: row["fields"]["nama"] for row in json.loads(done.stdout)}
    assert names == {old_id: "K-0001", new_id: "K-0002"}


def test_export_with_another_office_key_is_an_error_naming_the_key_and_the_fix(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    data = tmp_path / "office"
    assert keys(data, "init")[0] == 0
    stranger = PrivateKey.generate()
    msg_id = put_request(sqlite_db_url, bytes(stranger.public_key), "K-0001")
    done = run_cli(
        "central.cli", ["export", "--format", "csv", "--db", sqlite_db_url, "--data-dir", str(data)]
    )
    assert done.returncode == 2, done.stdout
    assert msg_id in done.stderr and CENTRAL_PRIVATE_FILE in done.stderr
    assert "kiosk-central keys restore" in done.stderr and "--sealed" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
