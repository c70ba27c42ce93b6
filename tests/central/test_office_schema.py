"""The office schema's migrations, accounts, the audit log's append-only rule and the SLA calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from central import accounts, audit, migrations
from central.db import Database
from central.office_keys import nik_index
from central.store import open_store
from central.web_db import open_database
from layanan.calendar import Calendar, HolidayFileError, read_office_days
from tests.support.office import office_settings


def test_migrations_run_once_and_the_audit_log_is_append_only(tmp_path: Path, central_db_url: str) -> None:
    settings = office_settings(tmp_path, central_db_url)
    db = open_database(settings, central_db_url, pool_size=1)
    try:
        versions = [r[0] for r in db.query("SELECT version FROM schema_version ORDER BY version")]
        assert versions == [m[0] for m in migrations.MIGRATIONS]
        with db.tx() as cur:
            assert migrations.upgrade(cur) == []
        audit.write(db, "sari", "open", "127.0.0.1", "K-0001", "m")
        for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"):
                db.execute(sql)
        assert audit.count(db, "open") == 1
    finally:
        db.close()


def test_accounts_hash_with_argon2id_and_lock_after_wrong_passwords(
    tmp_path: Path, central_db_url: str
) -> None:
    db: Database = open_database(office_settings(tmp_path, central_db_url), central_db_url, pool_size=1)
    try:
        accounts.add_user(db, "ani", "clerk", "kata-sandi-benar", "91.03", "dukcapil")
        stored = db.one("SELECT password_hash FROM users WHERE name = 'ani'")[0]
        assert stored.startswith("$argon2id$") and "kata-sandi" not in stored
        with pytest.raises(accounts.AccountError, match="office"):
            accounts.add_user(db, "budi", "clerk", "kata-sandi-benar", "91.03")
        now = 1000.0
        results = []
        for _ in range(5):
            now += 400
            results.append(accounts.login(db, "ani", "salah", lock_after=5, now=now))
        assert [r.problem for r in results] == ["wrong", "wrong", "wait", "wait", "locked"]
        assert results[2].wait_s == 2 and results[3].wait_s == 4
        assert accounts.login(db, "ani", "kata-sandi-benar", 5, now + 1000).problem == "locked"
        accounts.reset(db, "ani")
        assert accounts.login(db, "ani", "kata-sandi-benar", 5, now + 1000).user is not None
    finally:
        db.close()


def test_working_days_skip_weekends_national_holidays_and_the_office_file(tmp_path: Path) -> None:
    cal = Calendar()
    # Friday 14 August 2026 + 1 working day: the weekend, then 17 August (Independence Day) -> Tuesday 18th
    assert cal.add_working_days(dt.date(2026, 8, 14), 1) == dt.date(2026, 8, 18)
    path = tmp_path / "holidays.txt"
    path.write_text("# cuti bersama\n2026-08-18 cuti bersama\n")
    office = Calendar(read_office_days(path))
    assert office.add_working_days(dt.date(2026, 8, 14), 1) == dt.date(2026, 8, 19)
    path.write_text("18 Agustus\n")
    with pytest.raises(HolidayFileError, match="holidays.txt:1"):
        read_office_days(path)


def test_the_nik_index_needs_the_secret() -> None:
    a, b = nik_index(b"a" * 32, "3201014507900001"), nik_index(b"b" * 32, "3201014507900001")
    assert a != b and len(a) == 64 and nik_index(b"a" * 32, "3201 0145 0790 0001") == a


def test_users_command_reads_the_password_from_stdin_never_from_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support.kiosk_env import ROOT, child_env

    db = f"sqlite:///{tmp_path / 'central.db'}"
    open_store(db).close()  # as 'kiosk-central serve' leaves it

    def users(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "central.cli", "users", *args, "--db", db, "--data-dir", str(tmp_path)],
            input=stdin,
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = users(
        "add",
        "ani",
        "--role",
        "clerk",
        "--area",
        "91.03",
        "--office",
        "dukcapil",
        "--password-stdin",
        stdin="kata-sandi-panjang\n",
    )
    assert done.returncode == 0, done.stderr
    assert "kata-sandi-panjang" not in done.stdout + done.stderr
    assert (
        users(
            "add",
            "budi",
            "--role",
            "clerk",
            "--area",
            "91.x",
            "--office",
            "desa",
            "--password-stdin",
            stdin="kata-sandi-panjang\n",
        ).returncode
        == 2
    )
    assert users("add", "cici", "--role", "supervisor", "--password-stdin", stdin="pendek\n").returncode == 2
    assert users("disable", "ani").returncode == 0
    listed = users("list", "--json")
    [row] = __import__("json").loads(listed.stdout)
    assert (row["name"], row["area"], row["office"], row["disabled"]) == ("ani", "91.03", "dukcapil", True)
    assert "--password" not in users("add", "--help").stdout.replace("--password-stdin", "")
