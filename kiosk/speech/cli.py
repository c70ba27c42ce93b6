"""``kiosk transcribe [--lang id] [--vocabulary PHRASES] FILE.wav ...``: one JSON object per line per file.

A line is ``{"file": ..., "text": "satu dua tiga", "digits": "123", "engine": "litert:digits-id"}``, plus
``"warnings"`` when the WAV was converted or is clipped. A file that cannot be read gives
``{"file": ..., "error": "..."}`` and the command exits 1 after the last file. No engine for the language: a
message on stderr and exit 2. The language comes from the common ``--lang`` flag (default: ``kiosk.lang``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kiosk.speech.audio import AudioFormatError, load_wav
from kiosk.speech.engines import EngineUnavailable, digits_in, load_recognizer, pack_for
from layanan.config import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE.wav", help="WAV files (converted to 16 kHz mono)")
    parser.add_argument(
        "--vocabulary",
        metavar="PHRASES",
        help="comma-separated phrases the engine may output (a screen's grammar), "
        "e.g. 'satu,dua,tiga,ya,tidak'",
    )


def parse_vocabulary(text: str | None) -> list[str] | None:
    if text is None:
        return None
    phrases = [p.strip() for p in text.split(",") if p.strip()]
    return phrases or None


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.kiosk.lang
    try:
        vocabulary = parse_vocabulary(args.vocabulary)
        recognizer = load_recognizer(pack_for(lang, settings))
    except EngineUnavailable as exc:
        print(f"kiosk transcribe: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for name in args.files:
        line: dict[str, Any] = {"file": name}
        try:
            audio = load_wav(name)
            transcript = recognizer.recognize(audio.samples, vocabulary)
        except AudioFormatError as exc:
            failed += 1
            line["error"] = str(exc)
        except Exception as exc:  # one bad file must not stop the batch
            failed += 1
            line["error"] = f"recognition failed: {type(exc).__name__}: {exc}"
        else:
            line.update(
                text=transcript.text, digits=digits_in(transcript.text, lang), engine=transcript.engine
            )
            if audio.warnings:
                line["warnings"] = list(audio.warnings)
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if failed:
        print(
            f'kiosk transcribe: {failed} of {len(args.files)} files failed (see the "error" lines)',
            file=sys.stderr,
        )
    return 1 if failed else 0
