"""The ``kiosk`` command: a table of sub-commands dispatched by :func:`layanan.cli.dispatch`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from layanan.cli import dispatch

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("kiosk.ui.app", "open the kiosk window (touch and voice)"),
    "simulate": ("kiosk.simulate", "drive the flow headless from a scenario and print the request as JSON"),
    "screenshots": ("kiosk.ui.screenshots", "render every screen into PNG files"),
    "prompts": (
        "kiosk.speech.prompts_cli",
        "spoken prompts: render with espeak-ng, --list, --record KEY [--from WAV]",
    ),
    "config": ("kiosk.config_cli", "print the effective configuration as TOML"),
    "queue": ("kiosk.outbox.queue_cli", "show the local queue (no personal data)"),
    "outbox": ("kiosk.outbox.cli", "outbox load and state: kiosk outbox fill N | status | release MSG_ID"),
    "uploader": ("kiosk.outbox.uploader_cli", "send queued requests to central over MQTT (daemon)"),
    "demo": (
        "tools.demo",
        "start broker, central receiver and kiosk window on embedded defaults (from a checkout)",
    ),
    "capture": ("kiosk.vision.cli", "run the document capture pipeline on a still image and print JSON"),
    "bench": ("tools.bench", "benchmarks: kiosk bench outbox|speech|vision --json (from a checkout)"),
    "transcribe": ("kiosk.speech.cli", "transcribe WAV files with the language's engine, one JSON line each"),
    "listen": ("kiosk.speech.listen_cli", "live voice path without the UI: microphone or WAV -> JSON events"),
}
"""Sub-command name -> (module, one-line help)."""


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(
        "kiosk",
        COMMANDS,
        sys.argv[1:] if argv is None else argv,
        "Layanan Desa kiosk: village-office services by voice and touch, offline.",
    )


if __name__ == "__main__":
    raise SystemExit(main())
