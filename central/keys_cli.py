"""``kiosk-central keys``: make the office's key pairs once, and say which public files the technicians pin.

- ``central_private.key`` / ``central_public.key`` (X25519): kiosks seal citizen data to the public key; only the
  office, with the private key, opens it.
- ``central_signing.key`` / ``central_verify.key`` (Ed25519): receivers sign every ack and status update; kiosks
  act only on those that verify against the pinned ``central_verify.key``, so a forged ack never wipes a kiosk's
  sealed copy.

Existing keys are kept: running it again changes nothing, and replacing an office key means re-pinning it on every
kiosk. The folder is ``central.keys_dir`` (default ``keys/`` in the data dir), mode 0700; every key file is 0600.
"""

from __future__ import annotations

import argparse
import os

from central import compose
from layanan.config import Settings
from layanan.security.crypto import (
    CENTRAL_PRIVATE_FILE,
    CENTRAL_PUBLIC_FILE,
    OFFICE_SIGNING_FILE,
    OFFICE_VERIFY_FILE,
    ensure_central_keypair,
    ensure_office_signing_key,
)


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, settings: Settings) -> int:
    directory = compose.keys_dir(settings)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
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
        f"--central-verify {OFFICE_VERIFY_FILE}'. The private keys never leave this folder."
    )
    return 0
