"""One contract for every recognizer a language pack can name (Vosk for ko; the LiteRT model for id once
models/digits-id.tflite is present). Synthesized audio: this checks behaviour, never accuracy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import WavSource, write_wav_16k
from kiosk.speech.base import Recognizer
from kiosk.speech.engines import EngineUnavailable, load_recognizer, pack_for
from kiosk.speech.listener import hear
from layanan.config import Settings
from tests.speech.conftest import noise, scale_to_dbfs, silence

Speak = Callable[[str, str], np.ndarray]
CASES = {
    "ko": ("ko", ["하나", "둘", "셋"], "하나 둘 셋"),
    "id": ("id", ["satu", "dua", "tiga", "ya", "tidak"], "satu dua tiga"),
}
_cache: dict[str, Recognizer] = {}


@pytest.fixture(params=sorted(CASES), scope="module")
def engine(request: pytest.FixtureRequest) -> tuple[Recognizer, str, list[str], str]:
    lang = request.param
    if lang == "ko":
        _cache[lang] = request.getfixturevalue("ko_recognizer")  # the session's already loaded Vosk model
    if lang not in _cache:
        pack = pack_for(lang, Settings())
        if pack.engine == "litert" and pack.model is not None and not pack.model.exists():
            pytest.skip(f"{pack.model} is not in this checkout yet (the model branch provides it)")
        try:
            _cache[lang] = load_recognizer(pack)
        except EngineUnavailable as exc:
            pytest.fail(f"the {lang} engine should load here: {exc}")
    voice, vocabulary, phrase = CASES[lang]
    return _cache[lang], voice, vocabulary, phrase


def test_the_transcript_names_the_engine_and_is_lower_case_words(engine, speak: Speak) -> None:  # type: ignore[no-untyped-def]
    rec, voice, vocabulary, phrase = engine
    t = rec.recognize(speak(phrase, voice), vocabulary)
    assert t.engine == rec.name
    assert t.text == " ".join(t.text.lower().split())


def test_with_a_vocabulary_only_its_words_or_unk_come_out(engine, speak: Speak) -> None:  # type: ignore[no-untyped-def]
    rec, voice, vocabulary, phrase = engine
    allowed = set(vocabulary) | {"[unk]"}
    for samples in (speak(phrase, voice), speak("good morning everybody", "en"), noise(1.5, -20)):
        assert set(rec.recognize(samples, vocabulary).text.split()) <= allowed


def test_silence_empty_and_noise_give_no_digits_and_no_exception(engine) -> None:  # type: ignore[no-untyped-def]
    rec, _, vocabulary, _ = engine
    assert rec.recognize(silence(2.0), vocabulary).digits == ""
    assert rec.recognize(np.zeros(0, dtype=np.int16), vocabulary).digits == ""
    rec.recognize(noise(2.0, -6), vocabulary)


def test_a_wav_with_two_phrases_is_heard_as_two_utterances(engine, speak: Speak, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rec, voice, vocabulary, phrase = engine
    p = scale_to_dbfs(speak(phrase, voice), -20)
    write_wav_16k(tmp_path / "two.wav", np.concatenate([silence(0.5), p, silence(1.5), p, silence(0.5)]))
    transcripts = hear(WavSource(tmp_path / "two.wav"), rec, vocabulary)
    assert len(transcripts) == 2
    assert all(t.engine == rec.name for t in transcripts)
