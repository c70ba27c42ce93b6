"""The whole KTP request by voice through ``kiosk simulate``: WAV files are end-pointed and recognized by the
project's LiteRT model exactly as the live kiosk does, then drive the same flow.

The WAVs are synthesized here with espeak-ng, which proves the path (audio -> VAD -> model -> flow), not accuracy:
accuracy on real speakers is measured by ``kiosk bench speech`` and reported in models/digits-id.md.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cli import kiosk

SAY = [
    "satu",  # attract: any speech starts
    "satu",
    "ya",  # language 1: Bahasa Indonesia
    "satu",
    "ya",  # group 1: KTP-el
    "satu",
    "ya",  # service 1: KTP-el baru
    "tiga dua nol satu",
    "nol satu empat lima",
    "nol tujuh sembilan nol",
    "nol nol nol satu",
    "ya",  # NIK
    "tiga dua nol satu",
    "nol satu satu dua",
    "nol tiga satu lima",
    "nol nol nol empat",
    "ya",  # KK
    "nol delapan satu dua",
    "tiga empat lima enam",
    "tujuh delapan sembilan kosong",
    "ya",  # phone
    "ya",  # documents
    "ya",  # review: confirm
]


def synthesize(text: str, path: Path) -> None:
    subprocess.run(["espeak-ng", "-v", "id", "-s", "130", "-w", str(path), text], check=True, timeout=30)


def test_a_ktp_request_can_be_made_entirely_by_voice(tmp_path):
    events = []
    for n, text in enumerate(SAY):
        synthesize(text, tmp_path / f"{n:02d}.wav")
        events.append({"speak": f"{n:02d}.wav"})
    scenario = tmp_path / "voice.json"
    scenario.write_text(
        json.dumps({"events": events, "expect": {"screen": "ticket", "service_id": "ktp_new"}})
    )
    proc = kiosk("simulate", str(scenario), "--data-dir", str(tmp_path / "d"), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    request = json.loads(proc.stdout)["request"]
    assert request["fields"] == {
        "nik": "3201014507900001",
        "kk_number": "3201011203150004",
        "phone": "081234567890",
    }


def test_a_wav_in_the_wrong_format_is_a_clear_scenario_error(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEnot audio")
    scenario = tmp_path / "bad.json"
    scenario.write_text(json.dumps({"events": [{"tap": "start"}, {"speak": "bad.wav"}]}))
    proc = kiosk("simulate", str(scenario), "--data-dir", str(tmp_path / "d"), timeout=120)
    assert proc.returncode == 2 and "bad.wav" in proc.stderr
