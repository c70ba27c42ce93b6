"""``kiosk bench TARGET``: benchmarks whose figures go into docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from typing import Any

from layanan.config import Settings

TARGETS: dict[str, tuple[str, str]] = {
    "outbox": (
        "tools.bench.outbox",
        "durable enqueue, backlog flush with acks, bytes per request, raw baselines",
    ),
    "vision": (
        "tools.bench.vision",
        "capture pipeline timings, encoded sizes, legibility, upload over a throttled link",
    ),
    "speech": ("tools.bench.speech", "real-time factor, latency, memory, model size, digit error rate"),
}
"""Bench target -> (module with configure(parser) and run(args, settings), one-line help)."""

NO_CONFIG_FLAGS = True


def machine() -> dict[str, Any]:
    """What every benchmark report says about the machine it ran on."""
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target_and_args", nargs=argparse.REMAINDER, help=f"one of: {', '.join(TARGETS)}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from layanan.cli import dispatch

    return dispatch(
        "kiosk bench", TARGETS, args.target_and_args, "Benchmarks; figures go to docs/benchmarks.md."
    )


if __name__ == "__main__":
    sys.exit(run(argparse.Namespace(target_and_args=sys.argv[1:]), Settings()))
