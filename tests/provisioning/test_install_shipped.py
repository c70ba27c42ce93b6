"""install-model takes the release's own models/manifest.json, and selftest loads speech exactly as the kiosk does
(issue 34, finding 3): a model speech cannot load never passes."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.speech.engines import load_recognizer, pack_for
from kiosk.speech.litert import LiteRTRecognizer
from layanan.config import load_settings
from provisioning.cli import main as provision
from provisioning.models import make_manifest
from tests.provisioning.support import init_args

SHIPPED = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    rc = provision(init_args(path, tmp_path / "d", **{"--device-id": "desa-s-01", "--kiosk-code": "101"}))
    assert rc == 0
    return path


def install(config: Path, *argv: str | Path) -> int:
    return provision(["install-model", "--config", str(config), *map(str, argv)])


def selftest_models(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    capsys.readouterr()
    rc = provision(["selftest", "--config", str(config), "--json", "--only", "models"])
    return rc, json.loads(capsys.readouterr().out)["checks"][0]


def test_the_shipped_manifest_installs_and_speech_loads_the_installed_copy(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install(config, SHIPPED / "manifest.json") == 0
    out = capsys.readouterr().out
    link = tmp_path / "d" / "models" / "digits-id"
    assert "digits-id 6 (tflite) installed" in out and f"Indonesian speech now uses {link}" in out
    installed = json.loads((link / "manifest.json").read_text())
    shipped = json.loads((SHIPPED / "manifest.json").read_text())
    assert installed["tokens"] == shipped["tokens"] and installed["features"] == shipped["features"]
    assert (link / "digits-id.tflite").read_bytes() == (SHIPPED / "digits-id.tflite").read_bytes()

    settings = load_settings(config, env={})
    assert settings.speech.models_dir == str(link)
    recognizer = load_recognizer(pack_for("id", settings))  # what the kiosk itself loads
    assert isinstance(recognizer, LiteRTRecognizer) and recognizer.manifest.version == "6"

    # the folder, or the model file with manifest.json beside it, name the same release
    assert install(config, SHIPPED) == 0 and "already installed" in capsys.readouterr().out
    assert install(config, SHIPPED / "digits-id.tflite") == 0
    assert "already installed" in capsys.readouterr().out


def stick_with(tmp_path: Path, edit: Callable[[dict[str, Any]], object]) -> Path:
    """A USB stick with the shipped model and its manifest changed by ``edit``."""
    usb = tmp_path / "usb"
    usb.mkdir()
    shutil.copyfile(SHIPPED / "digits-id.tflite", usb / "digits-id.tflite")
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    edit(manifest)
    (usb / "manifest.json").write_text(json.dumps(manifest))
    return usb


def test_a_model_speech_cannot_load_is_refused_before_it_is_made_current(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a manifest from another model: 5 labels for 19 outputs
    usb = stick_with(tmp_path, lambda m: m.update(tokens=m["tokens"][:5]))
    assert install(config, usb / "manifest.json") == 1
    err = capsys.readouterr().err
    assert "the kiosk's speech cannot load it" in err and "5 tokens" in err and "same release" in err
    assert not (tmp_path / "d" / "models" / "digits-id").exists()
    assert load_settings(config, env={}).speech.models_dir == ""


def test_a_manifest_without_kind_or_engine_names_both(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usb = stick_with(tmp_path, lambda m: m.pop("engine"))
    assert install(config, usb / "manifest.json") == 1
    err = capsys.readouterr().err
    assert "neither a 'kind' nor an 'engine'" in err and '"engine": litert' in err


def test_a_big_model_shows_its_progress(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "usb" / "big.tflite"
    big.parent.mkdir()
    big.write_bytes(b"\0\0\0\0TFL3" + os.urandom(12 * 2**20))
    big.with_name("big.tflite.manifest.json").write_text(json.dumps(make_manifest(big, "big", "tflite", "1")))
    assert install(config, big) == 0
    err = capsys.readouterr().err
    assert "copying big.tflite: 12 of 12 MB (100 %)" in err and "(50 %)" in err


def test_selftest_fails_when_speech_cannot_load_the_installed_copy_and_names_the_fix(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install(config, SHIPPED / "manifest.json") == 0
    rc, check = selftest_models(config, capsys)
    assert rc == 0 and check["status"] == "PASS"
    assert "speech id (litert digits-id 6)" in check["detail"]

    # what install-model wrote before this fix: its own record instead of the speech manifest
    installed = tmp_path / "d" / "models" / "digits-id" / "manifest.json"
    data = json.loads(installed.read_text())
    del data["tokens"]
    installed.write_text(json.dumps(data))
    rc, check = selftest_models(config, capsys)
    assert rc == 1 and check["status"] == "FAIL"
    assert str(installed) in check["detail"] and "KeyError('tokens')" in check["detail"]
    assert "install-model /media/usb/models/manifest.json" in check["fix"]
    assert "--rollback digits-id" in check["fix"]

    assert install(config, SHIPPED / "manifest.json") == 0  # the fix it names repairs the damaged copy
    rc, check = selftest_models(config, capsys)
    assert rc == 0 and check["status"] == "PASS"


def test_selftest_warns_about_a_speech_model_installed_but_not_used(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install(config, SHIPPED / "manifest.json") == 0
    assert provision(["init", "--config", str(config)]) == 0  # keeps every value...
    text = config.read_text().replace("models_dir = ", "# models_dir = ")  # ...a hand-edit points speech away
    config.write_text(text)
    rc, check = selftest_models(config, capsys)
    assert rc == 0 and check["status"] == "WARN"
    assert "digits-id installed but speech does not use it" in check["detail"]
    assert "install-model" in check["fix"]
