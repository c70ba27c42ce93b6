"""The Vosk engine: an open-vocabulary Kaldi model restricted per screen by a grammar, with streaming
partials.

``VoskRecognizer(model_dir)`` fulfils :class:`~kiosk.speech.base.Recognizer` (whole utterances) and
:class:`~kiosk.speech.listener.StreamingRecognizer` (``open_stream`` for partials while the citizen speaks).
:meth:`VoskRecognizer.transcribe_stream` also runs Vosk's own end-pointing over a block stream and yields a
final
:class:`~kiosk.speech.base.Transcript` at each end point.

A screen's vocabulary becomes the grammar ``phrases + [unknown word]``: the decoder can only output those
phrases, or the model's unknown-word token (``[unk]`` in most models, ``<UNK>`` in the Korean one; reported as
``[unk]``) for speech that is none of them. Grammar words the model does not know are logged once and dropped
by Vosk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from kiosk.speech.base import SAMPLE_RATE, Transcript

log = logging.getLogger(__name__)

UNKNOWN = "[unk]"
CHUNK_SAMPLES = 4000
"""0.25 s: how much audio a whole-utterance decode hands Vosk at a time."""


class VoskModelError(RuntimeError):
    """The model directory is missing or unusable; the message names it and says what to do."""


def check_model_dir(model_dir: Path) -> None:
    """Raise VoskModelError unless ``model_dir`` looks like a Vosk model (am/final.mdl and conf/)."""
    if not model_dir.exists():
        raise VoskModelError(
            f"Vosk model directory {model_dir} does not exist; download a model from "
            "https://alphacephei.com/vosk/models and unpack it there"
        )
    if not model_dir.is_dir():
        raise VoskModelError(f"{model_dir} is a file, not a Vosk model directory")
    missing = [p for p in ("am/final.mdl", "conf/mfcc.conf") if not (model_dir / p).is_file()]
    if missing:
        raise VoskModelError(
            f"{model_dir} is not a complete Vosk model: missing {', '.join(missing)}; "
            "unpack the model archive again"
        )


UNKNOWN_TOKENS = ("[unk]", "<UNK>", "<unk>")
"""Spellings of the unknown-word token in Vosk models; the first one the model knows is used."""


def grammar_json(vocabulary: Sequence[str], unknown: str | None = UNKNOWN) -> str:
    """The grammar Vosk takes: a JSON list of phrases plus the unknown token (UTF-8 kept: Vosk does not undo
    ``\\u`` escapes, so escaped Korean would silently match nothing)."""
    phrases = [p.strip().lower() for p in vocabulary if p.strip()]
    return json.dumps(list(dict.fromkeys(phrases)) + ([unknown] if unknown else []), ensure_ascii=False)


def _text_of(result_json: str, key: str = "text") -> tuple[str, float | None]:
    result = json.loads(result_json)
    words = result.get("result") or []
    conf = float(np.mean([w["conf"] for w in words])) if words else None
    text = [UNKNOWN if w in UNKNOWN_TOKENS else w for w in str(result.get(key, "")).split()]
    return " ".join(text), conf


class VoskStream:
    """One utterance decoded as it arrives; ``accept`` returns the partial text when it changed."""

    def __init__(self, recognizer: object, engine: str) -> None:
        self._rec = recognizer
        self._engine = engine
        self._segments: list[str] = []
        self._confs: list[float] = []
        self._partial = ""
        self.endpoints = 0
        """How many times Vosk's own end-pointing closed a segment inside this stream."""

    def accept(self, samples: np.ndarray) -> str | None:
        data = np.asarray(samples, dtype="<i2").tobytes()
        if self._rec.AcceptWaveform(data):  # type: ignore[attr-defined]
            self.endpoints += 1
            text, conf = _text_of(self._rec.Result())  # type: ignore[attr-defined]
            self._add(text, conf)
            partial = ""
        else:
            partial, _ = _text_of(self._rec.PartialResult(), "partial")  # type: ignore[attr-defined]
        shown = " ".join([*self._segments, partial]).strip()
        if shown != self._partial:
            self._partial = shown
            return shown
        return None

    def _add(self, text: str, conf: float | None) -> None:
        if text:
            self._segments.append(text)
            if conf is not None:
                self._confs.append(conf)

    def finish(self, utterance: np.ndarray | None = None) -> Transcript:
        """The final over what was fed (Vosk decodes as it goes; ``utterance`` is not needed)."""
        text, conf = _text_of(self._rec.FinalResult())  # type: ignore[attr-defined]
        self._add(text, conf)
        confidence = float(np.mean(self._confs)) if self._confs else None
        return Transcript(" ".join(self._segments), self._engine, confidence)


