"""``kiosk bench vision --quick --json`` runs end to end and reports every figure (not judged here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_vision_bench_reports_frame_times_sizes_legibility_and_an_upload():
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "bench", "vision", "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for size in ("640x480", "1280x720"):
        for step in ("capture_session_feed", "quality_checks", "detect_and_warp"):
            assert report["frame"][size][step]["median_ms"] > 0
    for doc, target in (("ktp", 60_000), ("kk", 150_000), ("letter", 150_000)):
        assert 0 < report["encoding"][doc]["bytes"] <= target
        assert report["encoding"][doc]["legible"] is True
    upload = report["upload"]["vsat-2mbit-rtt0.5"]["results"]["encoded_card"]
    assert upload["bytes"] == report["encoding"]["ktp"]["bytes"] and upload["chunks"] == 1
    assert upload["send_s"] > 0
