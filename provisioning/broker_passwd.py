"""Mosquitto password file lines: ``user:$7$ITERATIONS$SALT$HASH`` (PBKDF2-HMAC-SHA512, base64), as mosquitto
2 reads.

``mosquitto_passwd`` makes them when it is installed (a technician laptop may not have it); otherwise this
module makes the same format itself. Both are checked against a real mosquitto in the tests.

The password goes to ``mosquitto_passwd`` on its standard input (it asks twice and reads a line each time when
stdin is not a terminal), never with ``-b`` on its command line: any local user can read a process's arguments
(``ps``, ``/proc/PID/cmdline``) while it runs."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ITERATIONS = 101
"""mosquitto_passwd's own default; the passwords are 32 random bytes, so stretching them adds nothing."""
SALT_BYTES = 12


def python_entry(user: str, password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    b64 = base64.b64encode
    return f"{user}:$7${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def tool_entry(user: str, password: str, exe: str) -> str:
    """One line made by ``mosquitto_passwd``, the password fed on stdin (never in its argv)."""
    if not password or any(c in password for c in "\r\n\0"):
        raise ValueError("a broker password must be one non-empty line (no CR, LF or NUL)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "passwd"
        path.touch(mode=0o600)
        subprocess.run(
            [exe, str(path), user],
            input=f"{password}\n{password}\n",  # "Password:" and "Reenter password:"
            text=True,
            check=True,
            capture_output=True,
            timeout=30,
        )
        line = path.read_text().strip()
    if not check_entry(
        line, password
    ):  # e.g. a version that truncates long input: never hand out a wrong line
        raise RuntimeError(f"{exe} wrote an entry that does not match the password; use_tool=False avoids it")
    return line


def password_entry(user: str, password: str, use_tool: bool | None = None) -> str:
    """One password file line; ``use_tool`` None means mosquitto_passwd when present, else Python."""
    exe = shutil.which("mosquitto_passwd")
    if use_tool is None:
        use_tool = exe is not None
    if use_tool:
        if exe is None:
            raise FileNotFoundError("mosquitto_passwd is not installed")
        return tool_entry(user, password, exe)
    return python_entry(user, password)


def check_entry(line: str, password: str) -> bool:
    """True when ``line`` is a $7$ entry for ``password`` (is a stored entry still current?)."""
    try:
        _, rest = line.strip().split(":", 1)
        _, kind, iterations, salt, digest = rest.split("$")
        if kind != "7":
            return False
        got = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations))
        return got == base64.b64decode(digest)
    except ValueError:
        return False
