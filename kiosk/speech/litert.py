"""The project's Indonesian speech model on LiteRT: log-mel in numpy, a small CTC network, greedy decoding.

``LiteRTRecognizer(model_path, manifest)`` fulfils the Recognizer protocol of kiosk/speech/base.py. Each
screen may pass a vocabulary: tokens outside it are masked before decoding, so on a yes/no screen only
``ya``/``tidak`` can come out. The interpreter comes from ``ai_edge_litert`` (the maintained successor of
tflite-runtime) or, failing that, from ``tflite_runtime``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.speech.audio import check_pcm
from kiosk.speech.base import SAMPLE_RATE, Transcript
from kiosk.speech.features import FeatureParams, features

log = logging.getLogger(__name__)

SILENCE_PEAK = 300
"""Utterances whose loudest sample stays below this (about -40 dBFS) are silence: empty text, no inference."""
MIN_SAMPLES = SAMPLE_RATE // 10
"""Shorter than 100 ms cannot hold a word."""
CLIP_FRACTION = 0.01
"""More than this share of samples at full scale: the microphone is overdriven (logged, still decoded)."""


class ModelError(RuntimeError):
    """The speech model cannot be used: missing, corrupt, mismatched, or no LiteRT runtime installed."""


@dataclass(frozen=True)
class ModelManifest:
    """What models/manifest.json says about a model file."""

    name: str
    tokens: tuple[str, ...]
    version: str = "0"
    file: str = ""
    sha256: str = ""
    sample_rate: int = SAMPLE_RATE
    features: FeatureParams = field(default_factory=FeatureParams)
    blank: int = 0
    other_token: str = "<other>"
    frame_stride: int = 4
    blank_penalty: float = 0.0
    """Subtracted from the blank's log probability before decoding (tuned on training speakers)."""
    min_token_prob: float = 0.0
    """A word whose best frame posterior stays below this is dropped: the talkers behind the citizen surface
    as weak, brief posteriors that the blank penalty would otherwise let through (chosen on held-out
    speakers, ``evaluate.py --tune-decoder``)."""
    level_gate_db: float = 0.0
    """When set, a word is dropped unless the sound around it (the loudest 40 ms frame within
    ``LEVEL_GATE_SPREAD`` frames of where it was heard) comes within this many dB of the utterance's speech
    level (its 95th-percentile frame): the citizen at the kiosk is the loudest talker, and the model, which
    normalises each utterance, cannot tell a quieter talker behind from the citizen (0: off; chosen on
    training speakers through the live path, ``evaluate.py --tune-gate``)."""
    pad_lead_s: float = 0.0
    pad_tail_s: float = 0.0
    """Seconds of the utterance's own room tone put before and after it (:meth:`LiteRTRecognizer.padded`): the
    model learnt words with about a second of silence around them (the corpus recordings have it) and drops the
    first or last digit of an end-pointed utterance that has less (chosen on training speakers)."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelManifest:
        try:
            return cls(
                name=str(data["name"]),
                tokens=tuple(data["tokens"]),
                version=str(data.get("version", "0")),
                file=str(data.get("file", "")),
                sha256=str(data.get("sha256", "")),
                sample_rate=int(data.get("sample_rate", SAMPLE_RATE)),
                features=FeatureParams.from_dict(data.get("features", {})),
                blank=int(data.get("blank", 0)),
                other_token=str(data.get("other_token", "<other>")),
                frame_stride=int(data.get("frame_stride", 4)),
                blank_penalty=float(data.get("blank_penalty", 0.0)),
                min_token_prob=float(data.get("min_token_prob", 0.0)),
                level_gate_db=float(data.get("level_gate_db", 0.0)),
                pad_lead_s=float(data.get("pad_lead_s", 0.0)),
                pad_tail_s=float(data.get("pad_tail_s", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(
                f"model manifest is incomplete or malformed ({exc!r}): it needs at least 'name' and 'tokens'"
            ) from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tokens": list(self.tokens),
            "version": self.version,
            "file": self.file,
            "sha256": self.sha256,
            "sample_rate": self.sample_rate,
            "features": self.features.to_dict(),
            "blank": self.blank,
            "other_token": self.other_token,
            "frame_stride": self.frame_stride,
            "blank_penalty": self.blank_penalty,
            "min_token_prob": self.min_token_prob,
            "level_gate_db": self.level_gate_db,
            "pad_lead_s": self.pad_lead_s,
            "pad_tail_s": self.pad_tail_s,
        }

    @classmethod
    def load(cls, path: str | Path) -> ModelManifest:
        p = Path(path)
        try:
            return cls.from_dict(json.loads(p.read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise ModelError(
                f"{p}: model manifest not found; install the language pack's models/ folder "
                "(the .tflite and its manifest.json)"
            ) from exc
        except json.JSONDecodeError as exc:
            raise ModelError(
                f"{p}: model manifest is not valid JSON ({exc}); reinstall the language pack"
            ) from exc


def interpreter_class() -> Any:
    """The LiteRT Interpreter class: ai_edge_litert first, tflite_runtime as the fallback."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter
    except ImportError as exc:
        raise ModelError(
            "no LiteRT runtime: install the 'ai-edge-litert' package "
            "(pip install ai-edge-litert), or 'tflite-runtime' on older systems"
        ) from exc


