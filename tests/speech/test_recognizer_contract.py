"""One contract for every recognizer: the engines a language pack can name (Vosk for ko, the project's LiteRT
model for id) and the tests' fake, which stands in for them wherever the listener or the screens are under test.
The streaming engines are held to the stream contract as well. Synthesized audio: this checks behaviour, never
accuracy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import WavSource, split_blocks, write_wav_16k
from kiosk.speech.base import Recognizer
from kiosk.speech.engines import EngineUnavailable, load_recognizer, pack_for
from kiosk.speech.listener import StreamingRecognizer, hear
from layanan.config import Settings
from tests.speech.conftest import noise, scale_to_dbfs, silence
from tests.support.recognizers import FakeRecognizer

Speak = Callable[[str, str], np.ndarray]
Engine = tuple[Recognizer, str, list[str], str]
"""(recognizer, espeak-ng voice, a screen's vocabulary, a phrase in it)."""
CASES = {
    "ko": ("ko", ["하나", "둘", "셋"], "하나 둘 셋"),
    "id": ("id", ["satu", "dua", "tiga", "ya", "tidak"], "satu dua tiga"),
    "fake": ("id", ["satu", "dua", "tiga", "ya", "tidak"], "satu dua tiga"),
}
_cache: dict[str, Recognizer] = {}


def load(request: pytest.FixtureRequest, name: str) -> Engine:
    if name == "fake":
        _cache[name] = FakeRecognizer()
    elif name == "ko":
        _cache[name] = request.getfixturevalue("ko_recognizer")  # the session's already loaded Vosk model
    elif name not in _cache:
        pack = pack_for(name, Settings())
        try:
            _cache[name] = load_recognizer(pack)
        except EngineUnavailable as exc:
            pytest.fail(f"the {name} engine ships with the kiosk and should load here: {exc}")
    voice, vocabulary, phrase = CASES[name]
    return _cache[name], voice, vocabulary, phrase


def words(text: str) -> bool:
    """Lower-case words with single spaces, nothing else."""
    return text == " ".join(text.lower().split())


@pytest.fixture(params=sorted(CASES), scope="module")
def engine(request: pytest.FixtureRequest) -> Engine:
    return load(request, request.param)


@pytest.fixture(params=["id", "ko"], scope="module")
def streaming(request: pytest.FixtureRequest) -> Engine:
    found = load(request, request.param)
    assert isinstance(found[0], StreamingRecognizer)
    return found


class TestRecognizerContract:
    def test_the_transcript_names_the_engine_and_is_lower_case_words(
        self, engine: Engine, speak: Speak
    ) -> None:
        rec, voice, vocabulary, phrase = engine
        t = rec.recognize(speak(phrase, voice), vocabulary)
        assert t.engine == rec.name
        assert words(t.text)

    def test_with_a_vocabulary_only_its_words_or_unk_come_out(self, engine: Engine, speak: Speak) -> None:
        rec, voice, vocabulary, phrase = engine
        allowed = set(vocabulary) | {"[unk]"}
        for samples in (speak(phrase, voice), speak("good morning everybody", "en"), noise(1.5, -20)):
            assert set(rec.recognize(samples, vocabulary).text.split()) <= allowed

    def test_silence_empty_and_noise_give_no_digits_and_no_exception(self, engine: Engine) -> None:
        rec, _, vocabulary, _ = engine
        assert rec.recognize(silence(2.0), vocabulary).digits == ""
        assert rec.recognize(np.zeros(0, dtype=np.int16), vocabulary).digits == ""
        assert rec.recognize(noise(2.0, -6), vocabulary).engine == rec.name

    def test_a_wav_with_two_phrases_is_heard_as_two_utterances(
        self, engine: Engine, speak: Speak, tmp_path: Path
    ) -> None:
        rec, voice, vocabulary, phrase = engine
        p = scale_to_dbfs(speak(phrase, voice), -20)
        write_wav_16k(tmp_path / "two.wav", np.concatenate([silence(0.5), p, silence(1.5), p, silence(0.5)]))
        transcripts = hear(WavSource(tmp_path / "two.wav"), rec, vocabulary)
        assert len(transcripts) == 2
        assert all(t.engine == rec.name for t in transcripts)


class TestStreamingRecognizerContract:
    """What the listener needs of an engine that decodes while the citizen speaks (partials on screen)."""

    def test_partials_are_lower_case_words_and_the_final_names_the_engine(
        self, streaming: Engine, speak: Speak
    ) -> None:
        rec, voice, vocabulary, phrase = streaming
        stream = rec.open_stream(vocabulary)  # type: ignore[attr-defined]
        audio = np.concatenate([scale_to_dbfs(speak(phrase, voice), -20), silence(0.5)])
        partials = [p for p in (stream.accept(b) for b in split_blocks(audio)) if p is not None]
        assert all(words(p) for p in partials)
        final = stream.finish()
        assert final.engine == rec.name and words(final.text)

    def test_with_a_vocabulary_partials_and_final_hold_only_its_words_or_unk(
        self, streaming: Engine, speak: Speak
    ) -> None:
        rec, _, vocabulary, _ = streaming
        allowed = set(vocabulary) | {"[unk]"}
        stream = rec.open_stream(vocabulary)  # type: ignore[attr-defined]
        partials = [stream.accept(b) for b in split_blocks(speak("good morning everybody", "en"))]
        for text in [p for p in partials if p is not None] + [stream.finish().text]:
            assert set(text.split()) <= allowed

    def test_a_stream_given_no_audio_finishes_with_no_digits(self, streaming: Engine) -> None:
        rec, _, vocabulary, _ = streaming
        final = rec.open_stream(vocabulary).finish()  # type: ignore[attr-defined]
        assert final.engine == rec.name and final.digits == ""

    def test_finishing_on_the_end_pointed_utterance_gives_a_transcript_of_the_engine(
        self, streaming: Engine, speak: Speak
    ) -> None:
        rec, voice, vocabulary, phrase = streaming
        utterance = np.concatenate([silence(0.3), scale_to_dbfs(speak(phrase, voice), -20), silence(0.3)])
        stream = rec.open_stream(vocabulary)  # type: ignore[attr-defined]
        for block in split_blocks(utterance):
            stream.accept(block)
        final = stream.finish(utterance)
        assert final.engine == rec.name and set(final.text.split()) <= set(vocabulary) | {"[unk]"}
