"""``kiosk bench vision --quick --json`` runs end to end and reports every figure (not judged here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tools.vision import families

ROOT = Path(__file__).resolve().parents[2]


def test_the_vision_bench_reports_frame_times_sizes_legibility_an_upload_and_held_out_families():
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
    held_out = report["held_out"]
    assert set(held_out["shipped"]) == {f.name for f in families.split("held_out")}
    for row in held_out["shipped"].values():
        assert row["split"] == "held_out" and row["scenes"] == 10
        assert 0 <= row["found"] <= 1 and 0 <= row["within_2pct"] <= row["found"]
        assert isinstance(row["met"], bool)
    assert held_out["detector"].startswith("classical")
    assert held_out["analysis_640x480_one_core"]["median_cpu_ms"] > 0
    upload = report["upload"]["vsat-2mbit-rtt0.5"]["results"]["encoded_card"]
    assert upload["bytes"] == report["encoding"]["ktp"]["bytes"] and upload["chunks"] == 1
    assert upload["send_s"] > 0
