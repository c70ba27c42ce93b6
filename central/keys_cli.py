"""``kiosk-central keys [init|show|backup FILE|restore FILE|rotate]``: the office's two key pairs.

- ``central_private.key`` / ``central_public.key`` (X25519): kiosks seal citizen data to the public key; only the
  office, with the private key, opens it.
- ``central_signing.key`` / ``central_verify.key`` (Ed25519): receivers sign every ack and status update; kiosks
  act only on those that verify against the pinned ``central_verify.key``, so a forged ack never wipes a kiosk's
  sealed copy.

``init`` (the default) makes what is missing and keeps the rest. ``show`` prints each public key's fingerprint, the
way a technician compares it with ``kiosk-provision selftest``. ``backup FILE`` writes every file of the keys folder
into one file sealed with a passphrase (libsodium secretbox, key from Argon2id); ``restore FILE`` puts them back.
``rotate`` moves the sealing pair (``--signing``: the signing pair) to ``retired/`` and makes a new one: retired
sealing keys still open the requests sealed to them. The folder is ``central.keys_dir`` (default ``keys/`` in the
data dir), mode 0700; every key file is 0600.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys
import time
from pathlib import Path

import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.exceptions import CryptoError

from central import compose, office_keys
from layanan.config import Settings
from layanan.security.crypto import (
    CENTRAL_PRIVATE_FILE,
    CENTRAL_PUBLIC_FILE,
    OFFICE_SIGNING_FILE,
    OFFICE_VERIFY_FILE,
    KeyFileError,
    ensure_central_keypair,
    ensure_office_signing_key,
    read_key,
)

BACKUP_MAGIC = "kiosk-central keys backup v1"
MIN_PASSPHRASE = 12
PIN_HINT = (
    "kiosk-provision keys --central-public central_public.key --central-verify central_verify.key --repin"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        default="init",
        choices=["init", "show", "backup", "restore", "rotate"],
        help="init (default): make what is missing; show: fingerprints; backup FILE / restore FILE; rotate",
    )
    parser.add_argument("file", nargs="?", help="the backup file (backup, restore)")
    parser.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the backup passphrase from the first line of stdin",
    )
    parser.add_argument(
        "--signing",
        action="store_true",
        help="rotate: replace the signing pair instead of the sealing pair (every kiosk must re-pin it)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    directory = compose.keys_dir(settings)
    if args.action in ("backup", "restore") and not args.file:
        return _fail(args.action, f"name the file: 'kiosk-central keys {args.action} FILE'")
    try:
        return ACTIONS[args.action](args, directory)
    except KeyFileError as exc:
        return _fail(args.action, str(exc))


def _fail(action: str, message: str) -> int:
    print(f"kiosk-central keys {action}: {message}", file=sys.stderr)
    return 2


def _private_dir(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)


def _init(args: argparse.Namespace, directory: Path) -> int:
    _private_dir(directory)
    notes = []
    for private, make, what in (
        (CENTRAL_PRIVATE_FILE, ensure_central_keypair, "sealing key (X25519)"),
        (OFFICE_SIGNING_FILE, ensure_office_signing_key, "signing key (Ed25519)"),
    ):
        existed = (directory / private).exists()
        make(directory)
        notes.append(f"{what} {'kept' if existed else 'made'}")
    print(f"{directory}: {'; '.join(notes)}.")
    print(
        f"Give the technicians {directory / CENTRAL_PUBLIC_FILE} and {directory / OFFICE_VERIFY_FILE}; each kiosk "
        f"pins them with 'kiosk-provision keys --central-public {CENTRAL_PUBLIC_FILE} "
        f"--central-verify {OFFICE_VERIFY_FILE}'. The private keys never leave this folder: back them up with "
        "'kiosk-central keys backup FILE'."
    )
    _show(args, directory)
    return 0


def _show(args: argparse.Namespace, directory: Path) -> int:
    sealing = read_key(directory / CENTRAL_PUBLIC_FILE, "central office public key")
    verify = read_key(directory / OFFICE_VERIFY_FILE, "office signing public key")
    print(f"sealing key  {office_keys.fingerprint(sealing)}  {directory / CENTRAL_PUBLIC_FILE}")
    print(f"signing key  {office_keys.fingerprint(verify)}  {directory / OFFICE_VERIFY_FILE}")
    for path, key in office_keys.retired_private_keys(directory):
        fp = office_keys.fingerprint(bytes(key.public_key))
        print(f"retired      {fp}  {path} (opens older requests)")
    return 0


def _rotate(args: argparse.Namespace, directory: Path) -> int:
    private, public, what = (
        (OFFICE_SIGNING_FILE, OFFICE_VERIFY_FILE, "signing")
        if args.signing
        else (CENTRAL_PRIVATE_FILE, CENTRAL_PUBLIC_FILE, "sealing")
    )
    if not (directory / private).exists():
        return _fail("rotate", f"there is no {what} key in {directory} yet; run 'kiosk-central keys init'")
    old = read_key(directory / public, f"{what} public key")
    retired = directory / office_keys.RETIRED_DIR
    _private_dir(retired)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    tag = office_keys.fingerprint(old).replace(" ", "")[:8]
    for name in (private, public):
        os.replace(directory / name, retired / f"{stamp}-{tag}.{name}")
    (ensure_office_signing_key if args.signing else ensure_central_keypair)(directory)
    new = read_key(directory / public, f"{what} public key")
    print(
        f"{what} key rotated: {office_keys.fingerprint(old)} -> {office_keys.fingerprint(new)}; "
        f"the old pair is in {retired}."
    )
    if args.signing:
        print(
            f"Every kiosk now ignores the office's acks until it pins the new {directory / OFFICE_VERIFY_FILE}: "
            f"'{PIN_HINT}'. Copy {OFFICE_SIGNING_FILE} to every office machine that runs serve, update or web."
        )
    else:
        print(
            f"Kiosks keep sealing to the old key until they pin the new {directory / CENTRAL_PUBLIC_FILE} "
            f"('{PIN_HINT}'); the retired key still opens those requests, so keep it. Back up the folder again."
        )
    return 0


def _passphrase(args: argparse.Namespace, twice: bool) -> str | None:
    if args.passphrase_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("Backup passphrase: ")
    if twice and getpass.getpass("Again: ") != first:
        print("kiosk-central keys: the two passphrases differ", file=sys.stderr)
        return ""
    return first


def _backup(args: argparse.Namespace, directory: Path) -> int:
    if not (directory / CENTRAL_PRIVATE_FILE).exists():
        return _fail("backup", f"there are no office keys in {directory}; run 'kiosk-central keys init'")
    passphrase = _passphrase(args, twice=True)
    if passphrase is None:
        return _fail("backup", "no terminal to ask the passphrase on: pipe it in with --passphrase-stdin")
    if len(passphrase) < MIN_PASSPHRASE:
        return _fail("backup", f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    files = {
        str(p.relative_to(directory)): p.read_text()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.endswith(".tmp")
    }
    kdf = nacl.pwhash.argon2id
    ops, mem = kdf.OPSLIMIT_MODERATE, kdf.MEMLIMIT_MODERATE
    salt = nacl.utils.random(kdf.SALTBYTES)
    box = nacl.secret.SecretBox(kdf.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, ops, mem))
    sealed = box.encrypt(json.dumps(files).encode())
    record = {
        "kdf": "argon2id",
        "opslimit": ops,
        "memlimit": mem,
        "salt": base64.b64encode(salt).decode(),
        "secretbox": base64.b64encode(bytes(sealed)).decode(),
    }
    out = Path(args.file)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(BACKUP_MAGIC + "\n" + json.dumps(record) + "\n")
    print(
        f"{out}: {len(files)} files of {directory}, sealed with the passphrase (Argon2id, secretbox). Keep it "
        "apart from the server and the passphrase apart from it; 'kiosk-central keys restore FILE' puts it back."
    )
    return 0


def _restore(args: argparse.Namespace, directory: Path) -> int:
    source = Path(args.file)
    try:
        magic, body = source.read_text().split("\n", 1)
        record = json.loads(body)
    except (OSError, ValueError) as exc:
        return _fail("restore", f"{source} is not a backup made by 'kiosk-central keys backup' ({exc})")
    if magic != BACKUP_MAGIC or record.get("kdf") != "argon2id":
        return _fail("restore", f"{source} is not a backup made by 'kiosk-central keys backup'")
    passphrase = _passphrase(args, twice=False)
    if passphrase is None:
        return _fail("restore", "no terminal to ask the passphrase on: pipe it in with --passphrase-stdin")
    key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase.encode(),
        base64.b64decode(record["salt"]),
        int(record["opslimit"]),
        int(record["memlimit"]),
    )
    try:
        files = json.loads(nacl.secret.SecretBox(key).decrypt(base64.b64decode(record["secretbox"])))
    except CryptoError:
        return _fail("restore", f"the passphrase does not open {source} (or the file was changed)")
    clash = [
        name
        for name, text in files.items()
        if (directory / name).exists() and (directory / name).read_text() != text
    ]
    if clash:
        return _fail(
            "restore",
            f"{directory} already holds different {', '.join(clash)}; move them away first "
            "(a key that sealed requests must not be lost)",
        )
    _private_dir(directory)
    for name, text in files.items():
        target = directory / name
        _private_dir(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
    print(f"{directory}: restored {len(files)} files from {source}.")
    return _show(args, directory)


ACTIONS = {"init": _init, "show": _show, "backup": _backup, "restore": _restore, "rotate": _rotate}
