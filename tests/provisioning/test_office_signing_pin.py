"""``kiosk-provision keys --central-verify FILE`` pins the office's signing key on the kiosk, like the sealing key:
required, checked, never silently replaced (issue 33, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from layanan.security.crypto import ensure_central_keypair, ensure_office_signing_key
from provisioning.cli import main as provision


@pytest.fixture
def kiosk(tmp_path: Path) -> tuple[Path, Path]:
    config, data = tmp_path / "kiosk.toml", tmp_path / "data"
    init = ["init", "--config", str(config), "--device-id", "desa-pin-01", "--village-code", "91.03.05.2001", "--kiosk-code", "001",
            "--broker-url", "mqtt://127.0.0.1:1883", "--data-dir", str(data)]  # fmt: skip
    assert provision(init) == 0
    return config, data


def office(root: Path) -> Path:
    ensure_central_keypair(root)
    ensure_office_signing_key(root)
    return root


def test_keys_without_the_office_signing_key_is_refused_and_writes_nothing(
    kiosk: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = kiosk
    keys = office(tmp_path / "office")
    assert (
        provision(["keys", "--config", str(config), "--central-public", str(keys / "central_public.key")])
        == 1
    )
    err = capsys.readouterr().err
    assert "--central-verify" in err and "kiosk-central keys" in err
    assert not (data / "keys" / "central_public.key").exists()


def test_the_signing_key_is_pinned_and_a_changed_one_needs_repin(
    kiosk: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = kiosk
    one, two = office(tmp_path / "office1"), office(tmp_path / "office2")
    base = ["keys", "--config", str(config), "--central-public", str(one / "central_public.key")]
    assert provision([*base, "--central-verify", str(one / "central_verify.key")]) == 0
    assert "office signing key pinned" in capsys.readouterr().out
    pinned = data / "keys" / "central_verify.key"
    assert pinned.read_bytes() == (one / "central_verify.key").read_bytes()
    assert (
        provision(["keys", "--config", str(config), "--central-verify", str(two / "central_verify.key")]) == 1
    )
    assert "--repin" in capsys.readouterr().err
    assert pinned.read_bytes() == (one / "central_verify.key").read_bytes()
    again = ["keys", "--config", str(config), "--central-verify", str(two / "central_verify.key"), "--repin"]
    assert provision(again) == 0
    assert "office signing key re-pinned" in capsys.readouterr().out
    assert pinned.read_bytes() == (two / "central_verify.key").read_bytes()


def test_the_sealing_key_passed_as_the_signing_key_is_refused(
    kiosk: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = kiosk
    keys = office(tmp_path / "office")
    public = str(keys / "central_public.key")
    assert (
        provision(["keys", "--config", str(config), "--central-public", public, "--central-verify", public])
        == 1
    )
    assert "not central_public.key" in capsys.readouterr().err
