"""Accuracy and speed of the LiteRT speech model on held-out speakers: what ``kiosk bench speech`` reports.

``evaluate(model_path, data_dir)`` reads ``manifest.jsonl`` written by models/training/prepare.py, takes
the validation speakers' connected-digit utterances, and measures the digit error rate (substitutions +
deletions + insertions over reference digits) and whole-utterance accuracy: clean, at 10 dB SNR with
four-talker babble, and at 10 dB SNR with fan/traffic-like noise; also the real-time factor on one thread,
model size and peak memory.
Pure numpy and LiteRT: no TensorFlow, so it runs on the kiosk.

Babble talkers are other validation speakers (never the target, never heard in training). SNR is the active
speech level (loudest half of 25 ms frames) over the noise level.
"""

from __future__ import annotations

import json
import resource
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.speech.base import DIGIT_WORDS
from kiosk.speech.litert import LiteRTRecognizer
from tools.speech import augment


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance (S + D + I) between two strings (digits) or two lists of words."""
    return sum(error_counts(ref, hyp))


def error_counts(ref: Sequence[str], hyp: Sequence[str]) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) of a cheapest alignment of ``hyp`` to ``ref`` (strings of digits
    or lists of words); they add up to :func:`edit_distance`. Ties prefer substitutions, then deletions."""
    # cost[i][j]: (total, subs, dels, ins) aligning ref[:i] with hyp[:j]
    row = [(j, 0, 0, j) for j in range(len(hyp) + 1)]
    for i, cr in enumerate(ref, 1):
        new = [(i, 0, i, 0)]
        for j, ch in enumerate(hyp, 1):
            t, su, de, ins = row[j - 1]
            diag = (t + (cr != ch), su + (cr != ch), de, ins)
            t, su, de, ins = row[j]
            up = (t + 1, su, de + 1, ins)
            t, su, de, ins = new[j - 1]
            left = (t + 1, su, de, ins + 1)
            new.append(min(diag, up, left, key=lambda c: c[0]))
        row = new
    _, subs, dels, ins = row[len(hyp)]
    return subs, dels, ins


def digits_of(words: list[str]) -> str:
    return "".join(DIGIT_WORDS[w] for w in words if w in DIGIT_WORDS)


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).copy()


def load_validation(
    data_dir: Path, corpus: str = "digit_cdsr", split: str = "valid"
) -> list[tuple[np.ndarray, list[str], str]]:
    """(int16 samples, reference words, speaker) of one split ("valid", "train" or "any") of ``corpus``."""
    manifest = data_dir / "manifest.jsonl"
    if not manifest.is_file():
        raise FileNotFoundError(
            f"{manifest}: no prepared data; run models/training/prepare.py --out {data_dir}"
        )
    out = []
    for line in manifest.read_text().splitlines():
        u = json.loads(line)
        if split in (u["split"], "any") and u["corpus"] == corpus:
            out.append((_read(data_dir / u["path"]), u["words"], u["speaker"]))
    return out


def words_per_second(items: list[tuple[np.ndarray, list[str], str]]) -> dict[str, float]:
    """Each speaker's median speaking rate: reference words over the seconds between the first and last loud
    frame (``augment.speech_span``). Fast talkers are where a model trained on few speakers fails first."""
    rates: dict[str, list[float]] = {}
    for audio, words, speaker in items:
        start, end = augment.speech_span(audio.astype(np.float32) / 32768.0)
        if words and end > start:
            rates.setdefault(speaker, []).append(len(words) * augment.SR / (end - start))
    return {s: round(float(np.median(r)), 2) for s, r in sorted(rates.items())}


def _condition(
    items: list[tuple[np.ndarray, list[str], str]],
    kind: str,
    snr_db: float,
    seed: int,
    talkers: list[tuple[np.ndarray, list[str], str]] | None = None,
) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for audio, _, spk in items:
        x = audio.astype(np.float32) / 32768.0
        if kind.startswith("babble"):
            others = [a for a, _, s in (talkers or items) if s != spk]
            picks = [others[int(rng.integers(len(others)))].astype(np.float32) / 32768.0 for _ in range(4)]
            x = augment.mix_at_snr(x, augment.babble(picks, len(x), rng), snr_db)
        elif kind == "fan_traffic":
            noise = (
                augment.fan_noise(len(x), rng) if rng.random() < 0.5 else augment.traffic_noise(len(x), rng)
            )
            x = augment.mix_at_snr(x, noise, snr_db)
        if kind != "clean":
            x = x * (0.5 / (np.max(np.abs(x)) + 1e-9))  # an AGC-like level, no clipping
        out.append(augment.to_int16(x))
    return out


