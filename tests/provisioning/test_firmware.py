"""render-firmware fills every template for the device; systemd accepts the units; a bad template changes
nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from provisioning.cli import main as provision
from provisioning.firmware import TEMPLATES
from tests.support.installed import installed


def init(tmp_path: Path, **flags: str) -> Path:
    config = tmp_path / "kiosk.toml"
    argv = ["init", "--config", str(config), "--device-id", "desa-fw-01", "--village-code", "91.03.05.2001", "--kiosk-code", "001",
            "--broker-url", "mqtts://10.8.0.1:8883", "--data-dir", str(tmp_path / "data")]  # fmt: skip
    argv += [x for kv in flags.items() for x in kv]
    assert provision(argv) == 0
    return config


def render(config: Path, out: Path, *extra: str) -> int:
    # The session scripts are referenced where they are rendered, and the kiosk's python is this one, so that
    # systemd-analyze finds every ExecStart= program on this machine.
    return provision(["render-firmware", "--config", str(config), str(out), "--python", sys.executable,
                      "--libexec-dir", str(out / "session"), *extra])  # fmt: skip


@pytest.mark.parametrize(
    ("panel", "orientation", "rotate", "video"),
    [
        ("800x480", "landscape", "normal", ""),
        ("1024x600", "portrait", "left", "video=HDMI-A-1:1024x600@60D"),
        ("1024x600", "landscape-flipped", "inverted", "video=HDMI-A-1:1024x600@60D"),
    ],
)
def test_every_template_is_filled_for_the_device(
    tmp_path: Path, panel: str, orientation: str, rotate: str, video: str
) -> None:
    config = init(tmp_path, **{"--display": panel, "--orientation": orientation, "--time-zone": "WITA"})
    out = tmp_path / "fw"
    assert render(config, out) == 0
    sources = {
        p.relative_to(TEMPLATES)
        for p in TEMPLATES.rglob("*")
        if p.is_file() and p.name != "__init__.py" and "__pycache__" not in p.parts
    }
    rendered = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert rendered == sources
    for path in out.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert "${" not in path.read_text(), path
    assert "dtparam=watchdog=on" in (out / "boot/config.txt.fragment").read_text()
    assert (out / "boot/cmdline.txt.append").read_text().startswith(video or "consoleblank=0")
    assert f"--rotate {rotate}" in (out / "session/kiosk-xclient").read_text()
    assert "timedatectl set-timezone Asia/Makassar" in (out / "install.sh").read_text()
    unit = (out / "systemd/kiosk.service").read_text()
    for line in ("Type=notify", "Restart=always", "WatchdogSec=30", f"KIOSK_CONFIG={config.resolve()}"):
        assert line in unit
    for script in ("install.sh", "session/kiosk-session", "session/kiosk-xclient"):
        assert os.access(out / script, os.X_OK)
        subprocess.run(["sh", "-n", str(out / script)], check=True, timeout=30)


def test_systemd_accepts_the_rendered_units(tmp_path: Path) -> None:
    exe = installed("systemd-analyze", "systemd")
    out = tmp_path / "fw"
    assert render(init(tmp_path), out) == 0
    units = sorted((out / "systemd").glob("*.service"))
    assert {u.name for u in units} == {"kiosk.service", "kiosk-uploader.service", "kiosk-central.service"}
    result = subprocess.run([exe, "verify", *map(str, units)], capture_output=True, text=True, timeout=120)
    complaints = [line for line in result.stderr.splitlines() if str(out) in line or ".service" in line]
    assert result.returncode == 0 and not complaints, result.stderr


def test_the_microphone_rule_pins_the_given_usb_ids_and_refuses_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = init(tmp_path)
    out = tmp_path / "fw"
    assert render(config, out, "--mic-vendor", "0D8C", "--mic-product", "0014") == 0
    rules = (out / "udev/99-kiosk-microphone.rules").read_text()
    assert 'ATTRS{idVendor}=="0d8c", ATTRS{idProduct}=="0014", ATTR{id}="kioskmic"' in rules
    assert 'ATTR{power/control}="on"' in rules
    before = rules
    assert render(config, out, "--mic-vendor", "usbmic", "--mic-product", "0014") == 1
    assert "--mic-vendor" in capsys.readouterr().err
    assert (out / "udev/99-kiosk-microphone.rules").read_text() == before


def test_a_template_with_an_unknown_placeholder_leaves_the_previous_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = init(tmp_path)
    out = tmp_path / "fw"
    assert render(config, out) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES, broken)
    (broken / "systemd/kiosk.service").write_text("[Service]\nExecStart=${no_such_value}\n")
    assert render(config, out, "--templates", str(broken)) == 1
    assert "no_such_value" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fw")]


HOSTILE = ["kiosk; touch x", "kiosk\nExecStartPre=/bin/sh -c 'touch x'", "kiosk user", "$(touch x)", "`touch x`",
           "kiosk\n", "kiosk%i", "kiosk'\"", "a|b&c"]  # fmt: skip


@pytest.mark.parametrize(
    ("flag", "good"),
    [
        ("--kiosk-user", "kiosk"),
        ("--central-user", "kiosk-central"),
        ("--python", "/opt/kiosk/venv/bin/python"),
        ("--libexec-dir", "/usr/local/lib/kiosk"),
        ("--share-dir", "/usr/local/share/kiosk"),
        ("--central-config", "/etc/kiosk/central.toml"),
        ("--device-config", "/etc/kiosk/kiosk.toml"),
        ("--speaker-card", "Headphones"),
    ],
)
@pytest.mark.parametrize("bad", HOSTILE)
def test_flags_with_shell_or_unit_syntax_are_refused_naming_flag_value_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, flag: str, good: str,
    bad: str
) -> None:  # fmt: skip
    """install.sh runs as root and systemd reads User= and paths: a value must never add a command or a line."""
    config = init(tmp_path)
    out = tmp_path / "fw"
    monkeypatch.chdir(tmp_path)
    value = bad if flag.endswith("user") or flag == "--speaker-card" else f"/opt/{bad}"
    assert render(config, out, flag, value) == 1
    err = capsys.readouterr().err
    assert flag in err and repr(value) in err and "nothing was written" in err
    assert not out.exists() and not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fw")]


def test_a_relative_path_is_refused_and_good_values_still_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = init(tmp_path)
    out = tmp_path / "fw"
    assert render(config, out, "--share-dir", "usr/share/kiosk") == 1
    assert "--share-dir 'usr/share/kiosk'" in capsys.readouterr().err
    assert (
        render(config, out, "--kiosk-user", "_kiosk-2", "--speaker-card", "0", "--share-dir", "/srv/k+1/")
        == 0
    )
    assert "User=_kiosk-2\n" in (out / "systemd/kiosk.service").read_text()


def test_a_hand_edited_config_cannot_smuggle_a_command_into_install_sh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = init(tmp_path)
    text = config.read_text()
    data_dir = str(tmp_path / "data")
    config.write_text(text.replace(f'data_dir = "{data_dir}"', f'data_dir = "{data_dir} && touch /tmp/x"'))
    assert render(config, tmp_path / "fw") == 1
    err = capsys.readouterr().err
    assert "kiosk.data_dir" in err and "touch /tmp/x" in err and not (tmp_path / "fw").exists()
