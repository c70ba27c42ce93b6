"""broker-config files: kept across runs, the office's own CA, refusals that leave the previous files as they
were."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from provisioning import pki
from provisioning.broker import acl_text
from provisioning.cli import main as provision


def broker_config(out: Path, *extra: str | Path) -> int:
    return provision(["broker-config", str(out), *map(str, extra)])


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def test_a_second_run_keeps_ca_certificate_names_and_passwords(tmp_path: Path) -> None:
    out = tmp_path / "broker"
    assert broker_config(out, "--server-name", "10.8.0.1", "--server-name", "kantor.local") == 0
    first = snapshot(out)
    assert broker_config(out) == 0  # no --server-name: the certificate keeps its names
    assert snapshot(out) == first
    assert broker_config(out, "--server-name", "10.8.0.2") == 0
    second = snapshot(out)
    assert second["ca.crt"] == first["ca.crt"] and second["central.password"] == first["central.password"]
    cert = x509.load_pem_x509_certificate(second["server.crt"])
    assert pki.server_names(cert) == ["10.8.0.2"]
    assert pki.issued_by(cert, x509.load_pem_x509_certificate(second["ca.crt"]))


def test_the_offices_own_ca_signs_the_server_certificate_and_its_key_is_not_copied(tmp_path: Path) -> None:
    office_ca = pki.make_ca("Kantor Kabupaten CA")
    office_ca.save(tmp_path / "office-ca.crt", tmp_path / "office-ca.key")
    out = tmp_path / "broker"
    ca_files = ("--ca-cert", tmp_path / "office-ca.crt", "--ca-key", tmp_path / "office-ca.key")
    assert broker_config(out, *ca_files) == 0
    assert (out / "ca.crt").read_bytes() == office_ca.cert_pem()
    assert not (out / "ca.key").exists()
    assert pki.issued_by(x509.load_pem_x509_certificate((out / "server.crt").read_bytes()), office_ca.cert)
    assert broker_config(out) == 0  # later runs without the CA key keep the certificate
    assert broker_config(out, "--ca-cert", tmp_path / "office-ca.crt") == 1


def test_a_malformed_device_entry_is_refused_and_the_previous_files_stay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, devices = tmp_path / "broker", tmp_path / "devices"
    devices.mkdir()
    (devices / "desa-a-01.passwd").write_text("desa-a-01:$7$101$c2FsdA==$aGFzaA==\n")
    assert broker_config(out, "--devices", devices) == 0
    before = snapshot(out)
    (devices / "desa-b-01.passwd").write_text("desa-b-01:plaintext-password\n")
    assert broker_config(out, "--devices", devices) == 1
    err = capsys.readouterr().err
    assert "desa-b-01.passwd line 1" in err and "register" in err
    assert snapshot(out) == before
    (devices / "desa-b-01.passwd").write_text("central:$7$101$c2FsdA==$aGFzaA==\n")
    assert broker_config(out, "--devices", devices) == 1
    assert "office user" in capsys.readouterr().err
    assert snapshot(out) == before


def test_the_acl_gives_devices_only_their_own_topics() -> None:
    lines = acl_text("central").splitlines()
    patterns = sorted(line for line in lines if line.startswith("pattern"))
    assert patterns == sorted(
        [f"pattern write kiosk/v1/%u/{leaf}" for leaf in ("req", "att/#", "status", "tel", "updack", "ask")]
        + [f"pattern read kiosk/v1/%u/{leaf}" for leaf in ("ack", "upd", "ans")]
    )
    assert not any("readwrite" in line for line in patterns)


def test_a_revoked_device_stays_out_until_readmitted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, devices = tmp_path / "broker", tmp_path / "devices"
    devices.mkdir()
    for device in ("desa-a-01", "desa-b-01"):
        (devices / f"{device}.passwd").write_text(f"{device}:$7$101$c2FsdA==$aGFzaA==\n")
    assert broker_config(out, "--devices", devices) == 0

    def users() -> set[str]:
        return {line.split(":")[0] for line in (out / "passwd").read_text().splitlines()}

    assert users() == {"central", "desa-a-01", "desa-b-01"}
    assert broker_config(out, "--revoke", "desa-b-01") == 0
    assert users() == {"central", "desa-a-01"}
    assert broker_config(out, "--devices", devices) == 0  # its old .passwd is still in the folder
    assert users() == {"central", "desa-a-01"}
    assert "skipped revoked desa-b-01" in capsys.readouterr().out
    assert broker_config(out, "--devices", devices, "--readmit", "desa-b-01") == 0
    assert users() == {"central", "desa-a-01", "desa-b-01"}
    assert broker_config(out, "--revoke", "desa-zz-99") == 1
    assert "no such device" in capsys.readouterr().err
