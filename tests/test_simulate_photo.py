"""A scenario photographs a document from a still image: the real capture pipeline runs, the photo is queued
sealed with the request, and a broken image lets the citizen go on without the photo."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import cv2

from tests.support.cli import kiosk
from tools.vision import synth

NIK = "3201014507900001"


def scenario(tmp_path: Path, image: str, confirms: int = 2) -> Path:
    events = [
        {"tap": "start"},
        {"choose": "lang:id"},
        {"choose": "cat:bansos"},
        {"choose": "svc:bansos_complaint"},
        {"keys": NIK},
        {"tap": "ya"},
        {"choose": "opt:short"},
        {"tap": "lewati"},
        {"tap": "lewati"},
        {"photo": "aid_card", "image": image},
        *[{"tap": "ya"}] * confirms,
    ]
    path = tmp_path / "photo.json"
    path.write_text(json.dumps({"events": events, "expect": {"screen": "ticket"}}))
    return path


def run(path: Path, data: Path) -> subprocess.CompletedProcess[str]:
    return kiosk("simulate", str(path), "--data-dir", str(data), timeout=120)


def test_a_photographed_card_is_queued_sealed_with_the_request(tmp_path):
    scene = synth.render("ktp", size=(1280, 720), seed=3)
    cv2.imwrite(str(tmp_path / "card.png"), scene.image)
    proc = run(scenario(tmp_path, "card.png"), tmp_path / "data")
    assert proc.returncode == 0, proc.stderr[-2000:]
    request = json.loads(proc.stdout)["request"]
    assert request["photos"] == 1 and request["documents"] == ["aid_card"]
    with sqlite3.connect(tmp_path / "data" / "queue.db") as db:
        (size,) = db.execute("SELECT size FROM attachments").fetchone()
    assert 1000 < size < 80_000  # the sealed, compact photo waits in the queue


def test_a_corrupt_image_lets_the_citizen_continue_without_the_photo(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    # no photo, so nothing is marked: the first confirm asks whether to go on without documents
    proc = run(scenario(tmp_path, "broken.jpg", confirms=3), tmp_path / "data")
    assert proc.returncode == 0, proc.stderr[-2000:]
    request = json.loads(proc.stdout)["request"]
    assert request["photos"] == 0 and request["service_id"] == "bansos_complaint"
    assert "staff called from screen camera" in proc.stderr
