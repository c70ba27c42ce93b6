"""Who may open the staff view: the PIN check, a growing wait after each wrong PIN, and a lock after several.

The rules (``kiosk.staff_pin_tries``, ``kiosk.staff_pin_lock_s``): after the n-th wrong PIN in a row the next try is
accepted only after 2**(n-1) seconds (at most 30); the ``tries``-th wrong PIN locks the staff view for ``lock_s``
seconds, and each further lock before the right PIN lasts twice as long (up to 8 times). A try during a wait or a
lock is refused without being checked. The counters live in ``<data_dir>/staff-pin.json``, so restarting the app
(or pulling the plug) does not lift a lock. Log lines count tries and never carry a digit.

The stored times are wall-clock times (they must survive a restart); a kiosk without an RTC may boot with a wrong
clock, so a wait never counts as longer than the longest the rules allow.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from layanan.config import KioskSettings
from layanan.security.pin import DEMO_PIN, verify_pin

log = logging.getLogger(__name__)

STATE_FILE = "staff-pin.json"
FIRST_WAIT_S, MAX_WAIT_S, MAX_LOCK_FACTOR = 1.0, 30.0, 8
OLD_DEFAULT_PIN = "1234"
"""The PIN every kiosk had before ``init`` made one; in clear in an old config it opens nothing (except on a demo)."""

Checker = Callable[[str], bool]


def pin_checker(kiosk: KioskSettings) -> Checker | None:
    """What the staff view checks a PIN with, from the settings; None when this kiosk has no PIN (then the staff
    view does not open: run ``kiosk-provision init``)."""
    demo = kiosk.device_id.startswith("demo-")
    if kiosk.staff_pin_hash:
        stored = kiosk.staff_pin_hash
        return lambda pin: verify_pin(pin, stored)
    if kiosk.staff_pin and (demo or kiosk.staff_pin != OLD_DEFAULT_PIN):
        legacy = kiosk.staff_pin.encode()
        log.warning("the staff PIN is stored in clear in the config; run 'kiosk-provision init' to hash it")
        return lambda pin: hmac.compare_digest(pin.encode(), legacy)
    if demo:
        return lambda pin: hmac.compare_digest(pin.encode(), DEMO_PIN.encode())
    log.warning(
        "no staff PIN is set (or only the old default 1234): the staff view stays shut; run kiosk-provision init"
    )
    return None


@dataclass(frozen=True)
class Attempt:
    """What one try led to."""

    opened: bool
    checked: bool
    """False when the try came during a wait or a lock (or there is no PIN): it was not even compared."""
    wait_s: float = 0.0
    """Seconds before the next try is accepted (0: at once)."""
    locked: bool = False


class StaffPinGuard:
    """The PIN check with its waits and locks; ``clock`` is the wall clock (seconds since the epoch)."""

    def __init__(
        self,
        check: Checker | None,
        state_path: Path | None,
        tries: int = 5,
        lock_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._check, self.state_path, self.tries, self.lock_s, self._clock = (
            check,
            state_path,
            tries,
            lock_s,
            clock,
        )
        self.failures = 0  # wrong PINs in a row in this round (a lock ends the round)
        self.locks = 0  # locks since the last right PIN
        self.not_before = 0.0  # no try is checked before this time
        self._load()

    @classmethod
    def from_settings(cls, kiosk: KioskSettings, clock: Callable[[], float] = time.time) -> StaffPinGuard:
        return cls(
            pin_checker(kiosk),
            kiosk.data_dir / STATE_FILE,
            kiosk.staff_pin_tries,
            kiosk.staff_pin_lock_s,
            clock,
        )

    @property
    def has_pin(self) -> bool:
        return self._check is not None

    def _longest_wait(self) -> float:
        return max(MAX_WAIT_S, self.lock_s * MAX_LOCK_FACTOR)

    def wait_s(self) -> float:
        """Seconds before a try is checked again; a wait stored under a wrong (later corrected) clock is cut to the
        longest the rules allow."""
        left = self.not_before - self._clock()
        if left > self._longest_wait():
            self.not_before = self._clock() + self._longest_wait()
            left = self._longest_wait()
        return max(0.0, left)

    @property
    def locked(self) -> bool:
        return self.locks > 0 and self.failures == 0 and self.wait_s() > 0

    def try_pin(self, pin: str) -> Attempt:
        if self._check is None:
            log.warning(
                "staff view: a PIN was tried, but this kiosk has no staff PIN; run kiosk-provision init"
            )
            return Attempt(opened=False, checked=False)
        wait = self.wait_s()
        if wait > 0:
            log.info("staff view: a PIN tried %.0f s too early (%s) was not checked", wait,
                     "locked" if self.locked else "waiting")  # fmt: skip
            return Attempt(opened=False, checked=False, wait_s=wait, locked=self.locked)
        if self._check(pin):
            if self.failures or self.locks:
                log.info("staff view opened after %d wrong PIN(s) and %d lock(s)", self.failures, self.locks)
            else:
                log.info("staff view opened")
            self.failures = self.locks = 0
            self.not_before = 0.0
            self._save()
            return Attempt(opened=True, checked=True)
        self.failures += 1
        if self.failures >= self.tries:
            self.locks += 1
            self.failures = 0
            wait = min(self.lock_s * 2 ** (self.locks - 1), self.lock_s * MAX_LOCK_FACTOR)
            log.warning("staff view locked for %.0f s after %d wrong PINs in a row (lock %d)", wait, self.tries,
                        self.locks)  # fmt: skip
        else:
            wait = min(FIRST_WAIT_S * 2 ** (self.failures - 1), MAX_WAIT_S)
            log.warning("staff view: wrong PIN (%d of %d before a lock); next try in %.0f s", self.failures,
                        self.tries, wait)  # fmt: skip
        self.not_before = self._clock() + wait
        self._save()
        return Attempt(opened=False, checked=True, wait_s=wait, locked=self.failures == 0)

    # --- persistence: a small JSON file, written only on a wrong PIN and on the first right one after -----------

    def _load(self) -> None:
        if self.state_path is None:
            return
        try:
            state = json.loads(self.state_path.read_text())
            self.failures, self.locks = int(state["failures"]), int(state["locks"])
            self.not_before = float(state["not_before"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError):
            # a damaged file must not open the view: count it as a lock
            log.warning(
                "staff view: %s is unreadable; locking as after %d wrong PINs", self.state_path, self.tries
            )
            self.failures, self.locks, self.not_before = 0, 1, self._clock() + self.lock_s

    def _save(self) -> None:
        if self.state_path is None:
            return
        data = json.dumps({"failures": self.failures, "locks": self.locks, "not_before": self.not_before})
        tmp: str | None = None
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".staff-pin.", dir=self.state_path.parent)
            with os.fdopen(fd, "w") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.state_path)
        except OSError as exc:  # a full or read-only disk: the lock still holds while the app runs
            log.error("staff view: cannot save the PIN lock to %s (%s)", self.state_path, exc.strerror)
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
