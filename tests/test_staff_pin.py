"""The staff PIN: salted hashes, and the waits and locks that stop guessing (issue 33, item 5).

Before: the PIN was "1234" in clear and the staff view took unlimited tries, so trying 0000, 0001 ... opened it on
try 1235. Now a guesser gets a handful of tries, each wrong one makes the next wait longer, and a lock follows that
survives a restart of the app.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kiosk.staff_pin import STATE_FILE, StaffPinGuard, pin_checker
from layanan.config import ConfigError, load_settings
from layanan.security.pin import DEMO_PIN, generate_pin, hash_pin, is_pin_hash, verify_pin, weak_pin_reason

PIN = "482916"


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Counting:
    """A checker that counts how often a PIN was really compared."""

    def __init__(self, pin: str) -> None:
        self.pin, self.calls = pin, 0

    def __call__(self, pin: str) -> bool:
        self.calls += 1
        return pin == self.pin


def guard(tmp_path: Path, clock: Clock, check=None, tries: int = 5, lock_s: float = 300.0) -> StaffPinGuard:  # type: ignore[no-untyped-def]
    return StaffPinGuard(check or Counting(PIN), tmp_path / STATE_FILE, tries, lock_s, clock)


# --- hashing -------------------------------------------------------------------------------------------------------


def test_a_pin_is_stored_as_a_salted_hash_that_checks_only_that_pin() -> None:
    first, second = hash_pin(PIN), hash_pin(PIN)
    assert first != second  # a fresh salt each time: equal PINs do not show as equal hashes
    assert is_pin_hash(first) and first.startswith("scrypt$")
    assert PIN not in first
    assert verify_pin(PIN, first) and verify_pin(PIN, second)
    assert not verify_pin("482917", first) and not verify_pin("", first) and not verify_pin(PIN, "garbage")


def test_the_config_takes_only_a_well_formed_hash(tmp_path: Path) -> None:
    settings = load_settings(env={}, overrides={"kiosk": {"staff_pin_hash": hash_pin(PIN)}})
    assert verify_pin(PIN, settings.kiosk.staff_pin_hash)
    for bad in (
        "482916",
        "scrypt$16384$8$1$short$x",
        "scrypt$1099511627776$8$1$" + "A" * 24 + "$" + "B" * 44,
    ):
        with pytest.raises(ConfigError, match="staff_pin_hash"):
            load_settings(env={}, overrides={"kiosk": {"staff_pin_hash": bad}})
    assert load_settings(env={}).kiosk.staff_pin == ""  # no default PIN any more


def test_generated_pins_are_six_random_digits_and_never_weak() -> None:
    pins = {generate_pin() for _ in range(200)}
    assert len(pins) > 190
    assert all(len(p) == 6 and p.isdigit() and weak_pin_reason(p) is None for p in pins)
    for weak in ("1234", "123456", "987654", "000000", "12345a", "123456789"):
        assert weak_pin_reason(weak) is not None, weak


# --- which PIN a kiosk takes ---------------------------------------------------------------------------------------


def test_only_a_demo_device_opens_with_1234_and_a_provisioned_one_has_no_default(tmp_path: Path) -> None:
    def checker(**kiosk: object):  # type: ignore[no-untyped-def]
        return pin_checker(
            load_settings(env={}, overrides={"kiosk": {"data_dir": str(tmp_path), **kiosk}}).kiosk
        )

    demo = checker()
    assert demo is not None and demo(DEMO_PIN) and not demo(PIN)
    assert checker(device_id="desa-91030520-01") is None  # nothing set: the staff view stays shut
    assert checker(device_id="desa-91030520-01", staff_pin="1234") is None  # the old default, in clear
    legacy = checker(device_id="desa-91030520-01", staff_pin="4821")
    assert legacy is not None and legacy("4821") and not legacy("1234")
    hashed = checker(device_id="desa-91030520-01", staff_pin_hash=hash_pin(PIN))
    assert hashed is not None and hashed(PIN) and not hashed(DEMO_PIN)
    demo_hashed = checker(staff_pin_hash=hash_pin(PIN))
    assert demo_hashed is not None and not demo_hashed(DEMO_PIN)  # a hash, once set, wins on a demo too


# --- waits and locks -----------------------------------------------------------------------------------------------


def test_the_old_attack_trying_every_pin_in_a_row_gets_five_checks_and_then_nothing(tmp_path: Path) -> None:
    clock, check = Clock(), Counting("1234")
    g = guard(tmp_path, clock, check)
    opened = [pin for pin in (f"{n:04d}" for n in range(10_000)) if g.try_pin(pin).opened]
    assert opened == [] and check.calls == 1  # after the first wrong one, every try comes too early
    clock.now += 3600
    check.calls = 0
    for n in range(10_000):  # a patient guesser who waits exactly as long as told, for one day
        attempt = g.try_pin(f"{n:04d}")
        assert not attempt.opened or f"{n:04d}" == "1234"
        clock.now += max(attempt.wait_s, 0.01)
        if clock.now > 1_800_000_000.0 + 3600 + 86400 or attempt.opened:
            break
    assert check.calls < 250, f"{check.calls} PINs checked in a day"


def test_each_wrong_pin_waits_longer_then_the_view_locks_and_the_lock_grows(tmp_path: Path) -> None:
    clock, check = Clock(), Counting(PIN)
    g = guard(tmp_path, clock, check)
    waits = []
    for _ in range(5):
        attempt = g.try_pin("111111")
        assert attempt.checked and not attempt.opened
        waits.append(attempt.wait_s)
        early = g.try_pin(PIN)  # even the right PIN is not looked at during a wait
        assert not early.opened and not early.checked
        clock.now += attempt.wait_s
    assert waits == [1, 2, 4, 8, 300]
    assert check.calls == 5
    for _ in range(5):  # the next round ends in a lock twice as long
        attempt = g.try_pin("111111")
        clock.now += attempt.wait_s
    assert attempt.locked and attempt.wait_s == 600


def test_the_right_pin_after_the_lock_opens_and_starts_afresh(tmp_path: Path) -> None:
    clock = Clock()
    g = guard(tmp_path, clock, tries=3, lock_s=60)
    for wait in (1, 2):
        assert g.try_pin("111111").wait_s == wait
        clock.now += wait
    assert g.try_pin("111111").locked and g.locked
    clock.now += 59
    assert not g.try_pin(PIN).opened and g.locked
    clock.now += 1
    assert not g.locked and g.try_pin(PIN).opened
    assert g.try_pin("111111").wait_s == 1  # a new round from the first wait


def test_a_lock_survives_a_restart_of_the_app(tmp_path: Path) -> None:
    clock = Clock()
    g = guard(tmp_path, clock, tries=2, lock_s=120)
    g.try_pin("111111")
    clock.now += 1
    assert g.try_pin("111111").locked
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["locks"] == 1 and PIN not in json.dumps(state) and "111111" not in json.dumps(state)
    restarted = guard(tmp_path, clock, tries=2, lock_s=120)
    assert restarted.locked and not restarted.try_pin(PIN).opened
    clock.now += 120
    assert restarted.try_pin(PIN).opened
    assert not guard(tmp_path, clock, tries=2, lock_s=120).locked


def test_a_clock_set_back_does_not_lock_for_longer_than_the_rules_allow(tmp_path: Path) -> None:
    clock = Clock()
    g = guard(tmp_path, clock, tries=2, lock_s=60)
    g.try_pin("111111")
    clock.now += 1
    g.try_pin("111111")
    clock.now -= 10 * 365 * 86400  # booted without an RTC: ten years in the past
    restarted = guard(tmp_path, clock, tries=2, lock_s=60)
    assert 0 < restarted.wait_s() <= 8 * 60


def test_a_damaged_lock_file_locks_rather_than_opens(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    clock = Clock()
    g = guard(tmp_path, clock)
    assert g.locked and not g.try_pin(PIN).opened
    clock.now += 300
    assert g.try_pin(PIN).opened


def test_no_pin_on_the_kiosk_opens_nothing(tmp_path: Path) -> None:
    g = StaffPinGuard(None, tmp_path / STATE_FILE, clock=Clock())
    assert not g.has_pin and not g.try_pin("").opened and not g.try_pin(DEMO_PIN).opened


def test_the_log_counts_tries_and_never_holds_a_digit_of_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    checker = pin_checker(
        load_settings(
            env={}, overrides={"kiosk": {"device_id": "desa-log-01", "staff_pin_hash": hash_pin(PIN)}}
        ).kiosk
    )
    g = guard(tmp_path, clock, checker, tries=3, lock_s=60)
    with caplog.at_level(logging.INFO, logger="kiosk.staff_pin"):
        for _ in range(3):
            clock.now += g.try_pin("135790").wait_s
        g.try_pin("135790")
        clock.now += 60
        assert g.try_pin(PIN).opened
    text = caplog.text
    assert "wrong PIN (1 of 3" in text and "locked for 60 s" in text and "opened" in text
    for secret in ("135790", PIN, "1357", "4829"):
        assert secret not in text
