"""The ``kiosk`` command: a table of sub-commands, each a module imported only when it is asked for.

A command module has ``configure(parser)`` to add its arguments and ``run(args, settings) -> int``.
Every command takes the same configuration flags (``--config``, ``--data-dir``, ``--device-id``,
``--broker-url``, ``--lang``, ``--set section.key=value``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from kiosk.config import ConfigError, Settings, load_settings, parse_set_flags

log = logging.getLogger(__name__)

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
    "demo": ("kiosk.demo", "start broker, central receiver and kiosk window on embedded defaults"),
    "capture": ("kiosk.vision.cli", "run the document capture pipeline on a still image and print JSON"),
    "bench": ("kiosk.bench", "benchmarks: kiosk bench outbox|speech|vision --json"),
    "transcribe": ("kiosk.speech.cli", "transcribe WAV files with the language's engine, one JSON line each"),
    "listen": ("kiosk.speech.listen_cli", "live voice path without the UI: microphone or WAV -> JSON events"),
}
"""Sub-command name -> (module, one-line help)."""


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every command accepts; they override the file and the environment."""
    group = parser.add_argument_group("configuration")
    group.add_argument(
        "--config", help="TOML config file (default: $KIOSK_CONFIG, then /etc/kiosk/kiosk.toml)"
    )
    group.add_argument("--data-dir", help="data directory (queue, keys, prompt audio)")
    group.add_argument("--device-id", help="provisioned device id")
    group.add_argument("--broker-url", help="mqtt://HOST:PORT or mqtts://HOST:PORT")
    group.add_argument("--lang", help="language to greet in (id, en, ...)")
    group.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="any other setting"
    )
    group.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Resolve file < environment < flags into one Settings."""
    layer: dict[str, dict[str, Any]] = parse_set_flags(args.set)
    kiosk = layer.setdefault("kiosk", {})
    for flag in ("data_dir", "device_id", "broker_url", "lang"):
        value = getattr(args, flag, None)
        if value is not None:
            kiosk[flag] = value
    return load_settings(args.config, overrides=layer)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def dispatch(prog: str, table: Mapping[str, tuple[str, str]], argv: Sequence[str], description: str) -> int:
    """Run one sub-command of ``table``; shared by ``kiosk``, ``kiosk bench`` and the other entry points."""
    argv = list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        lines = [f"usage: {prog} COMMAND [options]", "", description, "", "commands:"]
        lines += [f"  {name:<14} {help_}" for name, (_, help_) in table.items()]
        lines += ["", f"'{prog} COMMAND --help' tells more."]
        print("\n".join(lines))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in table:
        print(f"{prog}: unknown command '{name}'; the commands are: {', '.join(table)}", file=sys.stderr)
        return 2
    module = importlib.import_module(table[name][0])
    parser = argparse.ArgumentParser(prog=f"{prog} {name}", description=table[name][1])
    module.configure(parser)
    if not getattr(module, "NO_CONFIG_FLAGS", False):
        add_config_flags(parser)
    args = parser.parse_args(rest)
    setup_logging(getattr(args, "verbose", False))
    try:
        settings = settings_from_args(args) if not getattr(module, "NO_CONFIG_FLAGS", False) else Settings()
    except ConfigError as exc:
        print(f"{prog} {name}: configuration refused: {exc}", file=sys.stderr)
        return 2
    result: int = module.run(args, settings)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(
        "kiosk",
        COMMANDS,
        sys.argv[1:] if argv is None else argv,
        "Layanan Desa kiosk: village-office services by voice and touch, offline.",
    )


if __name__ == "__main__":
    raise SystemExit(main())
