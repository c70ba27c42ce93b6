"""``kiosk prompts``: render the spoken-prompt audio pack for every configured language (idempotent)."""

from __future__ import annotations

import argparse
import sys

from kiosk import compose
from kiosk.config import Settings
from kiosk.speech.prompts import AudioPack, progress_bar


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", help="render just this language")


def run(args: argparse.Namespace, settings: Settings) -> int:
    cat = compose.catalog(settings)
    pack = AudioPack(settings.data_dir / "prompts")
    for code, book in compose.prompt_books(settings, cat).items():
        if args.only and code != args.only:
            continue
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
