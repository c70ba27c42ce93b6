"""``kiosk-provision keys``: the device's signing key and broker password; pins the office's public keys and
CA.

Everything lands in ``<data_dir>/keys`` (mode 0700): ``device_signing.key`` (Ed25519, made once),
``broker.password`` (random, 0600, made once unless ``--rotate-password``), ``central_public.key`` (the X25519
key the office gives, citizen data is sealed to it), ``central_verify.key`` (the office's Ed25519 key: the
uploader acts only on acks and status updates it signed) and ``ca.crt`` (the CA that signed the broker's TLS
certificate). A pinned key or CA is never silently replaced: a different one needs ``--repin``, since a
changed office key is exactly what an attacker would try. The config gets the broker user, password file and
CA file."""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
from pathlib import Path

from cryptography import x509

from layanan.config import Settings
from layanan.security.crypto import (
    CENTRAL_PUBLIC_FILE,
    OFFICE_VERIFY_FILE,
    KeyFileError,
    ensure_signing_key,
    read_key,
)
from provisioning.common import (
    BROKER_PASSWORD_FILE,
    CA_FILE,
    ProvisionError,
    add_config_flag,
    atomic_write_bytes,
    config_path,
    guarded,
    keys_dir,
    read_device_settings,
    replace_section,
    write_device_settings,
)

NO_CONFIG_FLAGS = True


def make_password() -> str:
    """32 random bytes, URL-safe: far beyond guessing, so the broker's hash iterations do not matter."""
    return secrets.token_urlsafe(32)


def credentials_sha256(password: str) -> str:
    """What the register record carries instead of the password."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def read_password(path: Path) -> str:
    try:
        password = path.read_text().strip()
    except FileNotFoundError:
        raise ProvisionError(
            f"the broker password {path} is missing; run 'kiosk-provision keys' first"
        ) from None
    if len(password) < 16:
        raise ProvisionError(
            f"the broker password in {path} is too short; run 'kiosk-provision keys --rotate-password'"
        )
    return password


def ensure_password(path: Path, rotate: bool) -> tuple[str, bool]:
    if path.exists() and not rotate:
        return read_password(path), False
    password = make_password()
    atomic_write_bytes(path, (password + "\n").encode(), mode=0o600)
    return password, True


def load_ca(path: Path, field: str) -> bytes:
    """Read a PEM CA certificate and check that it is one; return its PEM bytes."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ProvisionError(
            f"{field} {path} cannot be read ({exc.strerror}); pass the office's CA file (PEM)"
        ) from None
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise ProvisionError(f"{field} {path} is not a PEM certificate; pass the office's ca.crt") from None
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ProvisionError(
            f"{field} {path} is a server certificate, not a CA; pass the CA file (ca.crt) instead"
        )
    return pem


def pin(target: Path, new: bytes, what: str, flag: str, repin: bool, mode: int) -> str:
    """Pin ``new`` at ``target``; return 'pinned', 'unchanged' or 're-pinned'."""
    existed = target.exists()
    if existed:
        if target.read_bytes().strip() == new.strip():
            return "unchanged"
        if not repin:
            raise ProvisionError(
                f"a different {what} is already pinned in {target}; if the office really changed it, "
                f"run keys again with {flag} and --repin"
            )
    atomic_write_bytes(target, new, mode=mode)
    return "re-pinned" if existed else "pinned"


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    parser.add_argument(
        "--central-public", type=Path, help="the office's X25519 public key file (central_public.key)"
    )
    parser.add_argument(
        "--central-verify",
        type=Path,
        help="the office's Ed25519 public key that signs acks and status updates (central_verify.key)",
    )
    parser.add_argument("--ca-cert", type=Path, help="the CA certificate of the office broker (ca.crt, PEM)")
    parser.add_argument("--repin", action="store_true", help="replace an already pinned office key or CA")
    parser.add_argument(
        "--rotate-password", action="store_true", help="make a new broker password (re-register!)"
    )


def keys(args: argparse.Namespace) -> int:
    path = config_path(args)
    settings = read_device_settings(path)
    kdir = keys_dir(settings)
    central_target = kdir / CENTRAL_PUBLIC_FILE
    ca_target = kdir / CA_FILE
    tls = settings.kiosk.broker_url.startswith("mqtts://")

    # Check every input before anything is written.
    central_raw: bytes | None = None
    if args.central_public is not None:
        try:
            central_raw = read_key(args.central_public, "--central-public")
        except KeyFileError as exc:
            raise ProvisionError(
                f"{str(exc).split(';')[0]}; pass the central_public.key file the office gave you"
            ) from None
    elif not central_target.exists():
        raise ProvisionError(
            "the central office public key is missing; pass --central-public FILE "
            "(central_public.key from the office)"
        )
    ca_pem = load_ca(args.ca_cert, "--ca-cert") if args.ca_cert is not None else None
    if tls and ca_pem is None and not ca_target.exists():
        raise ProvisionError(
            f"the broker URL {settings.kiosk.broker_url} uses TLS but no CA is pinned; pass --ca-cert "
            "FILE (the office's ca.crt)"
        )
    verify_target = kdir / OFFICE_VERIFY_FILE
    verify_raw: bytes | None = None
    if args.central_verify is not None:
        try:
            verify_raw = read_key(args.central_verify, "--central-verify")
        except KeyFileError as exc:
            raise ProvisionError(
                f"{str(exc).split(';')[0]}; pass the central_verify.key file the office gave you"
            ) from None
        if central_raw is not None and verify_raw == central_raw:
            raise ProvisionError(
                "--central-verify is the same key as --central-public; pass central_verify.key (the office's "
                "signing key, from 'kiosk-central keys'), not central_public.key"
            )
    elif not verify_target.exists():
        raise ProvisionError(
            "the office signing key is missing; pass --central-verify FILE (central_verify.key from the office, "
            "made by 'kiosk-central keys'): without it the kiosk cannot tell the office's acks from forged ones"
        )

    kdir.mkdir(parents=True, exist_ok=True)
    os.chmod(kdir, 0o700)
    made_key = not (kdir / "device_signing.key").exists()
    signing = ensure_signing_key(kdir)
    _, made_password = ensure_password(kdir / BROKER_PASSWORD_FILE, args.rotate_password)
    notes = [
        f"signing key {'made' if made_key else 'kept'} (public {bytes(signing.verify_key).hex()[:16]}...)",
        f"broker password {'made' if made_password else 'kept'}",
    ]
    if central_raw is not None:
        key_line = (central_raw.hex() + "\n").encode()  # the format of layanan.security.crypto.write_key
        state = pin(
            central_target, key_line, "central office public key", "--central-public", args.repin, 0o600
        )
        notes.append(f"office key {state}")
    if verify_raw is not None:
        state = pin(
            verify_target,
            (verify_raw.hex() + "\n").encode(),
            "office signing key",
            "--central-verify",
            args.repin,
            0o600,
        )
        notes.append(f"office signing key {state}")
    if ca_pem is not None:
        notes.append(f"CA {pin(ca_target, ca_pem, 'broker CA', '--ca-cert', args.repin, 0o644)}")

    new = replace_section(
        settings,
        "mqtt",
        username=settings.kiosk.device_id,
        password_file=str(kdir / BROKER_PASSWORD_FILE),
        ca_file=str(ca_target) if ca_target.exists() else "",
    )
    if new != settings:
        write_device_settings(path, new)
        notes.append("config updated")
    print(f"{kdir}: " + "; ".join(notes) + ". Next: kiosk-provision register")
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    return guarded("keys", keys, args)
