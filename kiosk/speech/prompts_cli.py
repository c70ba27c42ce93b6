"""``kiosk prompts``: render the spoken-prompt audio pack for every configured language (idempotent), list where
each prompt comes from, or add a staff recording for one prompt.

    kiosk prompts                                   synthesize what is missing or changed (espeak-ng)
    kiosk prompts --list [--only LANG]              key, source (recorded / synthesized / missing), file, text
    kiosk prompts --only LANG --record KEY [--from FILE.wav]
                                                    a staff recording of KEY from the kiosk's microphone, or
                                                    from a file (any PCM WAV, a phone's will do)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk import compose
from kiosk.speech.audio import AudioFormatError
from kiosk.speech.base import SAMPLE_RATE
from kiosk.speech.prompts import PACK_RATE, AudioPack, PromptSpeaker, key_file, progress_bar
from kiosk.speech.vad import VadConfig
from layanan.config import Settings
from layanan.domain.prompts import PromptBook, all_keys

PROMPT_VAD = VadConfig(hangover_ms=1500, tail_ms=700, max_utterance_s=30.0)
"""A prompt is a sentence read aloud: its pauses at commas are longer than between dictated digits."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", help="just this language")
    parser.add_argument(
        "--list", action="store_true", help="list every prompt, where it comes from and its text"
    )
    parser.add_argument(
        "--record", metavar="KEY", help="add a staff recording of this prompt: from the microphone, or --from"
    )
    parser.add_argument(
        "--from",
        dest="from_wav",
        type=Path,
        metavar="FILE.wav",
        help="a recording made elsewhere (a phone's)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    cat = compose.catalog(settings)
    pack = AudioPack(settings.data_dir / "prompts")
    books = {code: b for code, b in compose.prompt_books(settings, cat).items() if args.only in (None, code)}
    if args.only and not books:
        print(
            f"kiosk prompts: no language pack '{args.only}'; configured: {settings.kiosk.languages}",
            file=sys.stderr,
        )
        return 2
    if args.record:
        return record(pack, books, args, settings)
    if args.list:
        for code, book in books.items():
            list_prompts(pack, code, book)
        return 0
    for code, book in books.items():
        print(
            f"rendering prompts for {code} ({book.pack.name}) with espeak-ng voice '{book.pack.tts_voice}'",
            file=sys.stderr,
        )
        try:
            made = pack.render(book, book.pack.tts_voice, progress_bar)
        except RuntimeError as exc:
            print(f"kiosk prompts: {exc}", file=sys.stderr)
            return 2
        print(
            f"{code}: {made} clip(s) made, the rest were up to date, in {pack.root / code}", file=sys.stderr
        )
    return 0


def list_prompts(pack: AudioPack, code: str, book: PromptBook) -> None:
    counts: dict[str, int] = {}
    for key in sorted(set(all_keys(book.catalog, book.pack))):
        source = pack.source(code, key)
        counts[source] = counts.get(source, 0) + 1
        print(f"{code}\t{key}\t{source}\trecorded/{key_file(key)}\t{book.text(key)}")
    summary = ", ".join(f"{n} {source}" for source, n in sorted(counts.items()))
    print(f"{code}: {summary}; staff recordings go in {pack.root / code / 'recorded'}", file=sys.stderr)


def record(
    pack: AudioPack, books: dict[str, PromptBook], args: argparse.Namespace, settings: Settings
) -> int:
    if not args.only:
        print("kiosk prompts: --record KEY needs --only LANG (the language it is spoken in)", file=sys.stderr)
        return 2
    book = books[args.only]
    if args.record not in set(all_keys(book.catalog, book.pack)):
        print(
            f"kiosk prompts: '{args.record}' is not a prompt key of {args.only}; "
            f"'kiosk prompts --list --only {args.only}' shows them",
            file=sys.stderr,
        )
        return 2
    text = book.text(args.record)
    try:
        if args.from_wav is not None:
            target = pack.add_recording(args.only, args.record, args.from_wav)
        else:
            target = record_from_microphone(pack, args.only, args.record, text, settings)
            if target is None:
                return 2
    except AudioFormatError as exc:
        print(f"kiosk prompts: {exc}", file=sys.stderr)
        return 2
    print(f"{args.only}: '{text}' is now the staff recording {target}", file=sys.stderr)
    return 0


def record_from_microphone(
    pack: AudioPack, lang: str, key: str, text: str, settings: Settings
) -> Path | None:
    """Say the text into the kiosk's microphone; it is played back once saved."""
    from kiosk.speech.audio import MicrophoneUnavailable
    from kiosk.speech.listener import capture_utterance
    from kiosk.speech.mic import MicrophoneSource

    try:
        source = MicrophoneSource(settings.speech.input_device)
    except MicrophoneUnavailable as exc:
        print(
            f"kiosk prompts: no microphone ({exc}); record on a phone and add it with --from FILE.wav",
            file=sys.stderr,
        )
        return None
    print(f"say now, then stay quiet for a moment:\n    {text}", file=sys.stderr)
    samples = capture_utterance(source, timeout_s=10.0, config=PROMPT_VAD)
    if samples is None:
        print("kiosk prompts: nothing was heard in 10 s; nothing was saved", file=sys.stderr)
        return None
    target = pack.save_recording(lang, key, samples, SAMPLE_RATE, "the microphone recording")
    PromptSpeaker(pack, device=settings.speech.output_device).play(pack.samples(lang, [key]), PACK_RATE)
    return target
