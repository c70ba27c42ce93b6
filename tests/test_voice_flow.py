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
    "satu",  # documents: the first, the family card copy
    "ya",  # will bring it
    "ya",  # documents done
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


def test_with_the_talk_button_held_only_the_held_words_fill_the_field(tmp_path):
    """One WAV, two numbers with a pause between them; the button is held over the first only."""
    import numpy as np

    from kiosk import compose
    from kiosk.session import KioskSession
    from kiosk.simulate import RecordingQueue, run_scenario, speech_hearer
    from kiosk.speech.audio import load_wav, write_wav_16k
    from layanan.config import load_settings

    synthesize("tiga dua nol satu", tmp_path / "a.wav")
    synthesize("lima enam tujuh delapan", tmp_path / "b.wav")
    a, b = load_wav(tmp_path / "a.wav").samples, load_wav(tmp_path / "b.wav").samples
    gap = np.zeros(24000, dtype=np.int16)
    write_wav_16k(tmp_path / "both.wav", np.concatenate([gap, a, gap, b, gap]))
    first_ends = (len(gap) + len(a)) / 16000
    touch_to_nik = [{"tap": "start"}, {"choose": "lang:id"}, {"choose": "cat:ktp"}, {"choose": "svc:ktp_new"}]
    settings = load_settings(env={"KIOSK_DATA_DIR": str(tmp_path / "d")})
    flow = compose.flow(settings)
    entries = {}
    for name, event in (
        ("held", {"speak": "both.wav", "hold": [1.0, first_ends + 0.1]}),
        ("hands_free", {"speak": "both.wav"}),
    ):
        session = KioskSession(flow, RecordingQueue(compose.open_queue(settings)))
        run_scenario(flow, session, {"events": [*touch_to_nik, event]}, tmp_path, speech_hearer(settings))
        assert session.state.screen == "field"
        entries[name] = session.state.entry
    assert entries == {"held": "3201", "hands_free": "32015678"}


def test_a_held_press_over_silence_in_a_scenario_is_asked_again(tmp_path):
    import numpy as np

    from kiosk import compose
    from kiosk.session import KioskSession, SilentSpeaker
    from kiosk.simulate import RecordingQueue, run_scenario, speech_hearer
    from kiosk.speech.audio import write_wav_16k
    from layanan.config import load_settings

    write_wav_16k(tmp_path / "quiet.wav", np.zeros(48000, dtype=np.int16))
    settings = load_settings(env={"KIOSK_DATA_DIR": str(tmp_path / "d")})
    flow = compose.flow(settings)
    events = [{"tap": "start"}, {"choose": "lang:id"}, {"choose": "cat:ktp"}, {"choose": "svc:ktp_new"}]
    said = {}
    for name, event in (
        ("held", {"speak": "quiet.wav", "hold": [0.5, 2.0]}),
        ("hands_free", {"speak": "quiet.wav"}),
    ):
        speaker = SilentSpeaker()
        session = KioskSession(flow, RecordingQueue(compose.open_queue(settings)), speaker=speaker)
        run_scenario(flow, session, {"events": [*events, event]}, tmp_path, speech_hearer(settings))
        said[name] = speaker.said[-1]
    assert said["held"] == ("err.not_understood",)
    assert said["hands_free"] != ("err.not_understood",)  # nothing was said: the NIK prompt is the last