def holds_no_word(samples: np.ndarray) -> bool:
    """Too short or too quiet to hold a word: decoded as empty text without running the model."""
    return len(samples) < MIN_SAMPLES or int(np.max(np.abs(samples.astype(np.int32)))) < SILENCE_PEAK


def ctc_greedy(log_probs: np.ndarray, blank: int = 0) -> list[tuple[int, float, int, int]]:
    """Best path, repeats merged, blanks dropped: (token, its best frame probability, first and last frame)
    per emitted token."""
    best = log_probs.argmax(axis=-1)
    out: list[tuple[int, float, int, int]] = []
    prev = blank
    for t, k in enumerate(best):
        k = int(k)
        if k != blank:
            p = float(np.exp(log_probs[t, k]))
            if k != prev:
                out.append((k, p, t, t))
            elif out:
                out[-1] = (k, max(out[-1][1], p), out[-1][2], t)
        prev = k
    return out


LEVEL_GATE_SPREAD = 3
"""Output frames (40 ms each) either side of a word's frames searched for its loudest sound: CTC fires a
word's token near, not always on, its loudest part."""


def frame_levels(samples: np.ndarray, hop: int, frames: int) -> np.ndarray:
    """Level in dB of each of ``frames`` consecutive ``hop``-sample frames (the model's output frames)."""
    x = np.asarray(samples, dtype=np.float64)
    x = np.pad(x, (0, max(0, frames * hop - len(x))))[: frames * hop]
    return np.asarray(10 * np.log10(np.mean(x.reshape(frames, hop) ** 2, axis=1) + 1.0))


def level_gate(levels: np.ndarray, gate_db: float, spread: int = LEVEL_GATE_SPREAD) -> np.ndarray:
    """Per frame: does the loudest frame within ``spread`` come within ``gate_db`` of the speech level (the
    95th percentile of ``levels``)?"""
    padded = np.pad(levels, spread, mode="edge")
    local = np.lib.stride_tricks.sliding_window_view(padded, 2 * spread + 1).max(axis=-1)
    return np.asarray(local >= np.percentile(levels, 95) - gate_db)


