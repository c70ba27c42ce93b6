"""What the office receiver says when it cannot get into the broker: the file, the user and the fix.

``layanan.link`` sorts a failed connect into a :class:`~layanan.link.ConnectProblem`; this module words it for the
office, whose files come from ``kiosk-provision broker-config`` (``central.toml``, ``ca.crt``, ``central.password``;
docs/operations.md, "The office receiver's settings"). :class:`ProblemLog` says each cause once, not at every
retry, and says when the link works again.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from layanan.config import MqttSettings
from layanan.link import AUTH, CA, HOSTNAME, TLS, UNREACHABLE, BrokerAddress, ConnectProblem

MADE_BY = "'kiosk-provision broker-config'"


def explain(problem: ConnectProblem, settings: MqttSettings, url: str) -> str:
    """One sentence: what failed, with which file or user, and what to do."""
    address = BrokerAddress.parse(url)
    where = f"{address.host}:{address.port}"
    if problem.kind == CA:
        if not settings.ca_file:
            return (
                f"cannot verify the broker's certificate with the system's CA list ({problem.detail}): mqtt.ca_file "
                f"is not set; set it in central.toml to the ca.crt made by {MADE_BY}"
            )
        return (
            f"cannot verify the broker's certificate with CA file {settings.ca_file} ({problem.detail}): copy the "
            f"CA that signed the broker's certificate, made by {MADE_BY}, to that path"
        )
    if problem.kind == HOSTNAME:
        return (
            f"the broker's certificate is not valid for {address.host} ({problem.detail}): dial a name it was made "
            f"for (kiosk.broker_url), or add this one with 'kiosk-provision broker-config --server-name {address.host}'"
        )
    if problem.kind == TLS:
        return (
            f"TLS with the broker at {where} failed ({problem.detail}): check that {url} is its TLS listener "
            "(mqtts:// for the TLS port, mqtt:// for a plain one)"
        )
    if problem.kind == UNREACHABLE:
        return f"cannot reach the broker at {where} ({problem.detail}): is mosquitto running and listening there?"
    if problem.kind == AUTH:
        if not settings.username:
            return (
                f"broker refused the receiver ({problem.detail}): no broker user is set; set mqtt.username and "
                f"mqtt.password_file in central.toml (written by {MADE_BY})"
            )
        return (
            f"broker refused user {settings.username!r} ({problem.detail}): the password in "
            f"{settings.password_file or '(no mqtt.password_file)'} does not match the broker's password file; "
            f"re-run {MADE_BY} and copy central.password"
        )
    return f"broker at {where} refused the receiver ({problem.detail})"


def missing_files(settings: MqttSettings, url: str) -> str | None:
    """Before connecting: a CA or password file named in the settings that cannot be read, said with the fix."""
    wanted = []
    if BrokerAddress.parse(url).tls and settings.ca_file:
        wanted.append(("CA file", settings.ca_file, "mqtt.ca_file", "ca.crt"))
    if settings.username and settings.password_file:
        wanted.append(("password file", settings.password_file, "mqtt.password_file", "central.password"))
    for what, name, key, made in wanted:
        try:
            Path(name).read_bytes()
        except OSError as exc:
            why = (
                "does not exist" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc.strerror})"
            )
            return f"{what} {name} ({key}) {why}: copy the {made} made by {MADE_BY} there"
    return None


class ProblemLog:
    """Logs a connect problem once (as an error) until it changes or the link works; repeats go to debug."""

    def __init__(self, log: logging.Logger, settings: MqttSettings, url: str) -> None:
        self._log, self._settings, self._url = log, settings, url
        self._last: str | None = None
        self._lock = threading.Lock()

    def report(self, problem: ConnectProblem) -> None:
        text = explain(problem, self._settings, self._url)
        with self._lock:
            repeated, self._last = text == self._last, text
        if repeated:
            self._log.debug("%s (again)", text)
        else:
            self._log.error("%s", text)

    def connected(self) -> bool:
        """Forget the last problem; True when there was one (the caller says the link is back)."""
        with self._lock:
            had, self._last = self._last is not None, None
        return had
