"""Ticket look-up anywhere (issue 36, finding 11) in the real Kivy window under Xvfb, with real touches: a citizen
types the 7 digits of a ticket made at another kiosk; this kiosk asks the office, and while the office cannot be
reached it shows and says "belum ada kabar" and the citizen can type again. (The office's answer on a real broker
and receiver: tests/central/test_ticket_lookup.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.test_usability_window import drive, keys, said

pytestmark = pytest.mark.slow


def test_ticket_lookup_at_another_kiosk_says_belum_ada_kabar_while_the_office_is_offline(
    tmp_path: Path,
) -> None:
    plan = ["tiket", *keys("4560042"), {"note": "typed"}, "ya", {"note": "asking"}]
    plan += [{"wait": 12}, {"note": "no_answer"}, "key:1", {"note": "again"}]
    offline = {
        "kiosk": {"broker_url": "mqtt://127.0.0.1:1"}
    }  # nothing listens there: the office is unreachable
    notes = drive(tmp_path, plan, offline)["notes"]
    assert any("456 0042" in text for text in notes["typed"]["content"]), notes["typed"]["content"]
    asking = notes["asking"]
    assert asking["screen"] == "status" and said(asking) == ["status.asking"]
    assert any("bertanya ke kantor" in text for text in asking["content"]), asking["content"]
    no_answer = notes["no_answer"]
    assert no_answer["screen"] == "status" and no_answer["error"] == "status.no_answer"
    assert said(no_answer) == ["err.status.no_answer"]
    shown = " ".join(no_answer["content"] + no_answer["banner"]).lower()
    assert "belum ada kabar" in shown, shown
    assert notes["again"]["entry"] == "1", "the citizen can type another ticket"
