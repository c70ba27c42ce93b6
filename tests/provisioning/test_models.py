"""install-model: real .tflite, Vosk and prompt packs, checked against their manifests, swapped atomically,
rolled back."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import wave
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from provisioning.cli import main as provision
from provisioning.models import make_manifest
from tests.provisioning.support import init_args

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny_add.tflite"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    assert provision(init_args(path, tmp_path / "data", **{"--device-id": "desa-m-01"})) == 0
    return path


def install(config: Path, *argv: str | Path) -> int:
    return provision(["install-model", "--config", str(config), *map(str, argv)])


def publish(source: Path, name: str, kind: str, version: str = "1") -> None:
    """What the model's publisher does: write the manifest beside (or inside) it."""
    manifest = (
        source / "manifest.json" if source.is_dir() else source.with_name(source.name + ".manifest.json")
    )
    manifest.write_text(json.dumps(make_manifest(source, name, kind, version)))


def prompt_pack(directory: Path, tone_hz: float) -> Path:
    directory.mkdir(parents=True)
    t = np.arange(1600) / 16000
    for word in ("selamat-datang", "ulangi"):
        with wave.open(str(directory / f"{word}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes((np.sin(2 * np.pi * tone_hz * t) * 8000).astype("<i2").tobytes())
    return directory


def models(tmp_path: Path) -> Path:
    return tmp_path / "data" / "models"


def test_a_tflite_model_is_installed_verified_and_loads(config: Path, tmp_path: Path) -> None:
    source = tmp_path / "usb" / "kws.tflite"
    source.parent.mkdir()
    shutil.copyfile(TINY, source)
    publish(source, "kws", "tflite")
    assert install(config, source) == 0
    installed = models(tmp_path) / "kws" / "kws.tflite"
    interpreter = Interpreter(model_path=str(installed))
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], np.array([[1, 2, 3, 4]], dtype=np.float32))
    interpreter.invoke()
    assert interpreter.get_tensor(out["index"]).tolist() == [[2, 3, 4, 5]]
    target = os.readlink(models(tmp_path) / "kws")
    assert install(config, source) == 0  # again: nothing changes
    assert os.readlink(models(tmp_path) / "kws") == target


def test_a_bad_checksum_is_refused_and_the_installed_version_stays(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = prompt_pack(tmp_path / "usb" / "prompts-v1", 440)
    publish(v1, "prompts-id", "prompts")
    assert install(config, v1) == 0
    before = os.readlink(models(tmp_path) / "prompts-id")
    v2 = prompt_pack(tmp_path / "usb" / "prompts-v2", 660)
    publish(v2, "prompts-id", "prompts", "2")
    with (v2 / "ulangi.wav").open("r+b") as fh:  # one flipped byte on the way
        fh.seek(100)
        fh.write(b"\x7f")
    assert install(config, v2) == 1
    err = capsys.readouterr().err
    assert "checksum mismatch for ulangi.wav" in err and "copy the model again" in err
    assert os.readlink(models(tmp_path) / "prompts-id") == before
    assert not [p for p in (models(tmp_path) / ".store").iterdir() if p.name.startswith(".tmp-")]


def test_a_new_version_can_be_rolled_back(config: Path, tmp_path: Path) -> None:
    v1 = prompt_pack(tmp_path / "usb" / "v1", 440)
    publish(v1, "prompts-id", "prompts", "1")
    v2 = prompt_pack(tmp_path / "usb" / "v2", 660)
    publish(v2, "prompts-id", "prompts", "2")
    assert install(config, v1) == 0
    assert install(config, v2) == 0
    current = models(tmp_path) / "prompts-id"
    assert json.loads((current / "manifest.json").read_text())["version"] == "2"
    assert (current / "ulangi.wav").read_bytes() == (v2 / "ulangi.wav").read_bytes()
    assert install(config, "--rollback", "prompts-id") == 0
    assert json.loads((current / "manifest.json").read_text())["version"] == "1"
    assert (current / "ulangi.wav").read_bytes() == (v1 / "ulangi.wav").read_bytes()
    assert install(config, "--rollback", "prompts-id") == 0  # and forward again
    assert json.loads((current / "manifest.json").read_text())["version"] == "2"


def test_a_prompt_pack_archive_is_extracted_and_checked(config: Path, tmp_path: Path) -> None:
    pack = prompt_pack(tmp_path / "build" / "prompts-id-3", 500)
    archive = tmp_path / "usb" / "prompts-id-3.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(pack, arcname="prompts-id-3")
    publish(archive, "prompts-id", "prompts", "3")
    assert install(config, archive) == 0
    assert (models(tmp_path) / "prompts-id" / "selamat-datang.wav").read_bytes() == (
        pack / "selamat-datang.wav"
    ).read_bytes()


def test_unreadable_or_wrong_models_are_refused_with_the_reason(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    assert install(config, usb / "nothing.tflite") == 1
    assert "does not exist" in capsys.readouterr().err

    no_manifest = usb / "kws.tflite"
    shutil.copyfile(TINY, no_manifest)
    assert install(config, no_manifest) == 1
    assert "manifest" in capsys.readouterr().err

    damaged = usb / "damaged.tflite"
    damaged.write_bytes(b"\x00" * 4 + b"XXXX" + TINY.read_bytes()[8:])
    publish(damaged, "kws", "tflite")
    assert install(config, damaged) == 1
    assert "not a TFLite model" in capsys.readouterr().err

    truncated = usb / "prompts.tar.gz"
    with tarfile.open(truncated, "w:gz") as tf:
        tf.add(prompt_pack(tmp_path / "build" / "p", 300), arcname="p")
    truncated.write_bytes(truncated.read_bytes()[:200])
    publish(truncated, "prompts-id", "prompts")
    assert install(config, truncated) == 1
    assert "cannot be read" in capsys.readouterr().err

    assert install(config, "--rollback", "kws") == 1
    assert "no previous version" in capsys.readouterr().err
    assert not (models(tmp_path) / "kws").exists() and not (models(tmp_path) / "prompts-id").exists()


def test_a_directory_with_a_file_the_manifest_does_not_list_is_refused(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = prompt_pack(tmp_path / "usb" / "p", 440)
    publish(pack, "prompts-id", "prompts")
    (pack / "extra.sh").write_text("echo surprise\n")
    assert install(config, pack) == 1
    assert "extra.sh" in capsys.readouterr().err
