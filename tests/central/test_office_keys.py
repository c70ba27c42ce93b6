"""``kiosk-central keys`` makes the office's key pairs once; a receiver without the signing key refuses to start
with a message that says what to do (issue 33, item 6)."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.support.kiosk_env import run_cli


def test_keys_are_made_once_private_and_named_for_the_technicians(tmp_path: Path) -> None:
    data = tmp_path / "office"
    first = run_cli("central.cli", ["keys", "--data-dir", str(data)])
    assert first.returncode == 0, first.stderr
    keys = data / "keys"
    assert "sealing key (X25519) made" in first.stdout and "signing key (Ed25519) made" in first.stdout
    assert str(keys / "central_verify.key") in first.stdout and "--central-verify" in first.stdout
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for name in ("central_private.key", "central_public.key", "central_signing.key", "central_verify.key"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600, name
    before = {p.name: p.read_bytes() for p in keys.iterdir()}
    again = run_cli("central.cli", ["keys", "--data-dir", str(data)])
    assert again.returncode == 0 and "key (X25519) kept; signing key (Ed25519) kept" in again.stdout
    assert {p.name: p.read_bytes() for p in keys.iterdir()} == before, "running it again changes no key"


def test_serve_without_the_signing_key_names_the_command_that_makes_it(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    done = run_cli(
        "central.cli",
        [
            "serve",
            "--broker",
            "mqtt://127.0.0.1:1",
            "--db",
            sqlite_db_url,
            "--data-dir",
            str(tmp_path / "office"),
        ],
    )
    assert done.returncode == 2
    assert "central_signing.key" in done.stderr and "kiosk-central keys" in done.stderr
    assert "Traceback" not in done.stderr
