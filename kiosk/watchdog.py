"""systemd's sd_notify without a dependency: READY=1 once the kiosk is up, WATCHDOG=1 while its main loop
runs.

``kiosk.service`` is ``Type=notify`` with ``WatchdogSec=``: systemd restarts the kiosk when the pings stop, so
ping from the UI's main loop (e.g. a Kivy ``Clock.schedule_interval(lambda dt: watchdog.ping(),
watchdog.interval_s)``), never from a helper thread that would keep pinging while the screen is frozen.
Outside systemd (no ``$NOTIFY_SOCKET``) every call is a no-op that returns False."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def notify(state: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one sd_notify datagram (``READY=1``, ``WATCHDOG=1``, ``STATUS=...``); False outside systemd."""
    env = os.environ if env is None else env
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", env.get("NOTIFY_SOCKET"), exc)
        return False
    return True


class Watchdog:
    """The kiosk's side of ``WatchdogSec=``: ``ready()`` once, then ``ping()`` every ``interval_s``."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        usec = self._env.get("WATCHDOG_USEC", "")
        pid = self._env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.timeout_s: float | None = (
            int(usec) / 1_000_000 if usec.isdigit() and int(usec) > 0 and mine else None
        )

    @property
    def enabled(self) -> bool:
        return bool(self._env.get("NOTIFY_SOCKET"))

    @property
    def interval_s(self) -> float:
        """Half the watchdog timeout, as systemd recommends (10 s when no watchdog is asked for)."""
        return self.timeout_s / 2 if self.timeout_s else 10.0

    def ready(self, status: str = "serving") -> bool:
        return notify(f"READY=1\nSTATUS={status}", self._env)

    def ping(self) -> bool:
        return notify("WATCHDOG=1", self._env)

    def stopping(self) -> bool:
        return notify("STOPPING=1", self._env)
