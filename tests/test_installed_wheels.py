"""Each deployable installs alone from the wheel, outside the checkout, and works there.

The wheel is built from this checkout; each machine's extra goes into a fresh virtualenv under a temporary folder,
and the commands run from another temporary folder with no PYTHONPATH, so nothing can come from the checkout:
models, the catalog and the language packs must be package data. The kiosk's install has no psycopg, the office's
no Kivy, OpenCV, Vosk or sounddevice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.babble import espeak
from tests.support.cli import ROOT
from tools.vision import synth

pytestmark = pytest.mark.slow

PIP_TIMEOUT = 900


class Install:
    """One virtualenv with the wheel and one extra installed, and a clean place to run its commands from."""

    def __init__(self, root: Path, wheel: Path, extra: str) -> None:
        self.venv = root / f"venv-{extra}"
        self.work = root / f"work-{extra}"
        self.work.mkdir()
        venv.EnvBuilder(with_pip=True).create(self.venv)
        proc = self.pip("install", "--disable-pip-version-check", "-q", f"{wheel}[{extra}]")
        assert proc.returncode == 0, proc.stderr[-3000:]

    def pip(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run([str(self.venv / "bin" / "python"), "-m", "pip", *args], timeout=PIP_TIMEOUT)

    def run(self, argv: Sequence[str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.work),
            "KIOSK_DATA_DIR": str(self.work / "data"),
            "LANG": "C.UTF-8",
        }
        return subprocess.run(
            list(argv), cwd=self.work, env=env, capture_output=True, text=True, timeout=timeout
        )

    def command(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run([str(self.venv / "bin" / name), *args])

    def importable(self, module: str) -> bool:
        code = f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 1)"
        return self.run([str(self.venv / "bin" / "python"), "-c", code]).returncode == 0


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "-q",
            "--no-deps",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("layanan_desa-*.whl")
    return built


@pytest.fixture(scope="module")
def kiosk_install(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Install:
    return Install(tmp_path_factory.mktemp("kiosk"), wheel, "kiosk")


def test_the_wheel_ships_the_models_and_data_but_no_tooling_or_tests(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "kiosk/models/digits-id.tflite",
        "kiosk/models/manifest.json",
        "kiosk/models/face_detection_short_range.tflite",
        "layanan/data/catalog.toml",
        "layanan/data/lang/id.toml",
        "kiosk/ui/icons/ktp.png",
    ):
        assert shipped in names
    tops = {name.split("/")[0] for name in names if not name.startswith("layanan_desa-")}
    assert tops == {"kiosk", "layanan", "central", "provisioning", "firmware_config"}
    assert not any("/training/" in name for name in names)


def test_the_kiosk_transcribes_indonesian_digits_from_its_own_install(kiosk_install: Install) -> None:
    wav = kiosk_install.work / "digits.wav"
    espeak("satu dua tiga", "id", wav)
    proc = kiosk_install.command("kiosk", "transcribe", "--lang", "id", str(wav))
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = json.loads(proc.stdout.splitlines()[0])
    assert line["engine"].startswith("litert") and line["digits"] == "123", line


def test_the_kiosk_captures_a_document_from_its_own_install(kiosk_install: Install) -> None:
    scene = synth.render("ktp", size=(1280, 720), bg="table", fill=0.4, angle=-6, tilt=0.07, seed=21)
    photo = kiosk_install.work / "ktp.png"
    cv2.imwrite(str(photo), scene.image)
    out = kiosk_install.work / "ktp.webp"
    proc = kiosk_install.command("kiosk", "capture", str(photo), "--document-kind", "ktp", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["verdict"]["ok"] is True
    assert np.abs(np.array(result["corners"]) - scene.corners).max() <= 3.0
    assert out.stat().st_size == result["encoded_bytes"]


def test_the_kiosk_simulates_a_request_from_its_own_install(kiosk_install: Install) -> None:
    scenario = kiosk_install.work / "ktp_new.json"
    scenario.write_text((ROOT / "tests" / "scenarios" / "ktp_new.json").read_text())
    proc = kiosk_install.command("kiosk", "simulate", str(scenario))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["request"]["service_id"] == "ktp_new"


def test_the_kiosk_install_has_no_database_driver_and_no_tooling(kiosk_install: Install) -> None:
    assert kiosk_install.importable("kivy") and kiosk_install.importable("cv2")
    # python-barcode (a dependency of python-escpos, the slip printer) installs a top-level "tests" package of
    # its own; ours would bring tests.support
    for absent in ("psycopg", "tools", "tests.support"):
        assert not kiosk_install.importable(absent), absent
    proc = kiosk_install.command("kiosk", "bench", "outbox")
    assert proc.returncode == 2 and "checkout" in proc.stderr


def test_the_office_installs_alone_without_the_kiosks_libraries(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    office = Install(tmp_path_factory.mktemp("office"), wheel, "office")
    proc = office.command("kiosk-central", "--help")
    assert proc.returncode == 0 and "serve" in proc.stdout, proc.stderr[-3000:]
    assert office.importable("psycopg") and office.importable("statsforecast")  # forecasts run at the office
    proc = office.command("kiosk-central", "forecast", "--help")
    assert proc.returncode == 0 and "--history" in proc.stdout, proc.stderr[-3000:]
    for absent in ("kivy", "cv2", "vosk", "sounddevice", "ai_edge_litert"):
        assert not office.importable(absent), absent
    db = office.work / "central.db"
    proc = office.command("kiosk-central", "devices", "--db", f"sqlite:///{db}")
    assert proc.returncode == 2 and "no database at" in proc.stderr, proc.stderr[-3000:]
    assert str(db) in proc.stderr
    assert "Traceback" not in proc.stderr and not db.exists()


def test_the_technicians_tool_installs_alone(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    tool = Install(tmp_path_factory.mktemp("provision"), wheel, "provision")
    proc = tool.command("kiosk-provision", "--help")
    assert proc.returncode == 0 and "init" in proc.stdout, proc.stderr[-3000:]
    for absent in ("kivy", "cv2", "psycopg"):
        assert not tool.importable(absent), absent
