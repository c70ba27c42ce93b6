"""Build a paho-mqtt 2.x client from the settings: protocol, persistent session, TLS, credentials, reconnect.

Shared by the kiosk uploader and the central receiver so both treat ``mqtt://`` / ``mqtts://``, the CA file and
the password file the same way. The client is wrapped, never subclassed.
"""

from __future__ import annotations

import logging
import socket
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from layanan.config import MqttSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
            raise ValueError(f"broker URL {url!r}: use mqtt://HOST:PORT or mqtts://HOST:PORT")
        tls = parsed.scheme == "mqtts"
        return cls(parsed.hostname, parsed.port or (8883 if tls else 1883), tls)


def make_client(
    client_id: str,
    url: str,
    settings: MqttSettings,
    *,
    persistent: bool = True,
    protocol: str | None = None,
    will: tuple[str, bytes] | None = None,
    max_inflight: int = 20,
) -> tuple[mqtt.Client, BrokerAddress]:
    """A configured client (not yet connected) and the address to connect to with :func:`connect_async`."""
    address = BrokerAddress.parse(url)
    proto = protocol or settings.protocol
    version = mqtt.MQTTv5 if proto == "5" else mqtt.MQTTv311
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=version,
        clean_session=None if version == mqtt.MQTTv5 else not persistent,
    )
    if settings.username:
        password = Path(settings.password_file).read_text().strip() if settings.password_file else None
        client.username_pw_set(settings.username, password)
    if address.tls:
        client.tls_set(ca_certs=settings.ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.reconnect_delay_set(min_delay=settings.reconnect_min_s, max_delay=settings.reconnect_max_s)  # type: ignore[arg-type]
    client.connect_timeout = settings.connect_timeout_s
    client.max_inflight_messages_set(max_inflight)
    client.max_queued_messages_set(0)
    return client, address


def connect_async(
    client: mqtt.Client,
    address: BrokerAddress,
    settings: MqttSettings,
    persistent: bool = True,
    session_expiry_s: int | None = None,
) -> None:
    """Start connecting in the background; paho's loop thread reconnects forever with the configured delays.

    ``session_expiry_s`` overrides ``settings.session_expiry_s`` (the kiosk's 7 days) for a persistent session."""
    if client.protocol == mqtt.MQTTv5:
        props = Properties(PacketTypes.CONNECT)
        if persistent:
            props.SessionExpiryInterval = (
                settings.session_expiry_s if session_expiry_s is None else session_expiry_s
            )
        client.connect_async(
            address.host,
            address.port,
            keepalive=settings.keepalive_s,
            clean_start=not persistent,
            properties=props,
        )
    else:
        client.connect_async(address.host, address.port, keepalive=settings.keepalive_s)


def set_nodelay(client: mqtt.Client) -> None:
    """Disable Nagle on the connected socket (call from on_connect).

    paho does not, and a PUBACK followed by a PUBLISH on the same socket then waits for the peer's delayed TCP
    ack (about 40 ms on Linux) at every turn: that alone limited a flush to a few windows per second.
    """
    sock = client.socket()
    if sock is None:
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError) as exc:
        log.debug("could not set TCP_NODELAY: %s", exc)


# --- why a connection failed ------------------------------------------------------------------------------------

CA, HOSTNAME, TLS, UNREACHABLE, AUTH, REFUSED = "ca", "hostname", "tls", "unreachable", "auth", "refused"
_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_AUTH_CODES = (134, 135)  # v5 "Bad user name or password", "Not authorized"; 3.1.1's 4 and 5 map here


@dataclass(frozen=True)
class ConnectProblem:
    """Why one attempt to connect failed, sorted by what a person does about it; ``detail`` is the library's own
    words (a certificate check, a CONNACK reason). Each side words the fix for its own files."""

    kind: str
    """CA (the certificate is not signed by the CA file), HOSTNAME (not made for the name dialled), TLS (any other
    TLS failure), UNREACHABLE (no TCP connection), AUTH (user or password refused), REFUSED (any other CONNACK)."""
    detail: str


def problem_of_error(exc: BaseException | None) -> ConnectProblem:
    """The problem behind an exception raised while connecting (TCP, TLS handshake)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or str(exc)
        return ConnectProblem(HOSTNAME if exc.verify_code in _MISMATCH else CA, detail)
    if isinstance(exc, ssl.SSLError):
        return ConnectProblem(TLS, exc.reason or str(exc))
    if exc is None:
        return ConnectProblem(UNREACHABLE, "connection failed")
    return ConnectProblem(UNREACHABLE, str(exc) or type(exc).__name__)


def problem_of_refusal(reason: object) -> ConnectProblem:
    """The problem behind a CONNACK that refused the client (paho's ReasonCode)."""
    return ConnectProblem(AUTH if getattr(reason, "value", None) in _AUTH_CODES else REFUSED, str(reason))


def watch_connect_failures(client: mqtt.Client, report: Callable[[ConnectProblem], None]) -> None:
    """Call ``report`` with the reason of every connect attempt that fails before the CONNACK.

    paho retries on its own and keeps the exception to itself; it calls ``on_connect_fail`` from inside its
    ``except`` block, so the exception is still the one being handled there."""

    def on_connect_fail(client: mqtt.Client, userdata: object) -> None:
        report(problem_of_error(sys.exc_info()[1]))

    client.on_connect_fail = on_connect_fail
