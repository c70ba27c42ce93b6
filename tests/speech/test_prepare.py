"""Data preparation: reserved-speaker rule, by-speaker split, transcript parsing, corpus extraction."""

from __future__ import annotations

import io
import json
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

from models.training.prepare import (
    DIALOG_CORPUS,
    DIGIT_CORPUS,
    Source,
    Utterance,
    dev_split,
    extract_corpus,
    fast_copies,
    is_reserved,
    parse_marked_words,
    validation_speakers,
)


@pytest.mark.parametrize("speaker", ["FOC", "MSA", "FMJ", "MZZ", "FNT", "MYR", "foc"])
def test_speakers_with_second_letter_m_to_z_are_reserved(speaker: str) -> None:
    assert is_reserved(speaker)


@pytest.mark.parametrize("speaker", ["FAL", "MLS", "FKU", "MAA", "FEO", "MJK", "fal"])
def test_speakers_with_second_letter_a_to_l_are_usable(speaker: str) -> None:
    assert not is_reserved(speaker)


@pytest.mark.parametrize("bad", ["", "FA", "FALX", "F1L", "F L", "FÄL"])
def test_malformed_speaker_ids_are_refused_not_guessed(bad: str) -> None:
    with pytest.raises(ValueError, match="three letters"):
        is_reserved(bad)


def test_validation_speakers_are_a_per_gender_subset_and_deterministic() -> None:
    speakers = [f"F{a}{b}" for a in "ABCDE" for b in "AB"] + [f"M{a}{b}" for a in "ABCDE" for b in "AB"]
    held = validation_speakers(speakers)
    assert held == validation_speakers(list(reversed(speakers)))
    assert {s[0] for s in held} == {"F", "M"}
    assert 0 < len(held) < len(speakers) // 3


def test_marked_transcripts_become_lower_case_word_lists() -> None:
    text = "|S|\nKOSONG\nDUA\nDELAPAN\n|E||S|\nTIDAK\n|E|"
    assert parse_marked_words(text) == [["kosong", "dua", "delapan"], ["tidak"]]


def wav_bytes(seconds: float = 0.2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(int(16000 * seconds), np.int16).tobytes())
    return buf.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def make_digit_corpus(root: Path) -> None:
    for spk in ("FAL", "FOC", "MAB"):
        (root / "speech/test1").mkdir(parents=True, exist_ok=True)
        (root / "text/test1").mkdir(parents=True, exist_ok=True)
        (root / f"text/test1/{spk}.zip").write_bytes(zip_of({f"{spk}_12A.txt": b"|S|\nSATU\nDUA\n|E|"}))
        if spk != "MAB":  # MAB's audio archive is missing from this copy
            (root / f"speech/test1/{spk}.zip").write_bytes(zip_of({f"{spk}_12A.wav": wav_bytes()}))
    (root / "README.md").write_text("fake")


