"""The staff view's PIN in a real Kivy window under Xvfb, with real touches (issue 33, item 5): wrong PINs make the
next try wait, several lock the view, the lock holds across a restart of the app, and the right PIN opens the view
once the lock is over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ui.test_app_window import run_window_script


def by_step(result: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {entry["step"]: entry for entry in result["log"]}


@pytest.mark.slow
def test_wrong_pins_lock_the_staff_view_and_the_right_pin_opens_it_after_the_lock(tmp_path: Path) -> None:
    result = run_window_script("tests.ui.staff_pin", tmp_path, "expire", "3")
    steps = by_step(result)
    assert "error_step" not in result, result["log"]
    assert steps["opened"]["status"] == "ready"
    assert steps["wrong 1"]["status"] == "wait" and steps["wrong 2"]["status"] == "wait"
    assert steps["wrong 3"]["status"] == "locked" and "Terkunci" in steps["wrong 3"]["display"]
    during = steps["right pin during lock"]
    assert during["status"] == "locked" and during["title"] != "Antrean permohonan"  # refused unchecked
    assert steps["lock over"]["at"] - steps["wrong 3"]["at"] >= 2.5
    after = steps["right pin after"]
    assert after["status"] == "open" and after["title"] == "Antrean permohonan"
    for entry in result["log"]:  # what the screen showed never had the digits
        assert "604719" not in entry["display"] and "111111" not in entry["display"]


@pytest.mark.slow
def test_the_lock_holds_when_the_app_is_restarted(tmp_path: Path) -> None:
    first = run_window_script("tests.ui.staff_pin", tmp_path, "lock", "120")
    assert "error_step" not in first, first["log"]
    assert by_step(first)["wrong 3"]["status"] == "locked"
    state = json.loads((tmp_path / "data" / "staff-pin.json").read_text())
    assert state["locks"] == 1
    again = run_window_script("tests.ui.staff_pin", tmp_path, "restart", "120")
    steps = by_step(again)
    assert steps["after restart"]["status"] == "locked"
    assert steps["right pin after restart"]["status"] == "locked"
    assert steps["right pin after restart"]["title"] != "Antrean permohonan"
