"""Commands that read the office's database refuse one that does not exist instead of reading a new, empty one
(a forgotten --db once answered 'no ticket K-0001' and left ~/.local/share/kiosk/central.db behind); serve makes it
once and says so (issue 34, item 2)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support.kiosk_env import (
    TEST_POSTGRES_URL,
    drop_schema,
    kill,
    make_site,
    postgres_schema_url,
    run_cli,
    spawn,
)
from tests.support.waiting import wait_until


@pytest.mark.parametrize(
    "command",
    [
        ["update", "K-0001", "diproses", "--device", "desa-01x"],
        ["export", "--sealed"],
        ["devices"],
        ["users", "list"],
    ],
)
def test_a_command_given_a_missing_database_refuses_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    missing = tmp_path / "typo" / "central.db"
    done = run_cli(
        "central.cli", [*command, "--db", f"sqlite://{missing}", "--data-dir", str(site.central_dir)]
    )
    assert done.returncode == 2, done.stdout
    assert f"no database at {missing}" in done.stderr and "--db" in done.stderr
    assert "Traceback" not in done.stderr
    assert not missing.exists() and not missing.parent.exists()
    default = run_cli("central.cli", [*command, "--data-dir", str(site.central_dir)])
    assert default.returncode == 2 and "the default: central.db in the data dir" in default.stderr
    assert not (site.central_dir / "central.db").exists()


def test_serve_creates_the_database_once_and_says_so(tmp_path: Path) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    db = tmp_path / "office.db"
    log = tmp_path / "serve.log"
    proc = spawn(
        "central.cli",
        [
            "serve",
            "--broker",
            "mqtt://127.0.0.1:1",
            "--db",
            f"sqlite://{db}",
            "--data-dir",
            str(site.central_dir),
        ],
        log,
    )
    try:
        wait_until(lambda: "creating a new, empty one" in log.read_text(), 60, "serve to create the database")
    finally:
        kill(proc, signal.SIGTERM)
    assert f"no database at {db} yet: creating a new, empty one" in log.read_text()
    listed = run_cli(
        "central.cli", ["devices", "--db", f"sqlite://{db}", "--data-dir", str(site.central_dir)]
    )
    assert listed.returncode == 0, listed.stderr


def test_publish_given_a_missing_database_makes_neither_it_nor_the_site(tmp_path: Path) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    missing, out = tmp_path / "typo" / "central.db", tmp_path / "site"
    done = run_cli(
        "central.cli",
        ["publish", str(out), "--db", f"sqlite://{missing}", "--data-dir", str(site.central_dir)],
    )
    assert done.returncode == 2 and f"no database at {missing}" in done.stderr, done.stderr
    assert not missing.parent.exists() and not out.exists()


def schema_tables(schema: str) -> int:
    import psycopg

    with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchone()
    return int(row[0]) if row else 0


def test_an_empty_postgresql_schema_is_refused_until_serve_creates_it_saying_so_once(tmp_path: Path) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    url, schema = postgres_schema_url()
    flags = ["--db", url, "--data-dir", str(site.central_dir)]
    try:
        for command in (["devices"], ["users", "list"], ["publish", str(tmp_path / "site")]):
            done = run_cli("central.cli", [*command, *flags])
            assert done.returncode == 2, done.stdout
            assert "has no office tables (an empty schema)" in done.stderr, done.stderr
            assert "run 'kiosk-central serve' once to create it" in done.stderr
            assert schema_tables(schema) == 0, f"{command} created tables"
        log = tmp_path / "serve.log"
        proc = spawn("central.cli", ["serve", "--broker", "mqtt://127.0.0.1:1", *flags], log)
        try:
            wait_until(lambda: "serving" in log.read_text(), 60, "serve to create the schema")
        finally:
            kill(proc, signal.SIGTERM)
        lines = log.read_text().splitlines()
        created = [line for line in lines if "had no office schema: created it" in line]
        assert len(created) == 1 and " INFO " in created[0], lines
        assert not [line for line in lines if "applied migration" in line or " WARNING " in line], lines
        listed = run_cli("central.cli", ["devices", *flags])
        assert listed.returncode == 0, listed.stderr
    finally:
        drop_schema(schema)
