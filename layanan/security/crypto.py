"""Ed25519 signatures for envelopes, acks and status updates, and sealed boxes for citizen data.

A device holds its own Ed25519 signing key, the central office's X25519 public key and the office's Ed25519
public key. Personal data is sealed to the X25519 key before it touches the device's disk, so only central can open
it. The office signs every ack and status update it sends; the kiosk acts only on those that verify against the
pinned office key, so a forged ack never wipes a sealed copy. Key files are 32 raw bytes, hex-encoded on one line,
written with mode 0600.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

SIGNING_KEY_FILE = "device_signing.key"
CENTRAL_PUBLIC_FILE = "central_public.key"
CENTRAL_PRIVATE_FILE = "central_private.key"
OFFICE_SIGNING_FILE = "central_signing.key"
"""The office's Ed25519 key that signs acks and status updates (stays at the office, made by kiosk-central keys)."""
OFFICE_VERIFY_FILE = "central_verify.key"
"""Its public half: handed to technicians and pinned on every kiosk (kiosk-provision keys --central-verify)."""


class KeyFileError(RuntimeError):
    """A key file is missing or unreadable; the message names the file and the provisioning step that makes it."""


def write_key(path: Path, raw: bytes) -> None:
    """Write a key atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(raw.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_key(path: Path, what: str) -> bytes:
    try:
        raw = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        raise KeyFileError(
            f"{what} {path} is missing; run 'kiosk-provision keys' to make or pin it"
        ) from None
    except ValueError:
        raise KeyFileError(f"{what} {path} is not a hex key; run 'kiosk-provision keys' again") from None
    if len(raw) != 32:
        raise KeyFileError(f"{what} {path} holds {len(raw)} bytes, not 32; run 'kiosk-provision keys' again")
    return raw


@dataclass(frozen=True)
class DeviceKeys:
    """What a kiosk needs to sign envelopes and seal citizen data."""

    signing: SigningKey
    central_public: PublicKey

    @property
    def public_hex(self) -> str:
        return bytes(self.signing.verify_key).hex()


def load_device_keys(keys_dir: Path) -> DeviceKeys:
    return DeviceKeys(
        SigningKey(read_key(keys_dir / SIGNING_KEY_FILE, "device signing key")),
        PublicKey(read_key(keys_dir / CENTRAL_PUBLIC_FILE, "central office public key")),
    )


def ensure_signing_key(keys_dir: Path) -> SigningKey:
    """Load the device key, making one the first time (idempotent)."""
    path = keys_dir / SIGNING_KEY_FILE
    if not path.exists():
        write_key(path, bytes(SigningKey.generate()))
    return SigningKey(read_key(path, "device signing key"))


def ensure_central_keypair(keys_dir: Path) -> PrivateKey:
    """Central's sealing key pair (for the demo and tests; central keeps the private half)."""
    path = keys_dir / CENTRAL_PRIVATE_FILE
    if not path.exists():
        key = PrivateKey.generate()
        write_key(path, bytes(key))
        write_key(keys_dir / CENTRAL_PUBLIC_FILE, bytes(key.public_key))
    return PrivateKey(read_key(path, "central office private key"))


def ensure_office_signing_key(keys_dir: Path) -> SigningKey:
    """The office's signing key and its public file, made the first time (idempotent)."""
    path = keys_dir / OFFICE_SIGNING_FILE
    if not path.exists():
        key = SigningKey.generate()
        write_key(path, bytes(key))
        write_key(keys_dir / OFFICE_VERIFY_FILE, bytes(key.verify_key))
    return load_office_signing_key(keys_dir)


def load_office_signing_key(keys_dir: Path) -> SigningKey:
    path = keys_dir / OFFICE_SIGNING_FILE
    try:
        return SigningKey(read_key(path, "office signing key"))
    except KeyFileError as exc:
        raise KeyFileError(
            f"{str(exc).split(';')[0]}; run 'kiosk-central keys' once at the office, then pin "
            f"{OFFICE_VERIFY_FILE} on every kiosk (docs/upgrading.md)"
        ) from None


def load_office_verify_key(keys_dir: Path) -> bytes:
    """The office's public signing key pinned on a kiosk (raw 32 bytes)."""
    try:
        return read_key(keys_dir / OFFICE_VERIFY_FILE, "office signing public key")
    except KeyFileError as exc:
        raise KeyFileError(
            f"{str(exc).split(';')[0]}; pin the office's {OFFICE_VERIFY_FILE} with "
            "'kiosk-provision keys --central-verify FILE' (docs/upgrading.md)"
        ) from None


def seal(data: bytes, central_public: PublicKey) -> bytes:
    return bytes(SealedBox(central_public).encrypt(data))


def unseal(data: bytes, central_private: PrivateKey | Sequence[PrivateKey]) -> bytes:
    """Open a sealed box with the office key, or with the first of several (the current key, then retired ones)."""
    keys = [central_private] if isinstance(central_private, PrivateKey) else list(central_private)
    for key in keys:
        try:
            return bytes(SealedBox(key).decrypt(data))
        except CryptoError:
            continue
    raise ValueError("sealed data cannot be opened with this central key")


def sign(message: bytes, key: SigningKey) -> bytes:
    """A detached 64-byte Ed25519 signature."""
    return bytes(key.sign(message).signature)


def verify(message: bytes, signature: bytes, public: bytes) -> bool:
    try:
        VerifyKey(public).verify(message, signature)
    except (BadSignatureError, ValueError):
        return False
    return True
