"""``kiosk bench outbox`` runs end to end on a small backlog and reports every figure with the machine."""

from __future__ import annotations

import json

from tests.support.cli import kiosk


def test_outbox_bench_reports_rates_sizes_and_baselines():
    proc = kiosk("bench", "outbox", "--json", "-n", "200", "--sqlite-commits", "100", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["flush_complete"] is True and report["n"] == 200
    for key in (
        "durable_enqueue_per_s",
        "raw_sqlite_full_commits_per_s",
        "flush_acked_per_s",
        "raw_paho_qos1_per_s",
    ):
        assert report[key] > 0
    assert 300 < report["publish_packet_bytes"] < 1024
    assert report["machine"]["cpus"] >= 1
