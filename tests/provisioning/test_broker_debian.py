"""Debian 12's stock mosquitto.conf with the generated include, as docs/provisioning.md step 0 installs it: the
real mosquitto starts as root, drops to its own user, reads the files broker-config gave it, and lets the office
receiver and a kiosk in over TLS (issue 34, finding 7)."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.broker_passwd import python_entry
from provisioning.cli import main as provision
from tests.provisioning.support import Client
from tools.net import free_port, wait_for_port

STOCK = Path(__file__).parent / "fixtures" / "debian12-mosquitto.conf"
"""/etc/mosquitto/mosquitto.conf as mosquitto 2.0.11-1.2+deb12u2 ships it (it ends with include_dir)."""


def test_the_fixture_is_debians_stock_file() -> None:
    text = STOCK.read_text()
    assert "include_dir /etc/mosquitto/conf.d" in text
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Conffiles}", "mosquitto"], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.fail(
            "mosquitto's Debian package is not installed (apt-get install mosquitto): no stock file to compare"
        )
    sums = dict(line.split()[:2] for line in listed.stdout.splitlines() if line.strip())
    assert sums["/etc/mosquitto/mosquitto.conf"] == hashlib.md5(STOCK.read_bytes()).hexdigest()


@pytest.fixture
def root() -> Iterator[Path]:
    """Not under pytest's 0700 temporary directory: the broker's own user must be able to reach its files."""
    base = Path(tempfile.mkdtemp(prefix="kiosk-debian-broker-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def stock_conf(root: Path) -> Path:
    """The stock file with its paths moved under ``root``; the broker writes its pid, log and store there."""
    etc = root / "etc/mosquitto"
    (etc / "conf.d").mkdir(parents=True)
    text = STOCK.read_text()
    for old, new in (("/run/mosquitto/", f"{root}/run/"), ("/var/lib/mosquitto/", f"{root}/lib/"),
                     ("/var/log/mosquitto/", f"{root}/log/"), ("/etc/mosquitto/", f"{etc}/")):  # fmt: skip
        assert str(old) in text
        text = text.replace(str(old), str(new))
    for name in ("run", "lib", "log"):
        (root / name).mkdir()
        if os.geteuid() == 0:
            shutil.chown(root / name, "mosquitto", "mosquitto")
    (etc / "mosquitto.conf").write_text(text)
    return etc / "mosquitto.conf"


def test_the_generated_include_loads_under_debians_stock_file(root: Path) -> None:
    conf = stock_conf(root)
    kiosk_dir, devices, port = root / "etc/mosquitto/kiosk", root / "registered", free_port()
    devices.mkdir()
    (devices / "desa-a-01.passwd").write_text(python_entry("desa-a-01", "kiosk-secret") + "\n")
    assert provision(["broker-config", str(kiosk_dir), "--devices", str(devices), "--port", str(port)]) == 0
    # docs/provisioning.md step 0: the include goes into Debian's conf.d as a link
    (root / "etc/mosquitto/conf.d/kiosk.conf").symlink_to(kiosk_dir / "mosquitto.conf")
    log = root / "log/mosquitto.log"
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(port, 10, proc)
        except Exception:
            out = (
                proc.stdout.read().decode(errors="replace") if proc.poll() is not None and proc.stdout else ""
            )
            pytest.fail(f"mosquitto did not start: {out}{log.read_text() if log.exists() else ''}")
        ca = kiosk_dir / "ca.crt"
        central_pw = (kiosk_dir / "central.password").read_text().strip()
        office = Client(port, "central", central_pw, ca, "office")
        kiosk = Client(port, "desa-a-01", "kiosk-secret", ca, "desa-a-01")
        stranger = Client(port, "desa-a-01", "wrong", ca, "stranger")
        try:
            assert office.connect(), f"the office user was refused: {office.reason}"
            assert kiosk.connect(), f"the kiosk was refused: {kiosk.reason}"
            assert not stranger.connect()
        finally:
            for client in (office, kiosk, stranger):
                client.close()
        text = log.read_text()
        assert "Error" not in text and "Warning" not in text, text
        if os.geteuid() == 0:  # started as root, it runs as its own user and still read passwd and server.key
            assert pwd.getpwuid(Path(f"/proc/{proc.pid}").stat().st_uid).pw_name == "mosquitto"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
