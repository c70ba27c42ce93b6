"""Shared fixtures: a private Mosquitto per test that asks for one; in CI a skipped test fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.net import Mosquitto, start_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = start_mosquitto(tmp_path / "broker")
    try:
        yield broker
    finally:
        broker.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """CI installs every tool the tests use (espeak-ng, mosquitto_passwd, systemd-analyze...), so a test that
    skipped there hides a missing dependency: the run fails and names the skipped tests."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == 0:
        names = ", ".join(sorted({r.nodeid for r in skipped})[:10])
        print(f"\nCI: {len(skipped)} test(s) skipped ({names}); install what they need, do not skip in CI")
        session.exitstatus = 1
