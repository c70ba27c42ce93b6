"""Console accounts: roles, areas, Argon2id password hashes (argon2-cffi) and the wrong-password throttle.

A clerk works the requests of one area (a Kemendagri kode wilayah prefix such as ``91.03``) and one office type
(``dukcapil``, ``desa``, ``dinsos``: the catalog's ``office`` of each service); a supervisor reads the audit log,
the dead letters and exports; a technician watches the fleet. After ``lock_after - 2`` wrong passwords in a row each
further try waits longer (2, 4, 8 ... s); at ``lock_after`` the account is locked until ``users reset``.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from central.db import Database

ROLES = ("clerk", "supervisor", "technician")
OFFICES = ("dukcapil", "desa", "dinsos")
_AREA = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory defaults
_DUMMY_HASH = _hasher.hash("not a password of anybody")


class AccountError(ValueError):
    """An account cannot be made or changed as asked; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    area: str
    office: str
    disabled: bool
    failed: int
    locked: bool
    generation: int
    """Bumped on every password reset or disable: sessions of an older generation end."""

    def sees_area(self, village_code: str) -> bool:
        return in_area(village_code, self.area)

    def sees_office(self, office: str) -> bool:
        return not self.office or office == self.office

    @property
    def may_open_personal_data(self) -> bool:
        return self.role in ("clerk", "supervisor")


def in_area(village_code: str, area: str) -> bool:
    """``91.03`` covers ``91.03`` and ``91.03.xx...``, not ``91.030``."""
    return not area or village_code == area or village_code.startswith(area + ".")


def check_area(area: str) -> str:
    if area and not _AREA.match(area):
        raise AccountError(f"area {area!r}: use a kode wilayah prefix such as 91 or 91.03 or 91.03.05")
    return area


_USER_COLS = "id, name, role, area, office, disabled, failed, locked, generation"


def _user(row: tuple) -> User:  # type: ignore[type-arg]
    return User(
        int(row[0]), row[1], row[2], row[3], row[4], bool(row[5]), int(row[6]), bool(row[7]), int(row[8])
    )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


def add_user(db: Database, name: str, role: str, password: str, area: str = "", office: str = "") -> User:
    if not _NAME.match(name):
        raise AccountError(f"name {name!r}: use 2-40 lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if office and office not in OFFICES:
        raise AccountError(f"office {office!r}: use one of {', '.join(OFFICES)}")
    if role == "clerk" and not office:
        raise AccountError("a clerk works for one office: add --office dukcapil|desa|dinsos")
    check_area(area)
    check_password(password)
    with db.tx() as cur:
        if cur.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"user {name} exists already; 'users reset {name}' sets a new password")
        cur.execute(
            "INSERT INTO users (name, role, area, office, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, role, area, office, _hasher.hash(password), time.time()),
        )
    found = by_name(db, name)
    assert found is not None
    return found


def by_name(db: Database, name: str) -> User | None:
    row = db.one(f"SELECT {_USER_COLS} FROM users WHERE name = ?", (name,))
    return None if row is None else _user(row)


def by_id(db: Database, user_id: int) -> User | None:
    row = db.one(f"SELECT {_USER_COLS} FROM users WHERE id = ?", (user_id,))
    return None if row is None else _user(row)


def list_users(db: Database) -> list[User]:
    return [_user(r) for r in db.query(f"SELECT {_USER_COLS} FROM users ORDER BY name")]


def set_disabled(db: Database, name: str, disabled: bool = True) -> bool:
    return (
        db.execute(
            "UPDATE users SET disabled = ?, generation = generation + 1 WHERE name = ?", (int(disabled), name)
        )
        == 1
    )


def reset(db: Database, name: str, password: str | None = None) -> bool:
    """Unlock (and clear the wrong-password count); with ``password``, also set it (older sessions end)."""
    if password is None:
        return (
            db.execute("UPDATE users SET failed = 0, next_try_at = 0, locked = 0 WHERE name = ?", (name,))
            == 1
        )
    check_password(password)
    return (
        db.execute(
            "UPDATE users SET password_hash = ?, failed = 0, next_try_at = 0, locked = 0,"
            " generation = generation + 1 WHERE name = ?",
            (_hasher.hash(password), name),
        )
        == 1
    )


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    problem: str = ""
    """``""`` on success, else ``wrong``, ``wait`` (with ``wait_s``), ``locked`` or ``disabled``."""
    wait_s: int = 0


def delay_after(failed: int, lock_after: int) -> float:
    """Seconds before the next try is taken after ``failed`` wrong passwords in a row (0 for the first few)."""
    free = max(1, lock_after - 2)
    return 0.0 if failed < free else float(min(2 ** (failed - free + 1), 300))


def login(db: Database, name: str, password: str, lock_after: int, now: float | None = None) -> LoginResult:
    """Check a password; counts wrong ones, enforces the growing delay and the lock."""
    now = time.time() if now is None else now
    row = db.one(f"SELECT {_USER_COLS}, password_hash, next_try_at FROM users WHERE name = ?", (name,))
    if row is None:
        # the same work as for a real account, so a wrong name cannot be told from a wrong password
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return LoginResult(None, "wrong")
    user, stored_hash, next_try_at = _user(row[:9]), row[9], float(row[10])
    if user.disabled:
        return LoginResult(None, "disabled")
    if user.locked:
        return LoginResult(None, "locked")
    if now < next_try_at:
        return LoginResult(None, "wait", int(next_try_at - now) + 1)
    try:
        _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failed = user.failed + 1
        locked = failed >= lock_after
        wait = delay_after(failed, lock_after)
        db.execute(
            "UPDATE users SET failed = ?, locked = ?, next_try_at = ? WHERE id = ?",
            (failed, int(locked), now + wait, user.id),
        )
        if locked:
            return LoginResult(None, "locked")
        return LoginResult(None, "wait" if wait else "wrong", int(wait))
    if _hasher.check_needs_rehash(stored_hash):
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), user.id))
    if user.failed:
        db.execute("UPDATE users SET failed = 0, next_try_at = 0 WHERE id = ?", (user.id,))
    return LoginResult(user)
