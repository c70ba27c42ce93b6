"""``kiosk bench TARGET``: benchmarks whose figures go into docs/benchmarks.md."""

from __future__ import annotations

import argparse
import sys

from kiosk.config import Settings

TARGETS: dict[str, tuple[str, str]] = {
    "outbox": (
        "kiosk.outbox.bench",
        "durable enqueue, backlog flush with acks, bytes per request, raw baselines",
    ),
    "vision": (
        "kiosk.vision.bench",
        "capture pipeline timings, encoded sizes, legibility, upload over a throttled link",
    ),
    "speech": ("kiosk.speech.bench", "real-time factor, latency, memory, model size, digit error rate"),
}
"""Bench target -> (module with configure(parser) and run(args, settings), one-line help)."""

NO_CONFIG_FLAGS = True


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target_and_args", nargs=argparse.REMAINDER, help=f"one of: {', '.join(TARGETS)}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli import dispatch

    return dispatch(
        "kiosk bench", TARGETS, args.target_and_args, "Benchmarks; figures go to docs/benchmarks.md."
    )


if __name__ == "__main__":
    sys.exit(run(argparse.Namespace(target_and_args=sys.argv[1:]), Settings()))
