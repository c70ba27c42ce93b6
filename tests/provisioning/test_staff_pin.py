"""``kiosk-provision init`` and the staff PIN (issue 33, item 5): no default PIN, only a salted hash on disk, a
config that is never world-readable, the PIN asked twice on a terminal or made at random and shown once."""

from __future__ import annotations

import grp
import io
import os
import pty
import re
import select
import stat
import sys
import time
from pathlib import Path

import pytest

from kiosk.staff_pin import pin_checker
from layanan.config import load_settings
from layanan.security.pin import hash_pin, verify_pin
from provisioning.cli import main as provision

ROOT = Path(__file__).resolve().parents[2]
SHOWN = re.compile(r"staff PIN: (\d{6})\b")


def init_argv(config: Path, *extra: str) -> list[str]:
    return ["init", "--config", str(config), "--device-id", "desa-pin-01", "--village-code", "91.03.05.2001", "--kiosk-code", "001",
            "--broker-url", "mqtt://127.0.0.1:1883", "--data-dir", str(config.parent / "data"), *extra]  # fmt: skip


def kiosk_settings(config: Path):  # type: ignore[no-untyped-def]
    return load_settings(config, env={}).kiosk


def test_init_without_a_pin_makes_one_shows_it_once_and_stores_only_its_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    old_umask = os.umask(0)  # the file's mode must not depend on the technician's umask
    try:
        assert provision(init_argv(config)) == 0
    finally:
        os.umask(old_umask)
    out = capsys.readouterr().out
    shown = SHOWN.findall(out)
    assert len(shown) == 1, out
    pin = shown[0]
    text = config.read_text()
    assert pin not in text and '"1234"' not in text
    kiosk = kiosk_settings(config)
    assert kiosk.staff_pin == "" and verify_pin(pin, kiosk.staff_pin_hash)
    check = pin_checker(kiosk)
    assert check is not None and check(pin) and not check("1234")  # before: staff_pin = "1234", in clear
    assert stat.S_IMODE(config.stat().st_mode) == 0o640  # before: 0644, readable by every user
    # running init again keeps the PIN and does not show it again
    assert provision(init_argv(config)) == 0
    assert "nothing changed" in (again := capsys.readouterr().out) and not SHOWN.search(again)
    assert kiosk_settings(config).staff_pin_hash == kiosk.staff_pin_hash


def test_a_rewrite_keeps_the_config_group_so_the_kiosk_can_still_read_it(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    assert provision(init_argv(config)) == 0
    group = next(g for g in grp.getgrall() if g.gr_gid != os.getgid())  # as install.sh's chgrp kiosk
    os.chown(config, -1, group.gr_gid)
    assert provision(["init", "--config", str(config), "--orientation", "portrait"]) == 0
    assert config.stat().st_gid == group.gr_gid and stat.S_IMODE(config.stat().st_mode) == 0o640


def test_staff_pin_stdin_sets_the_pin_for_scripts_and_shows_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "kiosk.toml"
    monkeypatch.setattr(sys, "stdin", io.StringIO("582039\n"))
    assert provision(init_argv(config, "--staff-pin-stdin")) == 0
    captured = capsys.readouterr()
    assert "582039" not in captured.out + captured.err
    assert verify_pin("582039", kiosk_settings(config).staff_pin_hash)
    # the same PIN again changes nothing; a weak one is refused and the old one stays
    monkeypatch.setattr(sys, "stdin", io.StringIO("582039\n"))
    assert provision(init_argv(config, "--staff-pin-stdin")) == 0
    assert "nothing changed" in capsys.readouterr().out
    before = config.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.StringIO("123456\n"))
    assert provision(init_argv(config, "--staff-pin-stdin")) == 1
    assert "--staff-pin-stdin" in capsys.readouterr().err and config.read_bytes() == before


def test_staff_pin_on_the_command_line_still_works_and_warns_about_the_process_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    assert provision(init_argv(config, "--staff-pin", "73915482")) == 0
    err = capsys.readouterr().err
    assert "process list" in err and "--staff-pin-stdin" in err and "73915482" not in err
    assert verify_pin("73915482", kiosk_settings(config).staff_pin_hash)
    assert provision(init_argv(config, "--staff-pin", "1234")) == 1
    assert "6 to 8 digits" in capsys.readouterr().err


def test_an_old_config_with_the_pin_in_clear_is_hashed_and_the_old_default_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    assert provision(init_argv(config)) == 0
    capsys.readouterr()
    for legacy, kept in (("4821", True), ("1234", False)):
        text = re.sub(r'staff_pin_hash = ".*"', 'staff_pin_hash = ""', config.read_text())
        config.write_text(text.replace('staff_pin = ""', f'staff_pin = "{legacy}"'))
        assert provision(["init", "--config", str(config)]) == 0
        out = capsys.readouterr().out
        kiosk = kiosk_settings(config)
        assert kiosk.staff_pin == "" and f'"{legacy}"' not in config.read_text()
        if kept:  # the staff's own PIN stays, hashed
            assert verify_pin(legacy, kiosk.staff_pin_hash) and not SHOWN.search(out)
        else:  # the old default is public: a new one is made and shown
            assert not verify_pin(legacy, kiosk.staff_pin_hash)
            assert verify_pin(SHOWN.findall(out)[0], kiosk.staff_pin_hash)


def test_demo_ids_are_not_provisioned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = init_argv(tmp_path / "kiosk.toml")
    argv[argv.index("desa-pin-01")] = "demo-0002"
    assert provision(argv) == 1
    assert "demo-" in capsys.readouterr().err and not (tmp_path / "kiosk.toml").exists()


def run_on_terminal(argv: list[str], answers: list[str], timeout: float = 60) -> str:
    """Run kiosk-provision on a new pseudo-terminal; type each answer after the next prompt; all it printed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its controlling tty, as for a technician on ssh
        os.chdir(ROOT)
        os.environ["PYTHONPATH"] = str(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "provisioning", *argv])
    seen, pending, answered = b"", list(answers), 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
                prompts = seen.count(b"random one): ") + seen.count(b"PIN again: ")
                while pending and answered < prompts:
                    os.write(fd, pending.pop(0).encode() + b"\n")
                    answered += 1
        else:
            raise TimeoutError(seen.decode(errors="replace"))
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode(errors="replace")
    return seen.decode(errors="replace")


def test_on_a_terminal_init_asks_twice_and_asks_again_when_they_differ(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    out = run_on_terminal(init_argv(config), ["111111", "604719", "604718", "604719", "604719"])
    assert out.count("The same staff PIN again") == 2 and "differ" in out and "repeat one digit" in out
    assert "604719" not in out  # not echoed, not printed
    assert verify_pin("604719", kiosk_settings(config).staff_pin_hash)
    # Enter alone: a random one, shown once
    out = run_on_terminal(["init", "--config", str(config), "--new-staff-pin"], [""])
    [made] = SHOWN.findall(out)
    assert verify_pin(made, kiosk_settings(config).staff_pin_hash)


def test_the_hash_written_is_one_the_kiosk_checks() -> None:
    stored = hash_pin("604719")
    kiosk = load_settings(
        env={}, overrides={"kiosk": {"device_id": "desa-pin-02", "staff_pin_hash": stored}}
    ).kiosk
    check = pin_checker(kiosk)
    assert check is not None and check("604719") and not check("1234")
