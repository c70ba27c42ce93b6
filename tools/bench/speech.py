"""``kiosk bench speech [--json]``: real-time factor, latency, memory and model size per engine on one core,
and the digit error rate of the Indonesian model (clean and at 10 dB SNR) from the model's evaluation
function.

Each engine is measured in its own child process pinned to one CPU (``os.sched_setaffinity``), so peak memory
is that engine's alone and the figures match a kiosk where the UI has the other core. The audio is synthesized
with espeak-ng (timing does not depend on what is said; accuracy is NOT measured on it). Digit error rates
come from ``tools.speech.eval.evaluate(**--eval KEY=VALUE)`` when that module is importable; otherwise that
part is reported as unavailable with the reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import logging
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.speech.base import COMMAND_WORDS, DIGIT_WORDS, SAMPLE_RATE, Recognizer
from layanan.config import Settings
from tools.bench import machine

log = logging.getLogger(__name__)

TEXTS = {
    "id": [
        "satu dua tiga empat lima enam",
        "tujuh delapan sembilan nol kosong",
        "ya",
        "tidak",
        "ulang",
        "delapan satu dua tiga empat lima enam tujuh",
    ],
    "ko": ["하나 둘 셋 넷", "일 이 삼 사 오 육", "칠 팔 구 영", "네", "아니요"],
}
VOCABULARY = {
    "id": [*DIGIT_WORDS, *COMMAND_WORDS],
    "ko": [
        "영",
        "일",
        "이",
        "삼",
        "사",
        "오",
        "육",
        "칠",
        "팔",
        "구",
        "하나",
        "둘",
        "셋",
        "넷",
        "네",
        "아니요",
    ],
}
ESPEAK_VOICE = {"id": "id", "ko": "ko"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    parser.add_argument("--langs", default="id,ko", help="language packs to measure (default: id,ko)")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of audio per engine for the RTF")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last one allowed)")
    parser.add_argument(
        "--eval",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="more keyword arguments for tools.speech.eval.evaluate (e.g. limit=200)",
    )
    parser.add_argument(
        "--eval-data",
        metavar="DIR",
        help="prepared validation data (models/training/prepare.py --out DIR) for the digit error rate",
    )
    parser.add_argument("--no-eval", action="store_true", help="skip the digit error rate")
    parser.add_argument(
        "--vad-data",
        metavar="DIR",
        help="prepared data whose validation recordings measure end-pointing (default: --eval-data)",
    )


def synth(text: str, voice: str, workdir: Path) -> np.ndarray:
    """espeak-ng speech at 16 kHz, or seeded noise shaped like speech bursts when espeak-ng is missing."""
    from kiosk.speech.audio import read_wav_16k

    if shutil.which("espeak-ng"):
        path = workdir / f"s{abs(hash((text, voice)))}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, timeout=60)
        return read_wav_16k(path)
    rng = np.random.default_rng(len(text))
    return (rng.standard_normal(int(0.4 * SAMPLE_RATE * len(text.split()))) * 3000).astype(np.int16)


def fit(samples: np.ndarray, seconds: float) -> np.ndarray:
    """Pad with silence or cut to exactly ``seconds``."""
    n = int(seconds * SAMPLE_RATE)
    return np.concatenate([samples, np.zeros(max(0, n - len(samples)), dtype=np.int16)])[:n]


def model_size_bytes(path: Path | None) -> int | None:
    if path is None or not path.exists():
        return None
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_engine(pack_dict: dict[str, Any], cpu: int, seconds: float) -> dict[str, Any]:
    """Runs in a child process: pin, load, time. Returns the figures (or an ``error``)."""
    from kiosk.speech.engines import EngineUnavailable, LanguagePack, load_recognizer
    from kiosk.speech.listener import StreamingRecognizer

    pack = LanguagePack.from_dict(pack_dict)
    out: dict[str, Any] = {
        "lang": pack.lang,
        "engine": pack.engine,
        "model": pack_dict["model"],
        "model_size_bytes": model_size_bytes(pack.model),
        "cpu": cpu,
    }
    os.sched_setaffinity(0, {cpu})
    rss_start = _maxrss_mb()
    t0 = time.perf_counter()
    try:
        rec = load_recognizer(pack)
    except EngineUnavailable as exc:
        out["error"] = str(exc)
        return out
    out["name"] = rec.name
    out["load_s"] = round(time.perf_counter() - t0, 3)
    vocab = VOCABULARY.get(pack.lang)
    with tempfile.TemporaryDirectory() as tmp:
        utts = [
            synth(t, ESPEAK_VOICE.get(pack.lang, "en"), Path(tmp)) for t in TEXTS.get(pack.lang, ["one two"])
        ]
    rec.recognize(utts[0], vocab)  # warm-up
    audio_s = wall = cpu_s = 0.0
    i = 0
    while audio_s < seconds:
        u = utts[i % len(utts)]
        i += 1
        w0, c0 = time.perf_counter(), time.process_time()
        rec.recognize(u, vocab)
        wall += time.perf_counter() - w0
        cpu_s += time.process_time() - c0
        audio_s += len(u) / SAMPLE_RATE
    out.update(
        audio_s=round(audio_s, 2),
        utterances=i,
        rtf=round(wall / audio_s, 5),
        rtf_cpu=round(cpu_s / audio_s, 5),
    )
    four = fit(np.concatenate(utts), 4.0)
    latencies, feeding = [], []
    streams = isinstance(rec, StreamingRecognizer)
    for _ in range(5):
        if streams:
            stream = rec.open_stream(vocab)
            t = time.perf_counter()
            for start in range(
                0, len(four), 320
            ):  # fed live while the citizen speaks (partials): not part of the latency
                stream.accept(four[start : start + 320])
            feeding.append(time.perf_counter() - t)
            t = time.perf_counter()
            stream.finish(four)
        else:
            t = time.perf_counter()
            rec.recognize(four, vocab)
        latencies.append(time.perf_counter() - t)
    out["latency_4s_utterance_ms"] = round(1000 * float(np.median(latencies)), 1)
    if feeding:  # what decoding while the citizen speaks costs, per second of speech
        out["rtf_while_speaking"] = round(float(np.median(feeding)) / 4.0, 5)
    out["latency_mode"] = {
        "vosk": "streaming: final result after the last block",
        "litert": "whole utterance decoded after it ends (partials on screen while it is spoken)",
    }.get(pack.engine, "whole utterance decoded after it ends")
    out["peak_rss_mb"] = round(_maxrss_mb(), 1)
    out["rss_before_model_mb"] = round(rss_start, 1)
    return out


def _child(pack_dict: dict[str, Any], cpu: int, seconds: float, conn: Any) -> None:
    try:
        conn.send(measure_engine(pack_dict, cpu, seconds))
    except Exception as exc:  # report, never hang the parent
        conn.send(
            {
                "lang": pack_dict["lang"],
                "engine": pack_dict["engine"],
                "error": f"{type(exc).__name__}: {exc}",
            }
        )


def measure_in_child(
    pack_dict: dict[str, Any], cpu: int, seconds: float, timeout_s: float = 900
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(pack_dict, cpu, seconds, child))
    proc.start()
    try:
        if parent.poll(timeout_s):
            result: dict[str, Any] = parent.recv()
        else:
            result = {
                "lang": pack_dict["lang"],
                "engine": pack_dict["engine"],
                "error": f"timed out after {timeout_s} s",
            }
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    if proc.exitcode not in (0, None) and "error" not in result:
        result["error"] = f"child exited with {proc.exitcode}"
    return result


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def digit_error_rates(
    eval_args: list[str], known: dict[str, Any] | None = None, cpu: int | None = None
) -> dict[str, Any]:
    """Call the Indonesian model's evaluation (clean and 10 dB SNR) if it is installed; say why not
    otherwise. ``known`` fills parameters the evaluation names (model_path, data_dir) unless given."""
    try:
        from tools.speech.eval import evaluate  # type: ignore[import-not-found]
    except ImportError as exc:
        return {"available": False, "reason": f"tools.speech.eval is not importable ({exc})"}
    params = inspect.signature(evaluate).parameters
    kwargs = {k: v for k, v in (known or {}).items() if k in params and v is not None}
    kwargs.update({k: _value(v) for k, v in (item.split("=", 1) for item in eval_args if "=" in item)})
    if "progress" in params and "progress" not in kwargs:
        kwargs["progress"] = lambda msg: print(f"evaluate: {msg}", file=sys.stderr, flush=True)
    try:
        inspect.signature(evaluate).bind(**kwargs)
    except TypeError as exc:
        return {
            "available": False,
            "reason": f"evaluate{inspect.signature(evaluate)} needs arguments: pass --eval-data DIR and/or "
            f"--eval KEY=VALUE ({exc})",
        }
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        result = evaluate(**kwargs)
    except Exception as exc:  # missing corpus etc.: report, keep the other figures
        return {"available": False, "reason": f"evaluate failed: {type(exc).__name__}: {exc}"}
    if hasattr(result, "to_dict"):
        result = result.to_dict()
    return {"available": True, "result": result}


def _id_recognizer(settings: Settings) -> Recognizer | None:
    """The Indonesian engine for the live-path figures, or None (the end-pointing figures still come)."""
    from kiosk.speech.engines import EngineUnavailable, load_recognizer, pack_for

    try:
        return load_recognizer(pack_for("id", settings))
    except EngineUnavailable as exc:
        log.info("live-path digit error rate skipped: %s", exc)
        return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.speech.engines import pack_for
    from tools.bench.vad import vad_on_recordings

    vad_dir = args.vad_data or args.eval_data

    allowed = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu is not None else allowed[-1]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    engines = []
    for lang in [x.strip() for x in args.langs.split(",") if x.strip()]:
        pack = pack_for(lang, settings)
        print(f"measuring {lang} ({pack.engine}) on CPU {cpu} ...", file=sys.stderr, flush=True)
        engines.append(measure_in_child(pack.to_dict(), cpu, args.seconds))
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "command": "kiosk bench speech "
        + " ".join(sys.argv[3:] if sys.argv[1:3] == ["bench", "speech"] else []),
        "engines": engines,
        "digit_error_rate": {"available": False, "reason": "skipped (--no-eval)"}
        if args.no_eval
        else digit_error_rates(
            args.eval,
            {"model_path": pack_for("id", settings).model, "data_dir": args.eval_data},
            cpu,
        ),
        "end_pointing": vad_on_recordings(vad_dir, recognizer=_id_recognizer(settings))
        if vad_dir
        else {"available": False, "reason": "no recordings: pass --vad-data DIR (or --eval-data DIR)"},
        "targets": {"rtf_max": 0.01, "latency_4s_ms_max": 100, "model_bytes_max": 500_000},
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for e in engines:
            if "error" in e:
                print(f"{e['lang']:<4} {e['engine']:<7} unavailable: {e['error']}")
            else:
                print(
                    f"{e['lang']:<4} {e['name']:<26} RTF {e['rtf']:.4f}"
                    f"  latency(4 s) {e['latency_4s_utterance_ms']} ms"
                    f"  peak RSS {e['peak_rss_mb']} MB  model {e['model_size_bytes']} B  load {e['load_s']} s"
                )
        print("digit error rate:", json.dumps(report["digit_error_rate"], ensure_ascii=False))
        print("end-pointing:", json.dumps(report["end_pointing"], ensure_ascii=False))
    return 0 if all("error" not in e for e in engines) else 1