def test_extraction_skips_reserved_speakers_and_lists_missing_archives(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    make_digit_corpus(corpus)
    (corpus / "speech/test1/MAB.zip").unlink(missing_ok=True)
    (corpus / "speech/test1/MAB.zip").write_bytes(b"")  # listed but empty, as in a partial mirror
    summary: dict = {}
    rows = extract_corpus(Source(corpus), DIGIT_CORPUS, tmp_path / "out", summary)
    assert [(spk, words) for _, spk, words in rows] == [("FAL", ["satu", "dua"])]
    assert (tmp_path / "out" / rows[0][0]).is_file()
    assert summary[DIGIT_CORPUS]["reserved_speakers_skipped"] == ["FOC"]
    assert summary[DIGIT_CORPUS]["archives_missing_in_copy"] == ["speech/test1/MAB.zip"]
    assert not (tmp_path / "out" / "wav" / DIGIT_CORPUS / "FOC").exists()


def test_dialog_corpus_takes_transcripts_from_the_shared_text_archive(tmp_path: Path) -> None:
    corpus = tmp_path / "dialog"
    (corpus / "speech/test").mkdir(parents=True)
    (corpus / "text").mkdir()
    (corpus / "text/text.zip").write_bytes(zip_of({"U007.ANS": b"|S|\nTIDAK\nPERLU\n|E|"}))
    (corpus / "speech/test/FEK.zip").write_bytes(zip_of({"FEK_U007.wav": wav_bytes()}))
    (corpus / "speech/test/FSY.zip").write_bytes(zip_of({"FSY_U007.wav": wav_bytes()}))
    summary: dict = {}
    rows = extract_corpus(Source(corpus), DIALOG_CORPUS, tmp_path / "out", summary)
    assert [(spk, words) for _, spk, words in rows] == [("FEK", ["tidak", "perlu"])]
    assert json.dumps(summary)  # the summary is JSON-able as written to summary.json


def test_dev_split_holds_out_training_speakers_and_drops_the_validation_speakers(tmp_path: Path) -> None:
    src = tmp_path / "prepared"
    (src / "wav").mkdir(parents=True)
    (src / "synth").mkdir()
    train = [f"{g}{a}A" for g in "FM" for a in "ABCDEFGH"]
    rows = [Utterance(f"wav/{s}.wav", DIGIT_CORPUS, s, "train", ["satu"]) for s in train]
    rows += [Utterance("wav/FKU.wav", DIGIT_CORPUS, "FKU", "valid", ["dua"])]
    rows += [Utterance("synth/S00.wav", "synth", "syn-id", "train", ["ya"])]
    (src / "manifest.jsonl").write_text("".join(u.to_json() + "\n" for u in rows))
    (src / "summary.json").write_text(json.dumps({"speakers_train": train, "speakers_valid": ["FKU"]}))
    out = tmp_path / "dev"
    dev_split(src, out, 4)
    got = [Utterance.from_json(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    held = {u.speaker for u in got if u.split == "valid"}
    assert "FKU" not in {u.speaker for u in got}
    assert 2 <= len(held) <= 4 and {s[0] for s in held} == {"F", "M"} and held <= set(train)
    assert any(u.corpus == "synth" and u.split == "train" for u in got)
    assert (out / "wav").resolve() == (src / "wav").resolve()
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["speakers_valid"]) == held and not held & set(summary["speakers_train"])


def test_fast_copies_add_a_faster_copy_of_each_training_digit_utterance_only(tmp_path: Path) -> None:
    """sox's WSOLA tempo: the copy is shorter by the factor, keeps its speaker and words; validation speakers,
    the dialog corpus and synthesized speech are not copied."""
    src = tmp_path / "prepared"
    (src / "wav").mkdir(parents=True)
    (src / "synth").mkdir()
    t = np.arange(32000) / 16000
    tone = (8000 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.int16)
    for name in ("FAB", "FKU", "DLG", "S00"):
        with wave.open(str(src / "wav" / f"{name}.wav"), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
            w.writeframes(tone.tobytes())
    rows = [
        Utterance("wav/FAB.wav", DIGIT_CORPUS, "FAB", "train", ["satu", "dua"]),
        Utterance("wav/FKU.wav", DIGIT_CORPUS, "FKU", "valid", ["tiga"]),
        Utterance("wav/DLG.wav", DIALOG_CORPUS, "FAL", "train", ["tidak"]),
        Utterance("wav/S00.wav", "synth", "syn-id", "train", ["ya"]),
    ]
    (src / "manifest.jsonl").write_text("".join(u.to_json() + "\n" for u in rows))
    (src / "summary.json").write_text(
        json.dumps({"speakers_train": ["FAB", "FAL"], "speakers_valid": ["FKU"]})
    )
    out = tmp_path / "fast"
    fast_copies(src, out, [(1.25, 1.25), (1.6, 1.6)], seed=1)
    got = [Utterance.from_json(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert got[:4] == rows
    copies = got[4:]
    assert len(copies) == 2, "one copy per factor range"
    for copy, factor in zip(copies, (1.25, 1.6), strict=True):
        assert (copy.corpus, copy.speaker, copy.split, copy.words) == (
            DIGIT_CORPUS,
            "FAB",
            "train",
            ["satu", "dua"],
        )
        with wave.open(str(out / copy.path)) as w:
            assert (w.getframerate(), w.getnchannels()) == (16000, 1)
            assert abs(w.getnframes() - 32000 / factor) < 400  # 1.6 s and 1.25 s from 2 s
    assert json.loads((out / "summary.json").read_text())["fast_copies"]["count"] == 2
