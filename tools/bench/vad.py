"""End-pointing measured on real recordings: does the VAD find each spoken number as one utterance, whole?

Reads the validation split of prepared connected-digit data (``manifest.jsonl`` written by
models/training/prepare.py: lines with ``path``, ``corpus``, ``speaker``, ``split``, ``words``). Speakers
reserved for acceptance (second letter of the id from M to Z) are skipped here too, whatever the manifest
says. Each recording is placed between 1 s of room tone before and 1.5 s after, clean (room tone at -70 dBFS),
with fan-like noise, or with four-talker babble of other validation recordings at a given SNR over the whole
signal, and run through :class:`~kiosk.speech.vad.Endpointer` with the kiosk's defaults.

Reported per condition: the share of recordings found as exactly one utterance, missed, split in several; the
share whose utterance covers all the speech (first to last frame within 35 dB of the loudest); the share of
the speech energy inside utterances (median and 5th percentile); the delay from the end of speech to the
end-of-utterance decision (hangover plus frame rounding); and utterances the noise alone opens per
minute."""

from __future__ import annotations

import json
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.speech.audio import ArraySource
from kiosk.speech.base import SAMPLE_RATE, Recognizer
from kiosk.speech.engines import digits_in
from kiosk.speech.listener import hear
from kiosk.speech.vad import Endpointer, Level, Utterance, VadConfig
from tools.speech import augment
from tools.speech.eval import edit_distance

FRAME = 320
LEAD_S, TRAIL_S = 1.0, 1.5