class LiteRTRecognizer:
    """Recognizes Indonesian digits and command words with the project's CTC model."""

    def __init__(
        self,
        model_path: str | Path,
        manifest: ModelManifest | dict[str, Any] | str | Path | None = None,
        num_threads: int = 1,
        verify_sha256: bool = True,
    ) -> None:
        path = Path(model_path)
        if manifest is None:
            manifest = path.with_name("manifest.json")
        if isinstance(manifest, (str, Path)):
            manifest = ModelManifest.load(manifest)
        elif isinstance(manifest, dict):
            manifest = ModelManifest.from_dict(manifest)
        self.manifest: ModelManifest = manifest
        self.name = f"litert:{manifest.name}"
        if manifest.sample_rate != SAMPLE_RATE:
            raise ModelError(
                f"model {manifest.name} wants {manifest.sample_rate} Hz; the kiosk records {SAMPLE_RATE} Hz"
            )
        if not path.is_file():
            raise ModelError(
                f"{path}: speech model file not found; install the language pack's model "
                "(models/digits-id.tflite) or set the language pack path"
            )
        data = path.read_bytes()
        if verify_sha256 and manifest.sha256 and hashlib.sha256(data).hexdigest() != manifest.sha256:
            raise ModelError(
                f"{path}: sha256 does not match the manifest: the file is corrupt or from another "
                "version; reinstall the language pack's model"
            )
        cls = interpreter_class()
        try:
            self._interp = cls(model_content=data, num_threads=num_threads)
            self._in = self._interp.get_input_details()[0]
            self._out = self._interp.get_output_details()[0]
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"{path}: not a valid LiteRT model ({exc}); reinstall the language pack's model"
            ) from exc
        n_classes = int(self._out["shape"][-1])
        if n_classes != len(manifest.tokens):
            raise ModelError(
                f"{path}: model has {n_classes} outputs but the manifest lists "
                f"{len(manifest.tokens)} tokens; model and manifest do not belong together"
            )
        self._frames = -1
        self._index = {t: i for i, t in enumerate(manifest.tokens)}

    def allowed_mask(self, vocabulary: Sequence[str] | None) -> np.ndarray:
        """Boolean mask over tokens: blank, ``<other>`` and every word of the vocabulary's phrases."""
        mask = np.zeros(len(self.manifest.tokens), dtype=bool)
        if vocabulary is None:
            mask[:] = True
            return mask
        mask[self.manifest.blank] = True
        if self.manifest.other_token in self._index:
            mask[self._index[self.manifest.other_token]] = True
        unknown = []
        for phrase in vocabulary:
            for word in phrase.lower().split():
                if word in self._index:
                    mask[self._index[word]] = True
                else:
                    unknown.append(word)
        if unknown:
            log.warning(
                "vocabulary words the model %s cannot hear: %s", self.manifest.name, sorted(set(unknown))
            )
        return mask

    def log_probs(self, samples: np.ndarray) -> np.ndarray:
        """Per-frame log posteriors (frames, tokens) for 16 kHz mono int16 samples."""
        feats = features(check_pcm(samples), self.manifest.features)[None]
        stride = self.manifest.frame_stride
        if feats.shape[1] % stride:
            feats = np.pad(feats, ((0, 0), (0, stride - feats.shape[1] % stride), (0, 0)))
        if feats.shape[1] != self._frames:
            self._interp.resize_tensor_input(self._in["index"], list(feats.shape))
            self._interp.allocate_tensors()
            self._frames = feats.shape[1]
        self._interp.set_tensor(self._in["index"], feats.astype(np.float32))
        self._interp.invoke()
        return np.array(self._interp.get_tensor(self._out["index"])[0], dtype=np.float32)

    def padded(self, samples: np.ndarray) -> np.ndarray:
        """``samples`` between the manifest's lead-in and tail of room tone: the utterance's own quietest
        200 ms, mirrored and repeated, so the padding sounds like the room it was recorded in (a synthetic
        tone of another colour makes the model hear words in it). The same every call."""
        m = self.manifest
        lead, tail = int(m.pad_lead_s * m.sample_rate), int(m.pad_tail_s * m.sample_rate)
        window = m.sample_rate // 5
        n = len(samples) // window
        if not (lead or tail) or n == 0:
            return samples
        energy = np.mean(samples[: n * window].astype(np.float64).reshape(n, window) ** 2, axis=1)
        quiet = samples[int(np.argmin(energy)) * window :][:window]
        tone = np.resize(np.concatenate([quiet, quiet[::-1]]), lead + tail)
        return np.concatenate([tone[:lead], samples, tone[lead:]])

    def open_stream(self, vocabulary: Sequence[str] | None = None) -> LiteRTStream:
        """Partials while the citizen speaks (see :class:`LiteRTStream`)."""
        return LiteRTStream(self, vocabulary)

    def recognize(self, samples: np.ndarray, vocabulary: Sequence[str] | None = None) -> Transcript:
        check_pcm(samples)
        if holds_no_word(samples):
            return Transcript(text="", engine=self.name, confidence=None)
        clipped = float(np.mean(np.abs(samples.astype(np.int32)) >= 32767))
        if clipped > CLIP_FRACTION:
            log.warning(
                "clipped audio: %.1f%% of samples at full scale; the microphone gain is too high",
                100 * clipped,
            )
        return self.decode(*self.analyse(samples), vocabulary=vocabulary)

    def analyse(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`log_probs` of the :meth:`padded` utterance and the level of each output frame, what
        :meth:`decode` needs (a sweep decodes them under many settings)."""
        padded = self.padded(samples)
        lp = self.log_probs(padded)
        hop = self.manifest.features.hop_length * self.manifest.frame_stride
        return lp, frame_levels(padded, hop, len(lp))

    def decode(
        self,
        log_probs: np.ndarray,
        levels: np.ndarray | None = None,
        vocabulary: Sequence[str] | None = None,
        manifest: ModelManifest | None = None,
        until_frame: int | None = None,
    ) -> Transcript:
        """The transcript of :meth:`log_probs` output under the manifest's decoder settings (``manifest``
        replaces them, so a sweep can try settings without running the model again). ``levels`` (dB per
        output frame, :func:`frame_levels`) lets the level gate work; without them it is off. With
        ``until_frame``, words still going on at that output frame are left out (partials: the last word may
        be cut in the middle)."""
        m = manifest or self.manifest
        lp = log_probs.copy()
        if m.blank_penalty:
            lp[:, m.blank] -= m.blank_penalty
        mask = self.allowed_mask(vocabulary)
        if not mask.all():
            lp = np.where(mask[None, :], lp, -np.inf)
        loud = (
            level_gate(levels, m.level_gate_db)
            if m.level_gate_db and levels is not None and len(levels)
            else None
        )
        emitted = [
            (m.tokens[k], p)
            for k, p, t0, t1 in ctc_greedy(lp, m.blank)
            if p >= m.min_token_prob
            and (loud is None or loud[t0 : t1 + 1].any())
            and (until_frame is None or t1 < until_frame)
        ]
        words = [(w, p) for w, p in emitted if w != m.other_token]
        conf = float(np.mean([p for _, p in words])) if words else None
        return Transcript(text=" ".join(w for w, _ in words), engine=self.name, confidence=conf)


PARTIAL_EVERY_S = 0.5
"""How often a stream decodes the audio so far again, for the words on screen while the citizen speaks."""
PARTIAL_SETTLE_S = 0.3
"""A partial leaves out a word heard in the last this-many seconds: it may be cut in the middle ("ti-" of "tiga"
read as "tidak"). It shows on the next partial, or in the final result."""


class LiteRTStream:
    """One utterance as it arrives. The model is not a streaming one, so every :data:`PARTIAL_EVERY_S` of new
    audio the utterance so far is decoded again, for the partial text on screen; :meth:`finish` decodes the
    end-pointed utterance exactly as :meth:`LiteRTRecognizer.recognize` would (what it was fed, without one).
    Partials cost about four times the final decode while the citizen speaks (``kiosk bench speech``:
    ``rtf_while_speaking``)."""

    def __init__(self, recognizer: LiteRTRecognizer, vocabulary: Sequence[str] | None) -> None:
        self._rec, self._vocabulary = recognizer, vocabulary
        self._parts: list[np.ndarray] = []
        self._since = 0
        self._partial = ""

    def audio(self) -> np.ndarray:
        return np.concatenate(self._parts) if self._parts else np.zeros(0, dtype=np.int16)

    def accept(self, samples: np.ndarray) -> str | None:
        self._parts.append(np.asarray(samples, dtype=np.int16))
        self._since += len(samples)
        if self._since < PARTIAL_EVERY_S * SAMPLE_RATE:
            return None
        self._since = 0
        text = self._settled_words(self.audio())
        if text == self._partial:
            return None
        self._partial = text
        return text

    def _settled_words(self, audio: np.ndarray) -> str:
        if holds_no_word(audio):
            return ""
        m = self._rec.manifest
        hop = m.features.hop_length * m.frame_stride
        end = int((m.pad_lead_s + len(audio) / m.sample_rate - PARTIAL_SETTLE_S) * m.sample_rate) // hop
        log_probs, levels = self._rec.analyse(audio)
        return self._rec.decode(log_probs, levels, self._vocabulary, until_frame=end).text

    def finish(self, utterance: np.ndarray | None = None) -> Transcript:
        return self._rec.recognize(self.audio() if utterance is None else utterance, self._vocabulary)
