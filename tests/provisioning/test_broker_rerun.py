"""broker-config keeps every earlier choice on a re-run, writes the settings docs/outbox.md recommends, gives the
broker alone its secrets, and writes the receiver's central.toml (issue 34, findings 2 and 7)."""

from __future__ import annotations

import json
import os
import pwd
import re
import stat
from pathlib import Path

import pytest

from layanan.config import load_settings
from provisioning.broker import RECOMMENDED
from provisioning.broker_passwd import python_entry
from provisioning.cli import main as provision

ROOT = Path(__file__).resolve().parents[2]


def broker_config(out: Path, *extra: str | Path) -> int:
    return provision(["broker-config", str(out), *map(str, extra)])


def listeners(out: Path) -> list[str]:
    return [
        line for line in (out / "mosquitto.conf").read_text().splitlines() if line.startswith("listener ")
    ]


def a_kiosk(devices: Path, device_id: str, village_code: str) -> None:
    devices.mkdir(exist_ok=True)
    (devices / f"{device_id}.passwd").write_text(python_entry(device_id, "pw-" + device_id) + "\n")
    (devices / f"{device_id}.register.json").write_text(
        json.dumps({"device_id": device_id, "village_code": village_code})
    )


def test_a_rerun_with_only_devices_keeps_the_listeners_and_paths(tmp_path: Path) -> None:
    out, devices = tmp_path / "broker", tmp_path / "registered"
    assert broker_config(out, "--port", "18883", "--bind", "127.0.0.1", "--local-port", "11883",
                         "--install-dir", "/etc/mosquitto/kiosk", "--receiver-dir", "/srv/office",
                         "--office-tz", "WITA", "--office-db", "postgresql://kiosk@db/kiosk") == 0  # fmt: skip
    first = listeners(out)
    assert first == ["listener 18883 127.0.0.1", "listener 11883 127.0.0.1"]
    a_kiosk(devices, "desa-a-01", "91.03.05.2001")
    assert broker_config(out, "--devices", devices) == 0
    assert listeners(out) == first
    conf = (out / "mosquitto.conf").read_text()
    assert (
        "password_file /etc/mosquitto/kiosk/passwd" in conf and "cafile /etc/mosquitto/kiosk/ca.crt" in conf
    )
    assert "desa-a-01:" in (out / "passwd").read_text()
    receiver = load_settings(out / "central.toml", env={})
    assert receiver.mqtt.ca_file == "/srv/office/ca.crt" and receiver.site.time_zone == "Asia/Makassar"
    assert receiver.central.db_url == "postgresql://kiosk@db/kiosk"
    assert broker_config(out, "--local-port", "0") == 0  # the one way to drop the local listener
    assert listeners(out) == ["listener 18883 127.0.0.1"]
    assert broker_config(out) == 0
    assert listeners(out) == ["listener 18883 127.0.0.1"]


def test_a_folder_from_before_choices_toml_keeps_its_listeners(tmp_path: Path) -> None:
    out = tmp_path / "broker"
    assert broker_config(out, "--port", "18883", "--bind", "127.0.0.1", "--local-port", "11883") == 0
    (out / "choices.toml").unlink()  # as an older broker-config left the folder
    assert broker_config(out) == 0
    assert listeners(out) == ["listener 18883 127.0.0.1", "listener 11883 127.0.0.1"]


def test_the_config_carries_the_settings_docs_outbox_recommends(tmp_path: Path) -> None:
    out = tmp_path / "broker"
    assert broker_config(out) == 0
    conf = (out / "mosquitto.conf").read_text().splitlines()
    settings = [setting for setting, _ in RECOMMENDED]
    assert all(s in conf for s in settings)
    assert {"set_tcp_nodelay true", "persistence true"} <= set(settings)
    assert any(s.startswith("max_queued_messages ") and int(s.split()[1]) > 1000 for s in settings)
    # Debian's stock mosquitto.conf sets persistence_location; a second one would stop mosquitto
    assert not any(line.startswith("persistence_location") for line in conf)
    documented = re.search(r"```\n# kiosk-provision broker-config writes\n(.*?)```", (ROOT / "docs/outbox.md").read_text(), re.S)  # fmt: skip
    assert documented, "docs/outbox.md's Broker section quotes the settings in a block"
    assert documented.group(1).splitlines() == settings
    assert broker_config(out, "--persistence-location", tmp_path / "persist") == 0
    assert f"persistence_location {tmp_path / 'persist'}/" in (out / "mosquitto.conf").read_text()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files to the broker's user needs root")
