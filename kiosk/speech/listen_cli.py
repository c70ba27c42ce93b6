"""``kiosk listen [--lang id] [--vocabulary PHRASES] [--wav FILE]``: the live voice path without the UI.

For setting a kiosk up in the field: it opens the microphone (``speech.input_device``) or reads a WAV file,
runs the same end-pointer and engine as the kiosk, and prints one JSON line per event: ``{"event": "start"}``,
``{"event": "partial", "text": ...}``, ``{"event": "heard", "text", "digits", "engine", "seconds"}``,
``{"event": "failed", "reason"}``, and with ``--levels`` the level meter (10 a second). Ctrl-C ends it. Exit 2
when the microphone or the engine is unavailable (the message says why)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

from kiosk.speech.audio import AudioFormatError, AudioSource, MicrophoneUnavailable, WavSource
from kiosk.speech.cli import parse_vocabulary
from kiosk.speech.engines import EngineUnavailable, digits_in, load_recognizer, pack_for
from kiosk.speech.listener import Heard, Listener, ListenerEvent, Partial, RecognitionFailed
from kiosk.speech.vad import Level, SpeechStart
from layanan.config import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vocabulary", metavar="PHRASES", help="comma-separated phrases (a screen's grammar)"
    )
    parser.add_argument("--wav", metavar="FILE", help="read this WAV file instead of the microphone")
    parser.add_argument("--levels", action="store_true", help="also print the level meter, 10 lines a second")


def _printer(levels: bool, lang: str) -> Any:
    count = 0

    def emit(event: ListenerEvent) -> None:
        nonlocal count
        line: dict[str, Any]
        if isinstance(event, Level):
            count += 1
            if not levels or count % 5:
                return
            line = {"event": "level", "value": round(event.value, 2), "speech": event.speech}
        elif isinstance(event, SpeechStart):
            line = {"event": "start"}
        elif isinstance(event, Partial):
            line = {"event": "partial", "text": event.text}
        elif isinstance(event, Heard):
            t = event.transcript
            line = {
                "event": "heard",
                "text": t.text,
                "digits": digits_in(t.text, lang),
                "engine": t.engine,
                "seconds": round(event.duration_s, 2),
                "forced_end": event.forced_end,
            }
        elif isinstance(event, RecognitionFailed):
            line = {"event": "failed", "reason": event.reason}
        else:  # pragma: no cover - every event type is handled above
            return
        print(json.dumps(line, ensure_ascii=False), flush=True)

    return emit


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        recognizer = load_recognizer(pack_for(settings.kiosk.lang, settings))
    except EngineUnavailable as exc:
        print(f"kiosk listen: {exc}", file=sys.stderr)
        return 2
    source: AudioSource
    try:
        if args.wav:
            source = WavSource(args.wav)
        else:
            from kiosk.speech.mic import MicrophoneSource

            source = MicrophoneSource(settings.speech.input_device)
    except (AudioFormatError, MicrophoneUnavailable) as exc:
        print(f"kiosk listen: {exc}", file=sys.stderr)
        return 2
    listener = Listener(
        source,
        recognizer,
        _printer(args.levels, settings.kiosk.lang),
        vocabulary=parse_vocabulary(args.vocabulary),
    )
    signal.signal(signal.SIGINT, lambda *_: source.close())
    listener.run()
    return 0
