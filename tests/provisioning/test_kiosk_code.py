"""``kiosk-provision init --kiosk-code`` and ``--next-ticket`` (issue 34, finding 5): the code is checked, required
on a new kiosk, kept on a re-run, and a replacement kiosk continues its predecessor's ticket numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.outbox.store import LocalQueue
from layanan.config import ConfigError, load_settings
from layanan.domain.request import Request
from provisioning.cli import main as provision
from tests.provisioning.support import init_args


def test_a_new_kiosk_needs_a_kiosk_code_of_three_digits(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config, data = tmp_path / "kiosk.toml", tmp_path / "data"
    args = [a for a in init_args(config, data) if a not in ("--kiosk-code", "001")]
    assert provision(args) == 1
    assert "--kiosk-code" in capsys.readouterr().err and not config.exists()
    for bad in ("12", "0001", "000", "abc"):
        assert provision(init_args(config, data, **{"--kiosk-code": bad})) == 1
        assert "3 digits from 001 to 999" in capsys.readouterr().err
    assert provision(init_args(config, data, **{"--kiosk-code": "123"})) == 0
    assert "kiosk code 123" in capsys.readouterr().out
    assert load_settings(config, env={}).kiosk.kiosk_code == "123"
    assert provision(["init", "--config", str(config), "--orientation", "portrait"]) == 0
    assert load_settings(config, env={}).kiosk.kiosk_code == "123", "a re-run keeps the code"


def test_the_config_refuses_a_bad_kiosk_code_naming_the_fix():
    with pytest.raises(ConfigError, match="kiosk.kiosk_code = '12' is not valid: use exactly 3 digits"):
        load_settings(env={}, overrides={"kiosk": {"kiosk_code": "12"}})
    assert load_settings(env={}).kiosk.kiosk_code == "", "the demo runs on the default (001)"


def test_next_ticket_continues_the_predecessors_numbering_and_never_goes_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config, data = tmp_path / "kiosk.toml", tmp_path / "data"
    assert provision(init_args(config, data, **{"--kiosk-code": "123", "--next-ticket": "44"})) == 0
    assert "the next ticket of this kiosk is 123 0044" in capsys.readouterr().out
    queue = LocalQueue(data / "queue.db", seal=lambda b: b, kiosk_code="123")
    assert queue.enqueue(Request("ktp", "id")).ticket == "1230044"
    queue.close()
    assert provision(["init", "--config", str(config), "--next-ticket", "10"]) == 0
    assert "already at 45" in capsys.readouterr().out
    assert provision(["init", "--config", str(config), "--next-ticket", "0"]) == 1
    assert "1 or more" in capsys.readouterr().err


def test_selftest_fails_on_a_kiosk_without_a_code_and_names_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    import json

    config, data = tmp_path / "kiosk.toml", tmp_path / "data"
    assert provision(init_args(config, data, **{"--kiosk-code": "042"})) == 0
    capsys.readouterr()
    assert provision(["selftest", "--config", str(config), "--json", "--only", "identity"]) == 0
    [check] = json.loads(capsys.readouterr().out)["checks"]
    assert check["status"] == "PASS" and "code 042" in check["detail"]
    # a config written before kiosk codes existed (or edited by hand): the code is gone
    config.write_text(config.read_text().replace('kiosk_code = "042"', 'kiosk_code = ""'))
    assert provision(["selftest", "--config", str(config), "--json", "--only", "identity"]) == 1
    [check] = json.loads(capsys.readouterr().out)["checks"]
    assert check["status"] == "FAIL" and "no kiosk code" in check["detail"]
    assert "kiosk-provision init --kiosk-code NNN" in check["fix"]
