"""``kiosk-central users add|list|disable|enable|reset``: console accounts.

Passwords are asked twice on the terminal, or read from standard input with ``--password-stdin`` (one line, for
scripts); never on the command line, where ``ps`` and the shell history would keep them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from central import accounts, compose
from central.cli import add_db_flag
from central.web_db import open_database
from layanan.config import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["add", "list", "disable", "enable", "reset"])
    parser.add_argument("name", nargs="?", help="account name (add, disable, enable, reset)")
    parser.add_argument("--role", choices=accounts.ROLES, help="clerk, supervisor or technician (add)")
    parser.add_argument(
        "--area", default="", help="Kemendagri kode wilayah prefix the account sees, e.g. 91.03 (empty: all)"
    )
    parser.add_argument(
        "--office", default="", choices=["", *accounts.OFFICES], help="the office type of a clerk's services"
    )
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (one line)"
    )
    parser.add_argument("--unlock-only", action="store_true", help="reset: only unlock, keep the password")
    parser.add_argument("--json", action="store_true", help="list: print JSON")
    add_db_flag(parser)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("the same again: ") != first:
        raise accounts.AccountError("the two passwords differ")
    return first


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action != "list" and not args.name:
        print(f"kiosk-central users {args.action}: name the account", file=sys.stderr)
        return 2
    try:
        db = open_database(settings, args.db, create=False)
    except compose.MissingDatabase as exc:
        print(f"kiosk-central users: {exc}", file=sys.stderr)
        return 2
    try:
        return _ACTIONS[args.action](db, args)
    except accounts.AccountError as exc:
        print(f"kiosk-central users {args.action}: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()


def _add(db, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    if not args.role:
        raise accounts.AccountError("say which role: --role clerk|supervisor|technician")
    user = accounts.add_user(db, args.name, args.role, _password(args), args.area, args.office)
    print(f"added {user.name} ({user.role}, area {user.area or 'all'}, office {user.office or 'all'})")
    return 0


def _list(db, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    users = accounts.list_users(db)
    rows = [
        {
            "name": u.name,
            "role": u.role,
            "area": u.area,
            "office": u.office,
            "disabled": u.disabled,
            "locked": u.locked,
            "failed": u.failed,
        }
        for u in users
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    for r in [] if args.json else rows:
        state = "disabled" if r["disabled"] else "LOCKED" if r["locked"] else "ok"
        print(
            f"{r['name']:<20} {r['role']:<11} area {r['area'] or 'all':<14} office {r['office'] or 'all':<9} {state}"
        )
    if not rows and not args.json:
        print("no accounts; 'kiosk-central users add NAME --role ...' adds one")
    return 0


def _disable(db, args: argparse.Namespace, disabled: bool = True) -> int:  # type: ignore[no-untyped-def]
    if not accounts.set_disabled(db, args.name, disabled):
        raise accounts.AccountError(f"no account {args.name}")
    print(f"{args.name} {'disabled (its sessions end)' if disabled else 'enabled'}")
    return 0


def _reset(db, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    password = None if args.unlock_only else _password(args)
    if not accounts.reset(db, args.name, password):
        raise accounts.AccountError(f"no account {args.name}")
    print(f"{args.name} unlocked" + ("" if password is None else ", new password set (its sessions end)"))
    return 0


_ACTIONS = {
    "add": _add,
    "list": _list,
    "disable": _disable,
    "enable": lambda db, args: _disable(db, args, False),
    "reset": _reset,
}
