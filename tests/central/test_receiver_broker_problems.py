"""The receiver runs from the central.toml broker-config writes, and when the broker will not have it, it says
which file, which user and what to do, once per cause (issue 34, finding 2). A real mosquitto on a TLS listener;
``kiosk-central serve`` as a process, its log read."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from layanan.security.crypto import ensure_office_signing_key
from provisioning import pki
from provisioning.cli import main as provision
from tests.support.kiosk_env import kill, run_cli, spawn
from tests.support.waiting import wait_until
from tools.net import Mosquitto, free_port

FAST_RETRY = ["--set", "mqtt.reconnect_min_s=0.2", "--set", "mqtt.reconnect_max_s=0.5"]


@dataclass
class Office:
    broker_dir: Path
    data_dir: Path
    broker: Mosquitto

    @property
    def config(self) -> Path:
        return self.broker_dir / "central.toml"

    def serve(self, log: Path, *extra: str) -> subprocess.Popen[bytes]:
        return spawn("central.cli", ["serve", "--config", str(self.config), "-v", *FAST_RETRY, *extra], log)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    broker_dir, data_dir, port = tmp_path / "broker", tmp_path / "office", free_port()
    # the receiver's files stay in the broker folder here (--receiver-dir); on a server they go to /etc/kiosk
    assert provision(["broker-config", str(broker_dir), "--port", str(port), "--receiver-dir", str(broker_dir),
                      "--receiver-data-dir", str(data_dir), "--office-tz", "WIT"]) == 0  # fmt: skip
    ensure_office_signing_key(data_dir / "keys")
    lines = (broker_dir / "mosquitto.conf").read_text().splitlines()
    listener = next(line for line in lines if line.startswith(f"listener {port} "))
    rest = [line for line in lines if line != listener]
    broker = Mosquitto(tmp_path / "mosquitto-run", [*rest, "user root"], port=port, listener=listener).start()
    try:
        yield Office(broker_dir, data_dir, broker)
    finally:
        broker.stop()


def served(proc: subprocess.Popen[bytes], log: Path, text: str, what: str) -> str:
    try:
        return wait_until(lambda: text in log.read_text() and log.read_text(), 60, what)
    except TimeoutError:
        kill(proc, signal.SIGTERM)
        raise AssertionError(f"{what}; the receiver's log:\n{log.read_text()}") from None


def test_the_receiver_connects_with_the_central_toml_broker_config_wrote(
    office: Office, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    proc = office.serve(log)
    try:
        text = served(
            proc, log, "receiver connected to mqtts://127.0.0.1:", "the receiver to connect over TLS"
        )
    finally:
        kill(proc, signal.SIGTERM)
    assert f"no database at {office.data_dir / 'central.db'} yet: creating a new, empty one" in text
    assert " ERROR " not in text


def test_a_ca_that_did_not_sign_the_brokers_certificate_is_named_with_the_fix(
    office: Office, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.crt"
    pki.make_ca("Some other CA").save(other, tmp_path / "other-ca.key")
    log = tmp_path / "serve.log"
    proc = office.serve(log, "--set", f"mqtt.ca_file={other}")
    try:
        text = served(proc, log, "(again)", "the receiver to retry")
    finally:
        kill(proc, signal.SIGTERM)
    said = f"ERROR central.receiver: cannot verify the broker's certificate with CA file {other} ("
    fix = "): copy the CA that signed the broker's certificate, made by 'kiosk-provision broker-config', to that path"
    lines = [line for line in text.splitlines() if said in line]
    assert len(lines) == 1, f"said once, not at every retry:\n{text}"
    assert lines[0].endswith(fix)
    assert "receiver connected" not in text


def test_a_wrong_password_names_the_user_the_password_file_and_the_fix(
    office: Office, tmp_path: Path
) -> None:
    wrong = tmp_path / "central.password"
    wrong.write_text("not-the-password\n")
    log = tmp_path / "serve.log"
    proc = office.serve(log, "--set", f"mqtt.password_file={wrong}")
    try:
        text = served(proc, log, "(again)", "the receiver to retry")
    finally:
        kill(proc, signal.SIGTERM)
    assert "broker refused user 'central' (Not authorized): the password in " in text
    assert (
        f"the password in {wrong} does not match the broker's password file; re-run 'kiosk-provision "
        "broker-config' and copy central.password"
    ) in text
    assert "not-the-password" not in text


def test_a_host_name_the_certificate_was_not_made_for_is_named(office: Office, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    url = f"mqtts://127.0.0.2:{office.broker.port}"  # 127.0.0.2 reaches the same machine; not a certificate name
    office.broker.stop()
    office.broker.listener = f"listener {office.broker.port}"  # every address of the machine
    office.broker.start()
    proc = office.serve(log, "--broker", url)
    try:
        text = served(proc, log, "is not valid for 127.0.0.2", "the receiver to name the host")
    finally:
        kill(proc, signal.SIGTERM)
    assert "'kiosk-provision broker-config --server-name 127.0.0.2'" in text


def test_a_missing_ca_or_password_file_stops_serve_before_anything_is_made(
    office: Office, tmp_path: Path
) -> None:
    for key, what, made in (
        ("ca_file", "CA file", "ca.crt"),
        ("password_file", "password file", "central.password"),
    ):
        missing = tmp_path / "nowhere" / made
        done = run_cli(
            "central.cli",
            ["serve", "--config", str(office.config), "--set", f"mqtt.{key}={missing}"],
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert f"{what} {missing} (mqtt.{key}) does not exist: copy the {made} made by" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (office.data_dir / "central.db").exists()
