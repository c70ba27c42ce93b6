"""The recognizer contract every engine (Vosk, the project's LiteRT model, test fakes) fulfils."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from layanan.domain.words import COMMANDS, DIGITS

SAMPLE_RATE = 16000
"""Every engine takes 16 kHz mono signed 16-bit PCM."""

DIGIT_WORDS = DIGITS
"""Indonesian digit words (``kosong`` is the everyday zero in phone numbers); defined in the domain."""

COMMAND_WORDS = COMMANDS
"""Command words the flow understands on every screen."""


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance."""

    text: str
    """Words heard, lower case, space separated."""
    engine: str
    """Engine name, e.g. ``litert:digits-id`` or ``vosk:vosk-model-small-ko``."""
    confidence: float | None = None

    @property
    def digits(self) -> str:
        """The digits spoken digit by digit ("satu dua" -> "12"); empty when none were heard."""
        return "".join(DIGIT_WORDS[w] for w in self.text.split() if w in DIGIT_WORDS)


class Recognizer(Protocol):
    """Turns one utterance into words, optionally restricted to the phrases that make sense on a screen."""

    name: str

    def recognize(self, samples: np.ndarray, vocabulary: Sequence[str] | None = None) -> Transcript:
        """``samples``: int16 mono at 16 kHz. ``vocabulary``: allowed words/phrases, or None for all."""
        ...
