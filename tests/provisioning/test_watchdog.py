"""sd_notify over a real AF_UNIX datagram socket, as systemd listens for it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.watchdog import Watchdog, notify


@pytest.fixture
def systemd_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    try:
        yield sock, path
    finally:
        sock.close()


def test_ready_and_watchdog_pings_reach_the_notify_socket(systemd_socket: tuple[socket.socket, str]) -> None:
    sock, path = systemd_socket
    dog = Watchdog({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert dog.enabled and dog.interval_s == 15.0
    assert dog.ready("kiosk up")
    assert sock.recv(4096) == b"READY=1\nSTATUS=kiosk up"
    assert dog.ping()
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_abstract_namespace_sockets_work_too() -> None:
    name = f"kiosk-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(64) == b"WATCHDOG=1"


def test_outside_systemd_every_call_is_a_quiet_no_op() -> None:
    dog = Watchdog({})
    assert not dog.enabled and dog.timeout_s is None
    assert dog.ready() is False and dog.ping() is False and dog.stopping() is False


def test_a_watchdog_meant_for_another_process_is_ignored() -> None:
    dog = Watchdog({"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"})
    assert dog.timeout_s is None


def test_a_vanished_socket_is_reported_not_raised(tmp_path: Path) -> None:
    assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False
