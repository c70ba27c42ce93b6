"""The end-pointing benchmark's plumbing on synthesized recordings laid out like prepared data (the real
figures come from real validation recordings; see docs/benchmarks-speech.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kiosk.speech.audio import write_wav_16k
from tests.speech.conftest import scale_to_dbfs
from tools.bench.vad import vad_on_recordings

Speak = Callable[[str, str], np.ndarray]


def test_end_pointing_figures_are_reported_per_condition(tmp_path: Path, speak: Speak) -> None:
    lines = []
    for i, text in enumerate(
        ["satu dua tiga", "empat lima", "enam tujuh delapan", "sembilan nol", "kosong satu"]
    ):
        write_wav_16k(tmp_path / f"{i}.wav", scale_to_dbfs(speak(text, "id"), -25))
        lines.append(
            {
                "path": f"{i}.wav",
                "corpus": "digit_cdsr",
                "speaker": f"S{i}",
                "split": "valid",
                "words": text.split(),
            }
        )
    lines.append({"path": "none.wav", "corpus": "digit_cdsr", "speaker": "X", "split": "train", "words": []})
    # a reserved acceptance speaker (second letter M-Z) is never used, even if a manifest lists it
    lines.append({"path": "0.wav", "corpus": "digit_cdsr", "speaker": "FMA", "split": "valid", "words": []})
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    report = vad_on_recordings(tmp_path, limit=10)
    assert report["available"] is True
    assert report["clean"]["recordings"] == 5
    assert report["clean"]["one_utterance"] == 1.0
    for key in ("fan_10db", "babble_10db"):
        assert 0.0 <= report[key]["one_utterance"] <= 1.0
        assert report[key]["false_triggers_per_min_noise_only"] >= 0
    room = report["busy_room"]  # lowest and highest share of speech frames over 20 s windows
    assert room["quiet_room"] == [0.0, 0.0]
    assert room["fan_10db"][1] < room["busy_share"] <= room["babble_10db"][0], room
    assert 0 < room["meter_cpu_share"] < 1  # CPU seconds per second of audio fed, measured


def test_missing_data_is_reported_not_raised(tmp_path: Path) -> None:
    report = vad_on_recordings(tmp_path)
    assert report["available"] is False and "manifest.jsonl" in report["reason"]


def test_with_an_engine_the_live_path_digit_error_rate_is_reported_next_to_the_whole_recording(
    tmp_path: Path, speak: Speak, ko_recognizer: object
) -> None:
    from tools.bench.vad import live_path

    items = [(np.asarray(speak("하나 둘 셋", "ko"), dtype=np.float64), ["satu", "dua", "tiga"])]
    result = live_path(items, ko_recognizer, None)  # type: ignore[arg-type]
    assert result["recordings"] == 1 and result["digits"] == 3
    for key in (
        "der_live_path",
        "der_whole_recording",
        "utterance_accuracy_live_path",
        "der_hold_to_talk",
        "utterance_accuracy_hold_to_talk",
    ):
        assert result[key] >= 0.0


def test_in_talk_behind_the_kiosk_hold_to_talk_makes_fewer_digit_errors_than_the_end_pointer(
    speak: Speak,
) -> None:
    """The shipped Indonesian model on synthesized numbers (synthetic speech: the plumbing and the direction,
    never an accuracy figure; those come from real recordings in docs/benchmarks-speech.md). Four other
    numbers talked 10 dB below the citizen run on into the end-pointed utterance; the button bounds it."""
    from kiosk.speech.litert import LiteRTRecognizer
    from tools.bench.vad import live_path

    texts = ["satu dua tiga empat", "lima enam tujuh", "delapan sembilan nol satu", "dua dua lima"]
    texts += ["tujuh empat tiga nol", "enam satu delapan", "sembilan dua empat", "tiga lima tujuh nol"]
    voices = ["id", "id+m3", "id+f2", "id+m1", "id+f1", "id", "id+m2", "id+f3"]
    items = []
    for text, voice in zip(texts, voices, strict=True):
        x = scale_to_dbfs(speak(text, voice), -20).astype(np.float64)
        items.append((np.concatenate([np.zeros(8000), x, np.zeros(8000)]), text.split()))
    rec = LiteRTRecognizer(Path(__file__).parents[2] / "models" / "digits-id.tflite")
    babble = live_path(items, rec, 10.0, "babble")
    assert babble["der_hold_to_talk"] < babble["der_live_path"] - 0.2, babble
    clean = live_path(items, rec, None)
    assert clean["der_hold_to_talk"] <= clean["der_live_path"], clean


def test_active_level_of_int16_samples_matches_the_same_samples_as_float() -> None:
    from tools.bench.vad import active_level

    rng = np.random.default_rng(3)
    loud = (rng.standard_normal(16000) * 12000).clip(-32768, 32767).astype(np.int16)
    # squared in int16 these samples would wrap round; the level must not depend on the dtype
    assert active_level(loud) == active_level(loud.astype(np.float64))
    assert active_level(loud) > 8000
