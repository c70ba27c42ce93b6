"""``kiosk config``: print the effective settings (file < environment < flags) as TOML."""

from __future__ import annotations

import argparse

from layanan.config import Settings, to_toml


def configure(parser: argparse.ArgumentParser) -> None:
    del parser  # only the common configuration flags


def run(args: argparse.Namespace, settings: Settings) -> int:
    print(to_toml(settings), end="")
    return 0
