"""The staff PIN: made and hashed at provisioning, checked on the kiosk; the digits are never stored or logged.

A stored PIN is ``scrypt$N$r$p$SALT$HASH`` (salt and hash in URL-safe base64), made with the standard library's
``hashlib.scrypt`` and a random 16-byte salt. A 6-digit PIN has only a million values, so the hash alone would not
stop someone who can read the config file: that is why the file is 0640 and the kiosk locks the staff view after a
few wrong tries (``kiosk.staff_pin``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets

DEMO_PIN = "1234"
"""The PIN of ``demo-*`` devices on embedded defaults (the README's demo). A provisioned kiosk never has it."""
NEW_PIN_DIGITS = (6, 8)
"""A PIN set at provisioning has 6 to 8 digits; a generated one has 6."""
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
"""scrypt's interactive-login cost: about 0.1 s on a laptop, a few tenths of a second on a Raspberry Pi 4."""
_SALT_BYTES, _HASH_BYTES = 16, 32
_HASH = re.compile(
    r"scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,64}={0,2})\$([A-Za-z0-9_-]{32,88}={0,2})"
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """The stored form of ``pin``: a fresh random salt each time, so two hashes of one PIN differ."""
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=_HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def is_pin_hash(text: str) -> bool:
    """True when ``text`` has the shape :func:`hash_pin` writes (what the config accepts)."""
    m = _HASH.fullmatch(text)
    if m is None:
        return False
    n, r, p = (int(g) for g in m.group(1, 2, 3))
    return n in {2**k for k in range(10, 18)} and 1 <= r <= 16 and 1 <= p <= 4  # at most 256 MiB to check


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` is the PIN whose hash is ``stored`` (constant-time comparison of the hashes)."""
    m = _HASH.fullmatch(stored)
    if m is None or not is_pin_hash(stored):
        return False
    n, r, p = (int(g) for g in m.group(1, 2, 3))
    salt, want = base64.urlsafe_b64decode(m.group(4)), base64.urlsafe_b64decode(m.group(5))
    got = hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=r, p=p, dklen=len(want), maxmem=129 * n * r * p + 2**20
    )
    return hmac.compare_digest(got, want)


def generate_pin(digits: int = 6) -> str:
    """A random PIN from the operating system's CSPRNG, never a weak one (see :func:`weak_pin_reason`)."""
    while True:
        pin = f"{secrets.randbelow(10**digits):0{digits}d}"
        if weak_pin_reason(pin) is None:
            return pin


def weak_pin_reason(pin: str) -> str | None:
    """Why ``pin`` may not be set at provisioning, or None when it may."""
    low, high = NEW_PIN_DIGITS
    if not (pin.isascii() and pin.isdigit() and low <= len(pin) <= high):
        return f"a staff PIN is {low} to {high} digits"
    if len(set(pin)) == 1:
        return "a staff PIN may not repeat one digit"
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        return "a staff PIN may not be a run of digits such as 123456"
    return None
