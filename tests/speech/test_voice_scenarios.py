"""The voice-scenario builder finds real recordings whose digits make a valid NIK, and refuses to write corpus
audio into the repository."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from kiosk.domain.validation import check_nik
from models.training.voice_scenarios import find_nik

ROOT = Path(__file__).parents[2]


def test_recordings_are_chained_into_a_valid_nik():
    recordings = [
        (Path(f"{n}.wav"), digits)
        for n, digits in enumerate(
            ["3201", "01", "4507", "9000", "01", "12", "7", "88", "320101", "450790", "0001", "99"]
        )
    ]
    found = find_nik(recordings, random.Random(1))
    assert found is not None
    picked, nik = found
    assert check_nik(nik) is None and "".join(d for _, d in picked) == nik
    assert len({p for p, _ in picked}) == len(picked)  # each recording used once


def test_no_chain_when_no_valid_nik_can_be_made():
    assert find_nik([(Path("a.wav"), "0000"), (Path("b.wav"), "00")], random.Random(1), tries=2000) is None


def test_scenarios_are_never_written_inside_the_repository(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "models/training/voice_scenarios.py",
            "--data",
            str(tmp_path),
            "--out",
            str(ROOT / "voice-out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "outside the repository" in proc.stderr
    assert not (ROOT / "voice-out").exists()
