"""broker-config makes the broker's certificate again when it is about to expire, from the kept CA: kiosks pin the
CA, so they change nothing (docs/operations.md, "Renewing the CA and the broker's certificate")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509

from provisioning import pki
from provisioning.cli import main as provision


def test_a_server_certificate_about_to_expire_is_renewed_from_the_kept_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "broker"
    with monkeypatch.context() as short:
        short.setattr(pki, "SERVER_DAYS", pki.RENEW_DAYS - 5)  # a certificate made long ago
        assert provision(["broker-config", str(out), "--server-name", "10.8.0.1"]) == 0
    ca, old = (out / "ca.crt").read_bytes(), (out / "server.crt").read_bytes()
    capsys.readouterr()
    assert provision(["broker-config", str(out)]) == 0
    assert "server certificate expires" in capsys.readouterr().out
    new = x509.load_pem_x509_certificate((out / "server.crt").read_bytes())
    assert (out / "ca.crt").read_bytes() == ca and (out / "server.crt").read_bytes() != old
    assert new.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=pki.SERVER_DAYS - 2)
    assert pki.server_names(new) == ["10.8.0.1"] and pki.issued_by(new, x509.load_pem_x509_certificate(ca))
    capsys.readouterr()
    assert provision(["broker-config", str(out)]) == 0  # and then kept, as before
    assert "server certificate kept" in capsys.readouterr().out