def test_the_broker_alone_reads_its_secrets_and_root_alone_the_office_secrets(tmp_path: Path) -> None:
    broker = pwd.getpwnam("mosquitto")  # Debian's mosquitto package makes it
    out = tmp_path / "broker"
    assert broker_config(out) == 0
    for name in ("passwd", "acl", "server.key"):
        st = (out / name).stat()
        assert (mode(out / name), st.st_uid, st.st_gid) == (0o600, broker.pw_uid, broker.pw_gid), name
    for name in ("ca.key", "central.password", "central.toml", "choices.toml"):
        assert (mode(out / name), (out / name).stat().st_uid) == (0o600, 0), name
    for name in ("ca.crt", "server.crt", "mosquitto.conf"):
        assert mode(out / name) == 0o644, name
    assert (mode(out), out.stat().st_uid, out.stat().st_gid) == (0o750, 0, broker.pw_gid)


def test_without_the_brokers_user_the_secrets_stay_private_and_the_summary_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "broker"
    assert broker_config(out, "--broker-user", "no-such-broker") == 0
    said = capsys.readouterr().out
    assert (
        "there is no user 'no-such-broker' here" in said
        and "sudo chown no-such-broker:no-such-broker" in said
    )
    for name in ("passwd", "acl", "server.key", "ca.key", "central.password"):
        assert (mode(out / name), (out / name).stat().st_uid) == (0o600, os.geteuid()), name
    assert mode(out) == 0o700


def test_central_toml_names_the_tls_listener_the_ca_the_user_and_the_password_file(tmp_path: Path) -> None:
    out = tmp_path / "broker"
    assert broker_config(out, "--server-name", "10.8.0.1", "--port", "18883") == 0
    receiver = load_settings(out / "central.toml", env={})
    assert receiver.kiosk.broker_url == "mqtts://10.8.0.1:18883"
    assert (receiver.mqtt.username, receiver.mqtt.password_file, receiver.mqtt.ca_file) == (
        "central", "/etc/kiosk/central.password", "/etc/kiosk/ca.crt")  # fmt: skip
    assert receiver.central.db_url == "sqlite:///var/lib/kiosk-central/central.db"
    assert receiver.kiosk.data_dir == Path("/var/lib/kiosk-central")


def test_the_office_time_zone_comes_from_the_kiosks_villages_or_is_assumed_aloud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, devices = tmp_path / "broker", tmp_path / "registered"
    assert broker_config(out) == 0
    assert "office time zone WIB assumed" in capsys.readouterr().out
    a_kiosk(devices, "desa-a-01", "91.03.05.2001")  # Papua: WIT
    assert broker_config(out, "--devices", devices) == 0
    assert "office time zone WIT from the kiosks' village codes" in capsys.readouterr().out
    assert load_settings(out / "central.toml", env={}).site.time_zone == "Asia/Jayapura"
    a_kiosk(devices, "desa-b-01", "32.01.01.2001")  # West Java: WIB, but the office's zone is kept
    assert broker_config(out, "--devices", devices) == 0
    assert load_settings(out / "central.toml", env={}).site.time_zone == "Asia/Jayapura"
    assert broker_config(out, "--office-tz", "CET") == 1
    assert "--office-tz 'CET' is not an Indonesian zone" in capsys.readouterr().err


def test_a_receiver_url_kiosk_central_would_refuse_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "broker"
    assert broker_config(out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert broker_config(out, "--receiver-url", "https://10.8.0.1") == 1
    assert "central.toml would be refused" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_office_unit_reads_the_path_kiosk_central_reads_by_default() -> None:
    from central.cli import OFFICE_CONFIG
    from provisioning import firmware

    unit = (ROOT / "firmware_config/systemd/kiosk-central.service").read_text()
    assert "Environment=KIOSK_CONFIG=${central_config_path}" in unit
    parser = __import__("argparse").ArgumentParser()
    firmware.configure(parser)
    assert parser.get_default("central_config") == str(OFFICE_CONFIG) == "/etc/kiosk/central.toml"


def test_every_key_of_central_toml_is_described_in_docs_operations(tmp_path: Path) -> None:
    import tomllib

    out = tmp_path / "broker"
    assert broker_config(out) == 0
    written = tomllib.loads((out / "central.toml").read_text())
    keys = [f"{section}.{key}" for section, values in written.items() for key in values]
    page = (ROOT / "docs/operations.md").read_text()
    section = page[page.index("## The office receiver's settings") :]
    assert len(keys) >= 7 and [k for k in keys if f"| `{k}` |" not in section] == []
