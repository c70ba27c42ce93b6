"""The README's demo on embedded defaults: a request leaves the kiosk and is committed at the central office."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from layanan.domain.request import format_ticket

ROOT = Path(__file__).parents[1]


def test_demo_carries_a_request_from_the_kiosk_to_the_central_office(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "demo",
            "--scenario",
            "tests/scenarios/akta_lahir.json",
            "--data-dir",
            str(tmp_path),
            "--timeout",
            "90",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["at_central"] is True
    assert f"central office received ticket {format_ticket(result['ticket'])}" in proc.stderr  # 001 0001
    with sqlite3.connect(tmp_path / "demo" / "central.db") as db:
        # the demo's own kiosk (the generated history behind it comes from kiosk-* devices)
        stored = db.execute("SELECT msg_id FROM requests WHERE device_id NOT LIKE 'kiosk-%'").fetchall()
    assert stored == [(result["msg_id"],)]
    with sqlite3.connect(tmp_path / "queue.db") as db:
        state, sealed = db.execute(
            "SELECT state, sealed FROM requests WHERE msg_id = ?", (result["msg_id"],)
        ).fetchone()
    assert state == "acked" and sealed is None  # after the ack the kiosk keeps no personal data
