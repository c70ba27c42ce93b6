"""tools.speech.eval.evaluate, the function behind ``kiosk bench speech``, on a tiny prepared folder."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tools.speech.eval import edit_distance, error_counts, evaluate, words_per_second

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "digits-id.tflite"


def test_edit_distance_counts_substitutions_deletions_and_insertions() -> None:
    assert edit_distance("123", "123") == 0
    assert edit_distance("123", "133") == 1
    assert edit_distance("123", "13") == 1
    assert edit_distance("123", "1234") == 1
    assert edit_distance("", "12") == 2


@pytest.mark.parametrize(
    ("ref", "hyp", "counts"),
    [
        ("123", "123", (0, 0, 0)),
        ("123", "133", (1, 0, 0)),
        ("04282", "0428", (0, 1, 0)),
        ("2999094", "299909", (0, 1, 0)),
        ("80", "86", (1, 0, 0)),
        ("123", "1234", (0, 0, 1)),
        ("", "12", (0, 0, 2)),
        ("450", "", (0, 3, 0)),
        ("5611", "5673", (2, 0, 0)),
        ("9903", "29903", (0, 0, 1)),
        ("3257302", "32573", (0, 2, 0)),
    ],
)
def test_error_counts_split_the_edit_distance_into_substitutions_deletions_and_insertions(
    ref: str, hyp: str, counts: tuple[int, int, int]
) -> None:
    assert error_counts(ref, hyp) == counts
    assert sum(error_counts(ref, hyp)) == edit_distance(ref, hyp)


def prepared_folder(tmp_path: Path) -> Path:
    """A prepare.py-like folder: four espeak-ng digit utterances of four 'validation speakers'."""
    tmp_path.mkdir(exist_ok=True)
    lines = []
    for i, (voice, text) in enumerate(
        [
            ("id+m3", "satu dua tiga"),
            ("id+f2", "empat lima"),
            ("id+m3", "enam tujuh"),
            ("id+f2", "kosong sembilan"),
        ]
    ):
        raw = tmp_path / f"raw{i}.wav"
        wav = tmp_path / f"u{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True, timeout=30)
        subprocess.run(
            ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True, timeout=30
        )
        lines.append(
            json.dumps(
                {
                    "path": wav.name,
                    "corpus": "digit_cdsr",
                    "speaker": f"S{i}",
                    "split": "valid",
                    "words": text.split(),
                }
            )
        )
    (tmp_path / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.mark.usefixtures("espeak_ng")
def test_evaluate_reports_every_benchmark_figure(tmp_path: Path) -> None:
    res = evaluate(MODEL, prepared_folder(tmp_path))
    assert res["model_bytes"] == MODEL.stat().st_size
    assert set(res["conditions"]) == {"clean", "babble", "fan_traffic"}
    clean = res["conditions"]["clean"]
    assert clean["digits"] == 9
    assert clean["substitutions"] + clean["deletions"] + clean["insertions"] == round(clean["der"] * 9)
    assert set(clean["der_by_speaker"]) == {"S0", "S1", "S2", "S3"}
    assert set(res["words_per_second_by_speaker"]) == {"S0", "S1", "S2", "S3"}
    assert all(0.5 < r < 10 for r in res["words_per_second_by_speaker"].values())
    for key in ("der_clean", "der_babble_10db", "der_fan_traffic_10db", "utterance_accuracy_clean"):
        assert 0.0 <= res[key] <= 1.5
    assert res["der_clean"] <= 0.34, "clean synthesized digits should be mostly right"
    assert res["rtf_one_thread"] > 0 and res["peak_rss_mib"] > 10
    assert json.dumps(res)


def test_speaking_rate_counts_words_over_the_speech_between_the_silences() -> None:
    t = np.arange(int(0.9 * 16000)) / 16000
    burst = (8000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    quiet = np.zeros(16000, np.int16)
    slow = np.concatenate([quiet, burst, quiet])
    fast = np.concatenate([quiet, burst[: len(burst) // 2], quiet])
    rates = words_per_second(
        [(slow, ["satu", "dua", "tiga"], "SLO"), (fast, ["satu", "dua", "tiga"], "FST"), (quiet, [], "SLO")]
    )
    assert rates["SLO"] == pytest.approx(3 / 0.9, abs=0.1)
    assert rates["FST"] == pytest.approx(2 * 3 / 0.9, abs=0.2)


def test_evaluate_without_prepared_data_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run models/training/prepare.py"):
        evaluate(MODEL, tmp_path)


def test_decoder_from_copies_the_shipped_decoder_into_a_candidates_manifest(tmp_path: Path) -> None:
    from models.training.evaluate import DECODER_KEYS, decoder_from

    shipped = json.loads((ROOT / "models" / "manifest.json").read_text())
    candidate = {**shipped, "version": "9", "blank_penalty": 3.5, "pad_lead_s": 1.0, "level_gate_db": 6.0}
    del candidate["min_token_prob"]
    candidate["sha256"] = "c" * 64
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(candidate))
    copied = decoder_from(ROOT / "models" / "manifest.json", path)
    after = json.loads(path.read_text())
    for key in DECODER_KEYS:
        assert after[key] == shipped[key] == copied[key]
    assert after["sha256"] == "c" * 64 and after["version"] == "9"  # the candidate's own fields stay
    assert f"{shipped['name']} v{shipped['version']}" in after["training"]["decoder_from"]


def test_evaluate_script_scores_a_candidate_with_the_shipped_decoder_and_through_the_live_path(
    tmp_path: Path,
) -> None:
    from models.training.evaluate import main

    data = prepared_folder(tmp_path / "data")
    candidate = tmp_path / "candidate"
    candidate.mkdir()
    shutil.copy(MODEL, candidate / MODEL.name)
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    (candidate / "manifest.json").write_text(json.dumps({**manifest, "blank_penalty": 0.0}))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            [
                "--data",
                str(data),
                "--model",
                str(candidate / MODEL.name),
                "--decoder-from",
                str(ROOT / "models" / "manifest.json"),
                "--live-path",
                "4",
                "--json",
            ]
        )
    assert code == 0
    copied, res = (json.loads(line) for line in buf.getvalue().splitlines())
    assert copied["blank_penalty"] == manifest["blank_penalty"]
    assert json.loads((candidate / "manifest.json").read_text())["blank_penalty"] == manifest["blank_penalty"]
    live = res["live_path"]
    assert set(live) == {"engine", "clean", "fan_10db", "babble_10db"}
    assert 0.0 <= live["clean"]["der_live_path"] <= 1.5


def test_word_lists_are_aligned_word_by_word() -> None:
    assert error_counts(["tidak", "kembali"], ["tidak", "kembali"]) == (0, 0, 0)
    assert error_counts(["tidak", "kembali"], ["ya", "kembali"]) == (1, 0, 0)
    assert error_counts(["bantuan"], []) == (0, 1, 0)
    assert error_counts(["ya"], ["ya", "ya"]) == (0, 0, 1)


def synthesized_commands(tmp_path: Path, utterances: list[tuple[str, str, str]]) -> Path:
    """A prepare.py-like folder of held-out synthesized utterances: (voice, text said, reference text)."""
    tmp_path.mkdir(exist_ok=True)
    lines = []
    for i, (voice, said, ref) in enumerate(utterances):
        raw, wav = tmp_path / f"raw{i}.wav", tmp_path / f"c{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(raw), said], check=True, timeout=30)
        subprocess.run(
            ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True, timeout=30
        )
        row = {"path": wav.name, "corpus": "synth", "speaker": f"syn-{voice}", "split": "valid"}
        lines.append(json.dumps({**row, "words": ref.split()}))
    (tmp_path / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.mark.usefixtures("espeak_ng")
def test_command_words_are_scored_word_by_word_as_the_kiosk_decodes_them(tmp_path: Path) -> None:
    from tools.speech.eval import command_words

    said = [("id+m3", w, w) for w in ("ya", "tidak", "bantuan", "kembali", "batal", "ulang")]
    res = command_words(MODEL, synthesized_commands(tmp_path / "right", said))
    assert res["utterances"] == res["words"] == 6
    assert res["voices"] == ["syn-id+m3"]
    assert res["wer"] <= 2 / 6, res["wrong"]
    assert len(res["wrong"]) == round((1 - res["utterance_accuracy"]) * 6)
    # The same recordings with references they do not say: every word is counted wrong.
    mislabelled = [(v, w, "nol satu") for v, w, _ in said]
    res = command_words(MODEL, synthesized_commands(tmp_path / "wrong", mislabelled))
    assert res["words"] == 12 and res["utterance_accuracy"] == 0.0
    assert res["substitutions"] + res["deletions"] + res["insertions"] >= 6
    assert res["wer"] >= 0.5
    assert {w["ref"] for w in res["wrong"]} == {"nol satu"}


def test_command_words_without_synthesized_utterances_says_what_to_run(tmp_path: Path) -> None:
    from tools.speech.eval import command_words

    with pytest.raises(FileNotFoundError, match="prepare.py"):
        command_words(MODEL, prepared_folder(tmp_path))


@pytest.mark.usefixtures("espeak_ng")
def test_evaluate_script_adds_the_command_words_when_asked(tmp_path: Path) -> None:
    from models.training.evaluate import main

    data = prepared_folder(tmp_path / "data")
    digits = (data / "manifest.jsonl").read_text()
    synthesized_commands(data, [("id+f2", "ya", "ya"), ("id+f2", "batal", "batal")])
    (data / "manifest.jsonl").write_text(digits + (data / "manifest.jsonl").read_text())
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["--data", str(data), "--model", str(MODEL), "--commands", "--json"]) == 0
    res = json.loads(buf.getvalue())
    assert res["conditions"]["clean"]["digits"] == 9
    assert res["commands"]["words"] == 2 and res["commands"]["voices"] == ["syn-id+f2"]
    assert 0.0 <= res["commands"]["wer"] <= 1.0
