"""The tests' one fake :class:`~kiosk.speech.base.Recognizer`, for tests where the listener or the screens are
under test rather than an engine. tests/speech/test_recognizer_contract.py holds it to the real engines'
contract."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kiosk.speech.base import Transcript


class FakeRecognizer:
    """Names each utterance by its order (``utt1``, ``utt2``, ...) or, given ``words``, hears those every time
    (``""``: nothing at all); keeps every utterance and the vocabulary it came with. Like a real engine held to
    a vocabulary, it reports a word outside it as ``[unk]``. ``fail``: every call raises, as a broken engine."""

    def __init__(self, words: str | None = None, name: str = "fake:scripted", fail: bool = False) -> None:
        self.words, self.name, self.fail = words, name, fail
        self.utterances: list[np.ndarray] = []
        self.vocabularies: list[tuple[str, ...] | None] = []

    @property
    def calls(self) -> list[tuple[int, tuple[str, ...] | None]]:
        """(samples, vocabulary) of each utterance recognized."""
        return [(len(u), v) for u, v in zip(self.utterances, self.vocabularies, strict=True)]

    def recognize(self, samples: np.ndarray, vocabulary: Sequence[str] | None = None) -> Transcript:
        if self.fail:
            raise RuntimeError("engine exploded")
        self.utterances.append(samples)
        self.vocabularies.append(tuple(vocabulary) if vocabulary is not None else None)
        text = self.words if self.words is not None else f"utt{len(self.utterances)}"
        if vocabulary is not None:
            allowed = {word for phrase in vocabulary for word in phrase.split()}
            text = " ".join(word if word in allowed else "[unk]" for word in text.split())
        return Transcript(text, self.name)
