"""``kiosk-central bench TARGET``: the office's benchmarks (from a checkout); figures in docs/benchmarks.md."""

from __future__ import annotations

import argparse

from layanan.config import Settings

TARGETS: dict[str, tuple[str, str]] = {
    "web": ("tools.bench.web", "console page times at scale: first inbox page, a filtered page, one request"),
    "public": ("tools.bench.public", "the public page (/publik) and its refresh at scale on PostgreSQL"),
    "forecast": ("tools.bench.forecast", "forecast accuracy (MASE vs SeasonalNaive), 80% coverage, time"),
}
NO_CONFIG_FLAGS = True


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target_and_args", nargs=argparse.REMAINDER, help=f"one of: {', '.join(TARGETS)}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from layanan.cli import dispatch

    return dispatch(
        "kiosk-central bench", TARGETS, args.target_and_args, "Office benchmarks (docs/benchmarks.md)."
    )
