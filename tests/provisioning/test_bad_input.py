"""Bad provisioning input is refused with one sentence naming the field and the fix; the old config stays as
it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from layanan.config import load_settings
from layanan.security.crypto import ensure_central_keypair, ensure_office_signing_key
from provisioning.cli import main as provision
from provisioning.common import ProvisionError
from provisioning.identity import check_village_code
from tests.provisioning.support import init_args


@pytest.fixture
def provisioned(tmp_path: Path) -> tuple[Path, Path]:
    config, data = tmp_path / "kiosk.toml", tmp_path / "data"
    assert provision(init_args(config, data)) == 0
    return config, data


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91.3.05.2001", "province.regency.district.village"),
        ("9103052001", "province.regency.district.village"),
        ("99.03.05.2001", "province 99"),
        ("91.03.05.3001", "2 (desa)"),
        ("91.00.05.2001", "zero regency"),
    ],
)
def test_wrong_village_code_is_refused_and_the_previous_config_is_kept(
    provisioned: tuple[Path, Path], code: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = provisioned
    before = config.read_bytes()
    assert provision(init_args(config, data, **{"--village-code": code, "--device-id": "desa-other-02"})) == 1
    err = capsys.readouterr().err
    assert "--village-code" in err and words in err and err.count("\n") == 1
    assert config.read_bytes() == before
    assert load_settings(config, env={}).kiosk.device_id == "desa-test-01"


def test_well_formed_village_codes_pass() -> None:
    for code in ("91.03.05.2001", "11.01.01.2001", "31.71.01.1001", "96.01.02.2003"):
        assert check_village_code(code) == code
    with pytest.raises(ProvisionError):
        check_village_code("91.03.05.200")


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--display", "640x480", "--display 800x480"),
        ("--orientation", "sideways", "--orientation"),
        ("--languages", "Indonesian", "--languages"),
        ("--time-zone", "Europe/Berlin", "--time-zone WIB"),
        ("--broker-url", "http://central", "mqtts://HOST:PORT"),
        ("--device-id", "Desa 1", "lower-case"),
        ("--device-id", "central", "reserved"),
    ],
)
def test_other_bad_init_values_name_their_flag_and_change_nothing(
    provisioned: tuple[Path, Path], flag: str, value: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = provisioned
    before = config.read_bytes()
    assert provision(init_args(config, data, **{flag: value})) == 1
    err = capsys.readouterr().err
    assert words in err and flag in err and err.count("\n") == 1
    assert config.read_bytes() == before


def test_init_twice_with_the_same_values_changes_nothing(provisioned: tuple[Path, Path]) -> None:
    config, data = provisioned
    before = config.stat().st_mtime_ns, config.read_bytes()
    assert provision(init_args(config, data)) == 0
    assert (config.stat().st_mtime_ns, config.read_bytes()) == before


def test_keys_without_the_office_key_is_refused_and_writes_nothing(
    provisioned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = provisioned
    before = config.read_bytes()
    assert provision(["keys", "--config", str(config)]) == 1
    assert "--central-public" in capsys.readouterr().err
    assert config.read_bytes() == before
    assert not (data / "keys" / "device_signing.key").exists()


def test_keys_refuse_a_bad_office_key_file_and_a_changed_one_without_repin(
    provisioned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = provisioned
    bad = tmp_path / "bad.key"
    bad.write_text("not hex at all\n")
    assert provision(["keys", "--config", str(config), "--central-public", str(bad)]) == 1
    assert "--central-public" in capsys.readouterr().err
    office1 = ensure_central_keypair(tmp_path / "office1")
    ensure_office_signing_key(tmp_path / "office1")
    office2 = ensure_central_keypair(tmp_path / "office2")
    assert office1.public_key != office2.public_key
    assert (
        provision(
            [
                "keys",
                "--config",
                str(config),
                "--central-public",
                str(tmp_path / "office1/central_public.key"),
                "--central-verify",
                str(tmp_path / "office1/central_verify.key"),
            ]
        )
        == 0
    )
    pinned = (data / "keys" / "central_public.key").read_bytes()
    assert (
        provision(
            [
                "keys",
                "--config",
                str(config),
                "--central-public",
                str(tmp_path / "office2/central_public.key"),
            ]
        )
        == 1
    )
    assert "--repin" in capsys.readouterr().err
    assert (data / "keys" / "central_public.key").read_bytes() == pinned
    assert (
        provision(
            [
                "keys",
                "--config",
                str(config),
                "--central-public",
                str(tmp_path / "office2/central_public.key"),
                "--repin",
            ]
        )
        == 0
    )
    assert (data / "keys" / "central_public.key").read_text().strip() == bytes(office2.public_key).hex()


def test_keys_refuse_a_server_certificate_as_ca(
    provisioned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from provisioning import pki

    config, _ = provisioned
    ensure_central_keypair(tmp_path / "office")
    ca = pki.make_ca()
    server = tmp_path / "server.crt"
    server.write_bytes(pki.make_server(ca, ["127.0.0.1"]).cert_pem())
    args = ["keys", "--config", str(config), "--central-public", str(tmp_path / "office/central_public.key")]
    assert provision([*args, "--ca-cert", str(server)]) == 1
    assert "not a CA" in capsys.readouterr().err


def test_register_before_keys_names_the_missing_key(
    provisioned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = provisioned
    assert provision(["register", "--config", str(config), "--out", str(tmp_path / "reg")]) == 1
    err = capsys.readouterr().err
    assert "device signing key" in err and "kiosk-provision keys" in err


def test_steps_after_init_name_the_missing_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert provision(["keys", "--config", str(tmp_path / "nowhere.toml")]) == 1
    assert "kiosk-provision init" in capsys.readouterr().err


def test_a_rerun_changes_only_the_flags_it_is_given(provisioned: tuple[Path, Path]) -> None:
    config, data = provisioned
    assert provision(["init", "--config", str(config), "--orientation", "portrait"]) == 0
    settings = load_settings(config, env={})
    assert settings.site.orientation == "portrait" and (settings.kiosk.width, settings.kiosk.height) == (
        480,
        800,
    )
    assert settings.kiosk.data_dir == data.resolve() and settings.kiosk.device_id == "desa-test-01"


def test_a_new_kiosk_needs_its_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert provision(["init", "--config", str(tmp_path / "k.toml"), "--device-id", "desa-new-01"]) == 1
    assert "needs --village-code, --broker-url" in capsys.readouterr().err
    assert not (tmp_path / "k.toml").exists()