class VoskRecognizer:
    """A Vosk model loaded once; each utterance or stream gets its own KaldiRecognizer with the screen's
    grammar."""

    def __init__(self, model_dir: str | Path, name: str | None = None) -> None:
        model_dir = Path(model_dir)
        check_model_dir(model_dir)
        try:
            import vosk
        except ImportError as exc:
            raise VoskModelError(f"the vosk package is not installed ({exc}); pip install vosk") from None
        vosk.SetLogLevel(-1)
        self._vosk = vosk
        try:
            self.model = vosk.Model(str(model_dir))
        except Exception as exc:
            raise VoskModelError(
                f"Vosk could not load the model in {model_dir} ({exc}); the files are damaged or "
                "not a Vosk model: unpack the model archive again"
            ) from None
        label = model_dir.parent.name if model_dir.name == "model" else model_dir.name
        self.name = name or f"vosk:{label}"
        self.model_dir = model_dir
        self.unknown_token = next((t for t in UNKNOWN_TOKENS if self.knows(t)), None)
        self._checked: set[str] = set()
        log.info("Vosk model loaded from %s", model_dir)

    def knows(self, word: str) -> bool:
        """True when ``word`` is in the model's vocabulary (only such words can be in a grammar)."""
        return int(self.model.vosk_model_find_word(word)) >= 0

    def _warn_unknown(self, vocabulary: Sequence[str]) -> None:
        words = {w for phrase in vocabulary for w in phrase.strip().lower().split()} - self._checked
        self._checked |= words
        missing = sorted(w for w in words if not self.knows(w))
        if missing:
            log.warning("%s does not know the grammar words %s; they can never be heard", self.name, missing)

    def _kaldi(self, vocabulary: Sequence[str] | None) -> object:
        if vocabulary:
            self._warn_unknown(vocabulary)
            rec = self._vosk.KaldiRecognizer(
                self.model, SAMPLE_RATE, grammar_json(vocabulary, self.unknown_token)
            )
        else:
            rec = self._vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        rec.SetWords(True)
        return rec

    def open_stream(self, vocabulary: Sequence[str] | None = None) -> VoskStream:
        return VoskStream(self._kaldi(vocabulary), self.name)

    def recognize(self, samples: np.ndarray, vocabulary: Sequence[str] | None = None) -> Transcript:
        stream = self.open_stream(vocabulary)
        samples = np.asarray(samples, dtype=np.int16)
        for start in range(0, len(samples), CHUNK_SAMPLES):
            stream.accept(samples[start : start + CHUNK_SAMPLES])
        return stream.finish()

    def transcribe_stream(
        self,
        blocks: Iterable[np.ndarray],
        vocabulary: Sequence[str] | None = None,
        on_partial: Callable[[str], None] | None = None,
    ) -> Iterator[Transcript]:
        """Decode a live block stream with Vosk's own end-pointing: yield a final transcript at every end
        point (and one at the end of the stream if speech was pending); ``on_partial`` gets partial text as it
        changes."""
        rec = self._kaldi(vocabulary)
        last = ""
        for block in blocks:
            if rec.AcceptWaveform(np.asarray(block, dtype="<i2").tobytes()):  # type: ignore[attr-defined]
                text, conf = _text_of(rec.Result())  # type: ignore[attr-defined]
                last = ""
                if text:
                    yield Transcript(text, self.name, conf)
            elif on_partial is not None:
                partial, _ = _text_of(rec.PartialResult(), "partial")  # type: ignore[attr-defined]
                if partial != last:
                    last = partial
                    on_partial(partial)
        text, conf = _text_of(rec.FinalResult())  # type: ignore[attr-defined]
        if text:
            yield Transcript(text, self.name, conf)
