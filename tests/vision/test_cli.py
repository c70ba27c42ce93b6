"""``kiosk capture`` end to end, as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from kiosk.vision.detect import CONFIDENCE_MIN
from layanan.domain.prompts import load_pack
from layanan.photo_review import read_review
from tools.vision import synth

ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )


def test_kiosk_capture_prints_the_verdict_corners_and_size_and_writes_the_file(tmp_path: Path):
    scene = synth.render("ktp", size=(1280, 720), bg="table", fill=0.4, angle=-6, tilt=0.07, seed=21)
    photo = tmp_path / "ktp.png"
    cv2.imwrite(str(photo), scene.image)
    out = tmp_path / "out" / "ktp.webp"
    proc = kiosk("capture", str(photo), "--document-kind", "ktp", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["document_kind"] == "ktp"
    assert result["verdict"]["ok"] is True
    assert result["verdict"]["hints"][0]["id"] == "ok"
    corners = np.array(result["corners"])
    assert np.abs(corners - scene.corners).max() <= 3.0
    assert result["confidence"] >= CONFIDENCE_MIN and result["review"] is None
    assert result["output"] == str(out)
    assert out.stat().st_size == result["encoded_bytes"] <= 60_000
    assert cv2.imdecode(np.frombuffer(out.read_bytes(), np.uint8), cv2.IMREAD_UNCHANGED) is not None


def test_kiosk_capture_of_a_blurred_page_reports_the_hint(tmp_path: Path):
    scene = synth.render("letter", size=(1280, 720), fill=0.3, seed=21)
    photo = tmp_path / "letter.jpg"
    cv2.imwrite(str(photo), synth.blur(scene.image, 3))
    proc = kiosk("capture", str(photo), "--document-kind", "letter", "--out", str(tmp_path / "letter.webp"))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["verdict"]["ok"] is False
    hint = result["verdict"]["hints"][0]
    assert (hint["id"], hint["key"]) == ("blurry", "camera.blurry")
    assert hint["text"] == load_pack("id").prompts["camera.blurry"]
    assert result["lang"] == "id"


def test_kiosk_capture_says_the_hint_in_the_language_asked(tmp_path: Path):
    photo = tmp_path / "empty.png"
    cv2.imwrite(str(photo), synth.background("table", (640, 480)))
    proc = kiosk(
        "capture", str(photo), "--document-kind", "ktp", "--lang", "en", "--out", str(tmp_path / "x.webp")
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    hint = result["verdict"]["hints"][0]
    assert hint["key"] == "camera.no_document"
    assert hint["text"] == load_pack("en").prompts["camera.no_document"]
    # no outline: the whole frame is kept, and flagged for the clerk in the JSON and in the file itself
    assert result["corners"] is None and result["review"] == "no_outline"
    assert (result["encoded"]["width"], result["encoded"]["height"]) == (640, 480)
    assert read_review((tmp_path / "x.webp").read_bytes()) == "no_outline"


def test_kiosk_capture_of_a_corrupt_file_says_what_is_wrong(tmp_path: Path):
    bad = tmp_path / "ktp.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    proc = kiosk("capture", str(bad), "--document-kind", "ktp", "--out", str(tmp_path / "x.webp"))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"] == "bad_image"
    assert "not an image" in proc.stderr
    assert not (tmp_path / "x.webp").exists()


def test_kiosk_capture_still_takes_the_old_doc_flag(tmp_path: Path):
    photo = tmp_path / "letter.png"
    cv2.imwrite(str(photo), synth.render("letter", size=(640, 480), fill=0.3, seed=21).image)
    for flag in ("--doc", "--document"):  # the old name, and the prefix argparse accepts
        proc = kiosk("capture", str(photo), flag, "letter", "--out", str(tmp_path / "letter.webp"))
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["document_kind"] == "letter"
    assert "--doc " not in kiosk("capture", "--help").stdout


def test_kiosk_capture_without_a_document_kind_says_which_flag_is_missing(tmp_path: Path):
    proc = kiosk("capture", str(tmp_path / "x.png"), "--out", str(tmp_path / "x.webp"))
    assert proc.returncode == 2
    assert "--document-kind" in proc.stderr