def load_labelled(
    data_dir: Path, limit: int, corpus: str = "digit_cdsr"
) -> list[tuple[np.ndarray, list[str]]]:
    """(float samples, reference words) of the validation recordings, evenly spread, at most ``limit``."""
    manifest = data_dir / "manifest.jsonl"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} not found; run models/training/prepare.py --out {data_dir}")
    entries = []
    for line in manifest.read_text().splitlines():
        u = json.loads(line)
        speaker = str(u.get("speaker", ""))
        reserved = len(speaker) >= 2 and "M" <= speaker[1].upper() <= "Z"
        if u.get("split") == "valid" and u.get("corpus") == corpus and not reserved:
            entries.append((data_dir / u["path"], [str(w) for w in u.get("words", [])]))
    entries = entries[:: max(1, len(entries) // limit)][:limit] if limit else entries
    out = []
    for path, words in entries:
        with wave.open(str(path)) as wf:
            if wf.getframerate() != SAMPLE_RATE or wf.getnchannels() != 1 or wf.getsampwidth() != 2:
                continue
            out.append((np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").astype(np.float64), words))
    return out


def load_recordings(data_dir: Path, limit: int, corpus: str = "digit_cdsr") -> list[np.ndarray]:
    return [audio for audio, _ in load_labelled(data_dir, limit, corpus)]


def fan_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Low-frequency-heavy noise with a blade hum: a stand-in for a ceiling fan."""
    white = rng.standard_normal(n + 64)
    brown = np.convolve(white, np.ones(16) / 16, mode="same")[:n]
    t = np.arange(n) / SAMPLE_RATE
    hum = 0.3 * np.sin(2 * np.pi * 50 * t) + 0.15 * np.sin(2 * np.pi * 100 * t)
    return brown / (np.std(brown) + 1e-9) + hum


def _frame_db(x: np.ndarray) -> np.ndarray:
    # float64 first: int16 samples squared in their own type would overflow.
    frames = np.asarray(x[: len(x) // FRAME * FRAME], dtype=np.float64).reshape(-1, FRAME)
    return np.asarray(10 * np.log10(np.mean(frames**2, axis=1) + 1e-9))


def active_level(x: np.ndarray) -> float:
    """RMS of the loudest half of the frames (the active speech level)."""
    db = np.sort(_frame_db(x))
    db = db[len(db) // 2 :]
    return float(np.sqrt(np.mean(10 ** (db / 10))))


def speech_span(x: np.ndarray) -> tuple[int, int]:
    """First and last sample of frames within 35 dB of the loudest frame."""
    return augment.speech_span(x, FRAME, 35.0)


def babble(recordings: list[np.ndarray], skip: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Four other validation talkers at once, looped to ``n`` samples, each at the same active level."""
    others = [i for i in range(len(recordings)) if i != skip]
    out = np.zeros(n)
    for i in rng.choice(others, size=min(4, len(others)), replace=False):
        talker = recordings[int(i)] / (active_level(recordings[int(i)]) + 1e-9)
        reps = int(np.ceil(n / len(talker))) + 1
        start = int(rng.integers(len(talker)))
        out += np.tile(talker, reps)[start : start + n]
    return out


def _noise(kind: str, recordings: list[np.ndarray], i: int, n: int, rng: np.random.Generator) -> np.ndarray:
    return fan_noise(n, rng) if kind == "fan" else babble(recordings, i, n, rng)


PRESS_BEFORE_S = (0.1, 0.6)
"""Hold to talk: the button goes down this long before the first word (uniform) ..."""
RELEASE_AFTER_S = (-0.1, 0.4)
"""... and comes up this long after the last one (negative: before the last word has quite ended)."""


def placed_length(rec: np.ndarray) -> int:
    return int(LEAD_S * SAMPLE_RATE) + len(rec) + int(TRAIL_S * SAMPLE_RATE)


def placed(
    rec: np.ndarray, noise: np.ndarray | None, snr_db: float | None, rng: np.random.Generator
) -> np.ndarray:
    """``rec`` between ``LEAD_S`` before and ``TRAIL_S`` after, int16: with ``noise`` (``placed_length``
    samples) scaled to ``snr_db`` below its active level, or room tone at -70 dBFS (drawn from ``rng``)."""
    lead, trail = int(LEAD_S * SAMPLE_RATE), int(TRAIL_S * SAMPLE_RATE)
    signal = np.concatenate([np.zeros(lead), rec, np.zeros(trail)])
    if noise is None or snr_db is None:
        noise = rng.standard_normal(len(signal)) * 32768 * 10 ** (-70 / 20)
    else:
        noise = noise * (active_level(rec) / (np.sqrt(np.mean(noise**2)) * 10 ** (snr_db / 20)))
    return np.clip(signal + noise, -32768, 32767).astype(np.int16)


def hold_times(rec: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """When the talk button goes down and comes up, in seconds into ``placed(rec, ...)``: reaction times drawn
    from ``PRESS_BEFORE_S`` and ``RELEASE_AFTER_S`` around the speech."""
    lead = int(LEAD_S * SAMPLE_RATE)
    s0, s1 = speech_span(rec)
    press = max(0.0, (lead + s0) / SAMPLE_RATE - rng.uniform(*PRESS_BEFORE_S))
    return press, (lead + s1) / SAMPLE_RATE + rng.uniform(*RELEASE_AFTER_S)


def score(
    recordings: list[np.ndarray],
    snr_db: float | None,
    kind: str = "fan",
    config: VadConfig | None = None,
    seed: int = 11,
) -> dict[str, Any]:
    """Run the end-pointer over each recording between room tone (or noise at ``snr_db``)."""
    rng = np.random.default_rng(seed)
    one = missed = split = covered = 0
    delays, captured = [], []
    for i, rec in enumerate(recordings):
        lead, trail = int(LEAD_S * SAMPLE_RATE), int(TRAIL_S * SAMPLE_RATE)
        noise = None if snr_db is None else _noise(kind, recordings, i, placed_length(rec), rng)
        x = placed(rec, noise, snr_db, rng)
        ep = Endpointer(config or VadConfig())
        utts = [e for e in ep.process(x) + ep.flush() if isinstance(e, Utterance)]
        clean = np.concatenate([np.zeros(lead), rec, np.zeros(trail)]) ** 2
        inside = np.zeros(len(x), dtype=bool)
        for u in utts:
            inside[u.start_sample : u.start_sample + len(u.samples)] = True
        captured.append(float(clean[inside].sum() / (clean.sum() + 1e-9)))
        if not utts:
            missed += 1
            continue
        if len(utts) > 1:
            split += 1
        else:
            one += 1
        s0, s1 = speech_span(rec)
        s0, s1 = s0 + lead, s1 + lead
        first, last = utts[0], utts[-1]
        if first.start_sample <= s0 + FRAME and last.start_sample + len(last.samples) >= s1 - FRAME:
            covered += 1
        if last.detected_sample < len(x):
            delays.append((last.detected_sample - s1) / SAMPLE_RATE)
    n = max(1, len(recordings))
    return {
        "recordings": len(recordings),
        "one_utterance": round(one / n, 4),
        "missed": round(missed / n, 4),
        "split": round(split / n, 4),
        "covers_all_speech": round(covered / n, 4),
        "speech_energy_captured_median": round(float(np.median(captured)), 4),
        "speech_energy_captured_p5": round(float(np.percentile(captured, 5)), 4),
        "end_decision_delay_s_median": round(float(np.median(delays)), 3) if delays else None,
    }


def _typical_level(recordings: list[np.ndarray]) -> float:
    """The median active speech level of the recordings: a typical talker."""
    return float(np.median([active_level(r) for r in recordings]))


def _noise_alone(
    kind: str, recordings: list[np.ndarray], n: int, snr_db: float, rng: np.random.Generator, level: float
) -> np.ndarray:
    """``n`` samples of fan noise or babble alone, int16, ``snr_db`` under a talker at ``level``."""
    noise = _noise(kind, recordings, -1, n, rng)
    noise *= level / (np.sqrt(np.mean(noise**2)) * 10 ** (snr_db / 20))
    return np.clip(noise, -32768, 32767).astype(np.int16)


def false_triggers_per_minute(
    recordings: list[np.ndarray],
    kind: str,
    snr_db: float,
    minutes: float = 2.0,
    config: VadConfig | None = None,
) -> float:
    """Utterances found in noise alone (no citizen), at the level it would have ``snr_db`` under a typical
    talker."""
    rng = np.random.default_rng(23)
    x = _noise_alone(
        kind, recordings, int(minutes * 60 * SAMPLE_RATE), snr_db, rng, _typical_level(recordings)
    )
    ep = Endpointer(config or VadConfig())
    found = [e for e in ep.process(x) + ep.flush() if isinstance(e, Utterance)]
    return round(len(found) / minutes, 2)


def busy_room(recordings: list[np.ndarray], minutes: float = 2.0) -> dict[str, Any]:
    """What the busy-room meter (:mod:`kiosk.speech.room`) sees: the lowest and highest share of end-pointer
    speech frames over any 20 s window (every 5 s) of four-talker babble and fan noise alone, at 5-30 dB under a
    typical talker, of a quiet room, and of one citizen alone (these recordings, 1-4 s apart, in room tone). The
    room is busy from ``BUSY_SHARE``: babble within 20 dB must reach it, fan noise must stay under it. A citizen
    alone is for reference: the meter does not listen while a citizen uses the kiosk."""
    from kiosk.speech.room import BUSY_SHARE, WINDOW_S, RoomMeter

    def shares(x: np.ndarray) -> list[float]:
        endpointer, meter, out = Endpointer(VadConfig()), RoomMeter(), []
        events = endpointer.process(np.clip(x, -32768, 32767).astype(np.int16)) + endpointer.flush()
        flags = [e.speech for e in events if isinstance(e, Level)]
        frame_ms = endpointer.config.frame_ms
        every = round(5 * 1000 / frame_ms)
        for i, flag in enumerate(flags, 1):
            meter.feed(flag)
            if i * frame_ms >= WINDOW_S * 1000 and i % every == 0:
                out.append(round(meter.share, 3))
        return [min(out), max(out)] if out else []

    rng = np.random.default_rng(29)
    n = int(minutes * 60 * SAMPLE_RATE)
    level = _typical_level(recordings)
    out: dict[str, Any] = {"busy_share": BUSY_SHARE, "window_s": WINDOW_S}
    for kind in ("babble", "fan"):
        for snr in (5, 10, 15, 20, 30):
            out[f"{kind}_{snr}db"] = shares(_noise_alone(kind, recordings, n, snr, rng, level))
    tone = 32768 * 10 ** (-70 / 20)
    out["quiet_room"] = shares(rng.standard_normal(n) * tone)
    parts: list[np.ndarray] = []
    for rec in recordings[:40]:
        parts += [rng.standard_normal(int(rng.uniform(1, 4) * SAMPLE_RATE)) * tone, rec.astype(np.float64)]
    out["one_citizen"] = shares(np.concatenate(parts))
    out["meter_cpu_share"] = meter_cost()
    return out


def meter_cost(audio_s: float = 600.0, frame_ms: int = 20) -> float:
    """CPU time the busy-room meter takes per second of audio it is fed (one flag a frame, on the listener
    thread), over ``audio_s`` of alternating speech and pause flags."""
    from kiosk.speech.room import RoomMeter

    meter = RoomMeter(frame_ms)
    flags = (np.arange(round(audio_s * 1000 / frame_ms)) // 37 % 3 == 0).tolist()
    start = time.process_time()
    for flag in flags:
        meter.feed(flag)
    return float(f"{(time.process_time() - start) / audio_s:.2g}")


def live_path(
    items: list[tuple[np.ndarray, list[str]]],
    recognizer: Recognizer,
    snr_db: float | None,
    kind: str = "fan",
    lang: str = "id",
    seed: int = 11,
) -> dict[str, Any]:
    """Digit error rate through the kiosk's live path (end-pointer + listener + engine, digits of every
    utterance joined) next to the engine on the whole padded recording: what end-pointing costs. Also through
    hold to talk: the same listener, hands-free listening off, with the talk button pressed and released around
    the speech at reaction times drawn from ``PRESS_BEFORE_S`` and ``RELEASE_AFTER_S``."""
    rng = np.random.default_rng(seed)
    press_rng = np.random.default_rng(seed + 1)
    recordings = [a for a, _ in items]
    errors_live = errors_whole = errors_held = ref_total = exact_live = exact_held = 0
    for i, (rec, words) in enumerate(items):
        noise = None if snr_db is None else _noise(kind, recordings, i, placed_length(rec), rng)
        x = placed(rec, noise, snr_db, rng)
        ref = digits_in(" ".join(words), lang)
        live = "".join(digits_in(t.text, lang) for t in hear(ArraySource(x), recognizer))
        whole = digits_in(recognizer.recognize(x).text, lang)
        press, release = hold_times(rec, press_rng)
        held = "".join(
            digits_in(t.text, lang)
            for t in hear(ArraySource(x), recognizer, holds=[(press, release)], hands_free=False)
        )
        errors_live += edit_distance(ref, live)
        errors_whole += edit_distance(ref, whole)
        errors_held += edit_distance(ref, held)
        exact_live += live == ref
        exact_held += held == ref
        ref_total += len(ref)
    n = max(1, len(items))
    return {
        "recordings": len(items),
        "digits": ref_total,
        "der_live_path": round(errors_live / max(1, ref_total), 4),
        "der_whole_recording": round(errors_whole / max(1, ref_total), 4),
        "utterance_accuracy_live_path": round(exact_live / n, 4),
        "der_hold_to_talk": round(errors_held / max(1, ref_total), 4),
        "utterance_accuracy_hold_to_talk": round(exact_held / n, 4),
    }


def vad_on_recordings(
    data_dir: str | Path, limit: int = 300, snr_db: float = 10.0, recognizer: Recognizer | None = None
) -> dict[str, Any]:
    """The end-pointing figures, clean and with fan noise and babble at ``snr_db``; with a ``recognizer`` (the
    Indonesian engine) also the digit error rate through the live path. ``available: False`` and the reason
    when the data is missing."""
    try:
        items = load_labelled(Path(data_dir), limit)
    except (OSError, ValueError, KeyError) as exc:
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    if not items:
        return {"available": False, "reason": f"no 16 kHz mono validation recordings under {data_dir}"}
    recordings = [a for a, _ in items]
    out: dict[str, Any] = {
        "available": True,
        "vad": dict(VadConfig().__dict__.items()),
        "clean": score(recordings, None),
    }
    for kind in ("fan", "babble"):
        out[f"{kind}_{snr_db:g}db"] = score(recordings, snr_db, kind)
        out[f"{kind}_{snr_db:g}db"]["false_triggers_per_min_noise_only"] = false_triggers_per_minute(
            recordings, kind, snr_db
        )
    out["busy_room"] = busy_room(recordings)
    if recognizer is not None:
        out["live_path"] = {"engine": recognizer.name, "clean": live_path(items, recognizer, None)}
        for kind in ("fan", "babble"):
            out["live_path"][f"{kind}_{snr_db:g}db"] = live_path(items, recognizer, snr_db, kind)
    return out