def score(
    rec: LiteRTRecognizer, items: list[tuple[np.ndarray, list[str], str]], audio: list[np.ndarray]
) -> dict[str, Any]:
    errors = ref_digits = correct = 0
    kinds = [0, 0, 0]
    by_speaker: dict[str, list[int]] = {}
    infer_s = cpu_s = audio_s = 0.0
    for (_, words, speaker), x in zip(items, audio, strict=True):
        t, c = time.perf_counter(), time.thread_time()
        hyp = rec.recognize(x).digits
        infer_s += time.perf_counter() - t
        cpu_s += time.thread_time() - c
        audio_s += len(x) / 16000.0
        ref = digits_of(words)
        counts = error_counts(ref, hyp)
        kinds = [a + b for a, b in zip(kinds, counts, strict=True)]
        errors += sum(counts)
        ref_digits += len(ref)
        correct += hyp == ref
        tally = by_speaker.setdefault(speaker, [0, 0])
        tally[0] += sum(counts)
        tally[1] += len(ref)
    return {
        "der": errors / max(1, ref_digits),
        "substitutions": kinds[0],
        "deletions": kinds[1],
        "insertions": kinds[2],
        "der_by_speaker": {k: round(e / max(1, n), 4) for k, (e, n) in sorted(by_speaker.items())},
        "utterance_accuracy": correct / max(1, len(items)),
        "digits": ref_digits,
        "utterances": len(items),
        "rtf": infer_s / max(audio_s, 1e-9),
        "rtf_cpu": cpu_s / max(audio_s, 1e-9),
    }


def evaluate(
    model_path: str | Path,
    data_dir: str | Path,
    snr_db: float = 10.0,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """All figures for the speech benchmark as a JSON-able dict (see the module docstring)."""
    model_path, data_dir = Path(model_path), Path(data_dir)
    rec = LiteRTRecognizer(model_path, num_threads=1)
    items = load_validation(data_dir)
    if limit:
        items = items[:: max(1, len(items) // limit)][:limit]
    result: dict[str, Any] = {
        "model": rec.manifest.name,
        "model_version": rec.manifest.version,
        "model_bytes": model_path.stat().st_size,
        "speakers": sorted({s for _, _, s in items}),
        "snr_db": snr_db,
        "words_per_second_by_speaker": words_per_second(items),
        "conditions": {},
    }
    # Babble of everyday dialog sentences (INDspeech_TELDIALOG, non-reserved speakers) when it was prepared;
    # its talkers were heard in training, unlike the digit babble made of other validation speakers.
    dialog = load_validation(data_dir, corpus="teldialog_svcsr", split="any")[::4]
    kinds = ("clean", "babble", "fan_traffic") + (("babble_dialog",) if dialog else ())
    for kind in kinds:
        if progress:
            progress(f"scoring {kind} ({len(items)} utterances)")
        audio = _condition(items, kind, snr_db, seed=5, talkers=dialog if kind == "babble_dialog" else None)
        result["conditions"][kind] = score(rec, items, audio)
    clean = result["conditions"]["clean"]
    result["der_clean"] = clean["der"]
    result["utterance_accuracy_clean"] = clean["utterance_accuracy"]
    result["der_babble_10db"] = result["conditions"]["babble"]["der"]
    result["der_fan_traffic_10db"] = result["conditions"]["fan_traffic"]["der"]
    if dialog:
        result["der_babble_dialog_10db"] = result["conditions"]["babble_dialog"]["der"]
    result["rtf_one_thread"] = clean["rtf"]
    # CPU time of the decoding thread: the cost when other work shares the cores.
    result["rtf_cpu_one_thread"] = clean["rtf_cpu"]
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return result


def der_by_snr(
    model_path: str | Path,
    data_dir: str | Path,
    snrs: tuple[float, ...] = (0, 5, 10, 15, 20),
    limit: int | None = 200,
) -> dict[str, dict[float, float]]:
    """DER per noise kind and SNR (for the model card's plot)."""
    rec = LiteRTRecognizer(model_path, num_threads=1)
    items = load_validation(Path(data_dir))
    if limit:
        items = items[:: max(1, len(items) // limit)][:limit]
    return {
        kind: {snr: score(rec, items, _condition(items, kind, snr, seed=9))["der"] for snr in snrs}
        for kind in ("babble", "fan_traffic")
    }


def command_words(
    model_path: str | Path, data_dir: str | Path, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Word error rate on the held-out synthesized utterances of prepare.py (``corpus`` synth, ``split``
    valid: espeak-ng voices never used in training saying command words, digits and short mixes), each
    decoded alone as the kiosk decodes it (room-tone padding, level gate, blank penalty; the whole
    vocabulary, as on a screen that takes every word). Synthesized voices, so a check that the command words
    are learnt, not evidence of accuracy on citizens; the corpora hold no unreserved held-out speaker saying
    them. ``wrong`` lists the misheard utterances (synthesized text, no corpus text)."""
    rec = LiteRTRecognizer(Path(model_path), num_threads=1)
    items = load_validation(Path(data_dir), corpus="synth")
    if not items:
        raise FileNotFoundError(
            f"{data_dir}: no held-out synthesized utterances (corpus synth, split valid) in manifest.jsonl; "
            "run models/training/prepare.py with espeak-ng installed"
        )
    if progress:
        progress(f"scoring command words ({len(items)} synthesized utterances)")
    kinds = [0, 0, 0]
    words = correct = 0
    wrong: list[dict[str, str]] = []
    for audio, ref, _ in items:
        hyp = rec.recognize(audio).text.split()
        counts = error_counts(ref, hyp)
        kinds = [a + b for a, b in zip(kinds, counts, strict=True)]
        words += len(ref)
        correct += hyp == ref
        if hyp != ref:
            wrong.append({"ref": " ".join(ref), "hyp": " ".join(hyp)})
    return {
        "wer": sum(kinds) / max(1, words),
        "substitutions": kinds[0],
        "deletions": kinds[1],
        "insertions": kinds[2],
        "words": words,
        "utterances": len(items),
        "utterance_accuracy": correct / len(items),
        "voices": sorted({s for _, _, s in items}),
        "wrong": wrong,
    }
