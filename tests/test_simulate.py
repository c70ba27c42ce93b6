"""``kiosk simulate`` end to end: every shipped scenario becomes a stored, sealed request; bad scenarios fail clearly."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import kiosk

ROOT = Path(__file__).parents[1]
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.json"))


def simulate(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return kiosk(*args, "--data-dir", str(data_dir), "-v", timeout=60)


def test_every_scenario_completes_into_a_stored_request_without_personal_data_in_clear(tmp_path):
    data = tmp_path / "data"
    secrets: set[str] = set()
    for path in SCENARIOS:
        proc = simulate("simulate", str(path), data_dir=data)
        assert proc.returncode == 0, f"{path.name}: {proc.stderr}"
        request = json.loads(proc.stdout)["request"]
        assert request["service_id"] == path.stem and request["state"] == "pending"
        secrets |= {v for v in request["fields"].values() if len(v) >= 8}
        for value in request["fields"].values():  # nothing a citizen entered reaches the log
            if len(value) >= 4:
                assert value not in proc.stderr
    with sqlite3.connect(data / "queue.db") as db:
        stored = {row[0] for row in db.execute("SELECT service_id FROM requests")}
    assert stored == {p.stem for p in SCENARIOS}
    raw = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert secrets and not [s for s in secrets if s.encode() in raw]


def test_targets_lists_the_element_ids_of_every_screen(tmp_path):
    proc = simulate("simulate", "--targets", data_dir=tmp_path)
    targets = json.loads(proc.stdout)
    assert "cat:ktp" in targets["category"] and "key:0" in targets["field (nik)"]
    assert "svc:ktp_replace" in targets["service (ktp)"] and "opt:lost" in targets["field (replace_reason)"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"events": [{"tap": "start"}, {"tap": "cat:nothing"}]}',
            "event 2: screen 'language' has no element",
        ),
        ('{"events": [{"jump": 3}]}', "event 1: 'jump' with 3 is not a valid event"),
        ('{"events": [', "not valid JSON at line 1"),
        ('{"steps": []}', "an object with an 'events' list"),
        ('{"events": [{"speak": "a.wav", "hold": [2, 1]}]}', "'hold' must be [press, release] in seconds"),
    ],
)
def test_bad_scenario_is_a_clear_error_with_nonzero_exit(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    proc = simulate("simulate", str(path), data_dir=tmp_path / "data")
    assert proc.returncode == 2
    assert message in proc.stderr


def test_unmet_expectation_fails_the_run(tmp_path):
    scenario = json.loads((ROOT / "tests/scenarios/ktp_new.json").read_text())
    scenario["expect"]["service_id"] = "kk_new"
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(scenario))
    proc = simulate("simulate", str(path), data_dir=tmp_path / "data")
    assert proc.returncode == 1 and "expected service_id = 'kk_new'" in proc.stderr


def test_a_ticket_queued_by_one_scenario_is_found_by_the_status_screen_of_the_next(tmp_path):
    data = tmp_path / "data"
    made = simulate("simulate", str(ROOT / "tests" / "scenarios" / "ktp_new.json"), data_dir=data)
    ticket = json.loads(made.stdout)["request"]["ticket"]
    keys = [{"tap": f"key:{d}"} for d in ticket[-4:]]
    lookup = tmp_path / "status.json"
    lookup.write_text(json.dumps({"events": [{"tap": "tiket"}, *keys, {"tap": "ya"}]}))
    proc = simulate("simulate", str(lookup), data_dir=data)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["screen"] == "status" and result["request"] is None
    assert result["ticket_status"] == {"ticket": ticket, "status": ""}
