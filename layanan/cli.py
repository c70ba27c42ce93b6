"""How every command of the three deployables is dispatched: a table of sub-commands, each a module imported
only when it is asked for, with the same configuration flags everywhere.

A command module has ``configure(parser)`` to add its arguments and ``run(args, settings) -> int``.
Every command takes the same configuration flags (``--config``, ``--data-dir``, ``--device-id``,
``--broker-url``, ``--lang``, ``--set section.key=value``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from layanan.config import DEFAULT_CONFIG_PATHS, ConfigError, Settings, load_settings, parse_set_flags

log = logging.getLogger(__name__)


def add_config_flags(
    parser: argparse.ArgumentParser, config_paths: Sequence[Path] = DEFAULT_CONFIG_PATHS
) -> None:
    """The flags every command accepts; they override the file and the environment."""
    group = parser.add_argument_group("configuration")
    group.add_argument(
        "--config",
        help=f"TOML config file (default: $KIOSK_CONFIG, then {', then '.join(map(str, config_paths))})",
    )
    group.add_argument("--data-dir", help="data directory (queue, keys, prompt audio)")
    group.add_argument("--device-id", help="provisioned device id")
    group.add_argument("--broker-url", help="mqtt://HOST:PORT or mqtts://HOST:PORT")
    group.add_argument("--lang", help="language to greet in (id, en, ...)")
    group.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="any other setting"
    )
    group.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def settings_from_args(args: argparse.Namespace, config_paths: Sequence[Path] = ()) -> Settings:
    """Resolve file < environment < flags into one Settings; without --config or $KIOSK_CONFIG the first of
    ``config_paths`` that exists is read (the office's /etc/kiosk/central.toml), then the kiosk's default."""
    layer: dict[str, dict[str, Any]] = parse_set_flags(args.set)
    kiosk = layer.setdefault("kiosk", {})
    for flag in ("data_dir", "device_id", "broker_url", "lang"):
        value = getattr(args, flag, None)
        if value is not None:
            kiosk[flag] = value
    config = args.config
    if not config and not os.environ.get("KIOSK_CONFIG"):
        config = next((p for p in config_paths if p.exists()), None)
    return load_settings(config, overrides=layer)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


TOOLING = "tools"
"""The checkout's tooling package (benchmarks, evaluation, the demo, icon drawing); no wheel installs it."""


def import_command(module_name: str) -> Any:
    """The command's module, or None for a tooling command when the tooling is not there.

    A few commands (``kiosk bench``, ``kiosk demo``) are doors into the checkout's ``tools/``: run from a checkout
    they import it from beside the installed packages; from an installed wheel they say where they run instead.
    Nothing else in the runtime packages reaches into the tooling."""
    if module_name.split(".")[0] == TOOLING:
        checkout = Path(__file__).resolve().parents[1]
        if (checkout / TOOLING / "__init__.py").is_file() and str(checkout) not in sys.path:
            sys.path.append(str(checkout))
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == TOOLING:
                return None
            raise
    return importlib.import_module(module_name)


def dispatch(
    prog: str,
    table: Mapping[str, tuple[str, str]],
    argv: Sequence[str],
    description: str,
    config_paths: Sequence[Path] = (),
) -> int:
    """Run one sub-command of ``table``; shared by ``kiosk``, ``kiosk bench`` and the other entry points.
    ``config_paths``: files read before the kiosk's default when neither --config nor $KIOSK_CONFIG names one."""
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
    module = import_command(table[name][0])
    if module is None:
        print(
            f"{prog} {name}: this command runs from a checkout of the repository, where tools/ is "
            f"(benchmarks and the demo are tooling, not part of an installed wheel): "
            f"clone it and run '.venv/bin/{prog} {name}' there after 'make setup-test'",
            file=sys.stderr,
        )
        return 2
    parser = argparse.ArgumentParser(prog=f"{prog} {name}", description=table[name][1])
    module.configure(parser)
    if not getattr(module, "NO_CONFIG_FLAGS", False):
        add_config_flags(parser, (*config_paths, *DEFAULT_CONFIG_PATHS))
    args = parser.parse_args(rest)
    setup_logging(getattr(args, "verbose", False))
    try:
        settings = (
            settings_from_args(args, config_paths)
            if not getattr(module, "NO_CONFIG_FLAGS", False)
            else Settings()
        )
    except ConfigError as exc:
        print(f"{prog} {name}: configuration refused: {exc}", file=sys.stderr)
        return 2
    result: int = module.run(args, settings)
    return result
