"""The voice-scenario builder finds real recordings whose digits make a valid NIK, refuses to write corpus
audio into the repository, and plays a citizen who corrects a wrong read-back with "ulang"."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from kiosk.session import KioskSession
from kiosk.simulate import play
from layanan.domain.catalog import load_catalog
from layanan.domain.flow import Flow
from layanan.domain.validation import check_nik
from models.training.voice_scenarios import TOUCH_TO_NIK, dictate_with_corrections, find_nik

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


def test_a_citizen_corrects_a_wrong_group_with_ulang_and_says_it_again(tmp_path):
    """The real flow, with a hearer that returns what the kiosk heard in each WAV: the second group is misheard,
    the first "ulang" is misheard as a digit (one more group to take back), then the group is said again."""
    heard = {
        "0.wav": "tiga dua nol satu",
        "1.wav": "nol satu empat empat",  # wrong: read back, the citizen hears it
        "1-take1.wav": "nol satu empat lima",
        "ulang0.wav": "dua",  # a background talker's digit instead of "ulang"
        "ulang1.wav": "ulang",
        "ulang2.wav": "dua ulang",
    }
    session = KioskSession(Flow(load_catalog(), ("id", "en")), queue=None)  # type: ignore[arg-type]
    session.start()
    play(session, TOUCH_TO_NIK, tmp_path, lambda path, state, holds: "")
    scenario = {
        "dir": tmp_path,
        "groups": ["3201", "0145"],
        "takes": [[{"speak": "0.wav"}], [{"speak": "1.wav"}, {"speak": "1-take1.wav"}]],
        "ulang": [{"speak": f"ulang{n}.wav"} for n in range(3)],
    }
    counts = dictate_with_corrections(session, scenario, lambda path, state, holds: heard[path.name])
    assert session.state.entry == "32010145"
    assert counts == {"takes": 3, "ulang": 3, "ulang_misheard": 1}


def test_a_citizen_out_of_ulangs_leaves_the_wrong_group(tmp_path):
    session = KioskSession(Flow(load_catalog(), ("id", "en")), queue=None)  # type: ignore[arg-type]
    session.start()
    play(session, TOUCH_TO_NIK, tmp_path, lambda path, state, holds: "")
    scenario = {"dir": tmp_path, "groups": ["3201"], "takes": [[{"speak": "0.wav"}]], "ulang": []}
    counts = dictate_with_corrections(session, scenario, lambda path, state, holds: "tiga dua nol dua")
    assert session.state.entry == "3202" and counts == {"takes": 1, "ulang": 0, "ulang_misheard": 0}
