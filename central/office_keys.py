"""The office's keys for the console and the exports: the private key that opens sealed citizen data (with the
retired ones kept by ``kiosk-central keys rotate``, so older requests still open), the secret of the NIK blind
index and the session-signing secret. The last two are made on first use (0600) and never leave the keys folder:
not into the database, not into a log, not to the browser."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from nacl.public import PrivateKey

from layanan.security.crypto import CENTRAL_PRIVATE_FILE, KeyFileError, read_key

NIK_INDEX_FILE = "nik_index.key"
SESSION_FILE = "web_session.key"
RETIRED_DIR = "retired"
"""Older key pairs, moved here by ``kiosk-central keys rotate``: never used to seal or sign, only to open."""


def private_key(keys_dir: Path) -> PrivateKey:
    """The office private key; KeyFileError says what is missing or wrong."""
    return PrivateKey(read_key(keys_dir / CENTRAL_PRIVATE_FILE, "central office private key"))


def retired_private_keys(keys_dir: Path) -> list[tuple[Path, PrivateKey]]:
    """The retired sealing keys, newest first (their file names start with the time they were retired)."""
    folder = keys_dir / RETIRED_DIR
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.central_private.key"), reverse=True)
    return [(f, PrivateKey(read_key(f, "retired central office private key"))) for f in files]


def opening_keys(keys_dir: Path) -> list[PrivateKey]:
    """Every key that may open a sealed request: the current one first, then the retired ones."""
    return [private_key(keys_dir), *(key for _, key in retired_private_keys(keys_dir))]


def fingerprint(public: bytes) -> str:
    """A public key as people compare it aloud: the first 8 bytes of its SHA-256 in four groups."""
    digest = hashlib.sha256(public).hexdigest()[:16]
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def secret(keys_dir: Path, name: str) -> bytes:
    """A 32-byte secret in ``keys_dir/name``, made once (O_EXCL, mode 0600) when it is not there."""
    path = keys_dir / name
    try:
        return read_key(path, name)
    except KeyFileError:
        if path.exists():
            raise
    keys_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return read_key(path, name)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_bytes(32).hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return read_key(path, name)


def nik_index(secret_key: bytes, nik: str) -> str:
    """The keyed blind index of a NIK: HMAC-SHA256 with the office's secret, so it cannot be guessed from the
    (small) space of possible NIKs without the secret."""
    digits = "".join(ch for ch in nik if ch.isdigit())
    return hmac.new(secret_key, digits.encode("ascii"), hashlib.sha256).hexdigest()
