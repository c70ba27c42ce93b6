"""``kiosk prompts``: render the spoken-prompt audio pack for every configured language (idempotent), list where
each prompt comes from, or add a staff recording for one prompt.

    kiosk prompts                                   synthesize what is missing or changed (espeak-ng)
    kiosk prompts --list [--only LANG]              key, source (recorded / synthesized / missing), file, text
    kiosk prompts --only LANG --record KEY --from FILE.wav
                                                    a staff recording of KEY (any PCM WAV, a phone's will do)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk import compose
from kiosk.config import Settings
from kiosk.domain.prompts import PromptBook, all_keys
from kiosk.speech.audio import AudioFormatError
from kiosk.speech.prompts import AudioPack, key_file, progress_bar


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", help="just this language")
    parser.add_argument(
        "--list", action="store_true", help="list every prompt, where it comes from and its text"
    )
    parser.add_argument(
        "--record", metavar="KEY", help="add a staff recording for this prompt key (with --from)"
    )
    parser.add_argument("--from", dest="from_wav", type=Path, metavar="FILE.wav", help="the recording")


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
        return record(pack, books, args)
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


def record(pack: AudioPack, books: dict[str, PromptBook], args: argparse.Namespace) -> int:
    if not args.only or args.from_wav is None:
        print(
            "kiosk prompts: --record KEY needs --only LANG and --from FILE.wav (record on a phone, or with "
            "'arecord -f S16_LE -r 16000 FILE.wav')",
            file=sys.stderr,
        )
        return 2
    book = books[args.only]
    if args.record not in set(all_keys(book.catalog, book.pack)):
        print(
            f"kiosk prompts: '{args.record}' is not a prompt key of {args.only}; "
            f"'kiosk prompts --list --only {args.only}' shows them",
            file=sys.stderr,
        )
        return 2
    try:
        target = pack.add_recording(args.only, args.record, args.from_wav)
    except AudioFormatError as exc:
        print(f"kiosk prompts: {exc}", file=sys.stderr)
        return 2
    print(f"{args.only}: '{book.text(args.record)}' is now the staff recording {target}", file=sys.stderr)
    return 0
