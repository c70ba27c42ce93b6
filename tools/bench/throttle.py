"""A local TCP proxy that behaves like a slow link: a token bucket per direction and a one-way delay.

Used by ``kiosk bench vision`` (and tests) to put a GPRS-like (40 kbit/s) or VSAT-like (2 Mbit/s, 0.5 s round
trip) link between an MQTT client and a private broker on 127.0.0.1. It only ever connects to the upstream
address it is given. ``close()`` stops it.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    """A link profile."""

    name: str
    bits_per_s: float
    rtt_s: float

    @property
    def bytes_per_s(self) -> float:
        return self.bits_per_s / 8.0


GPRS = Link("gprs-40kbit", 40_000, 0.5)
VSAT = Link("vsat-2mbit-rtt0.5", 2_000_000, 0.5)


class _Pipe:
    """One direction: read as fast as data comes, deliver after the delay at no more than the rate."""

    def __init__(self, src: socket.socket, dst: socket.socket, link: Link, stop: threading.Event) -> None:
        self.src, self.dst, self.link, self.stop = src, dst, link, stop
        self.q: queue.Queue[tuple[float, bytes]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._write, daemon=True).start()

    def _read(self) -> None:
        try:
            while not self.stop.is_set():
                data = self.src.recv(4096)
                if not data:
                    break
                self.q.put((time.monotonic(), data))
        except OSError:
            pass
        self.q.put((time.monotonic(), b""))

    def _write(self) -> None:
        delay = self.link.rtt_s / 2
        rate = self.link.bytes_per_s
        next_free = time.monotonic()  # when the "wire" is free again
        try:
            while not self.stop.is_set():
                try:
                    arrived, data = self.q.get(timeout=0.2)
                except queue.Empty:
                    continue
                if not data:
                    break
                for i in range(0, len(data), 512):
                    piece = data[i : i + 512]
                    start = max(next_free, time.monotonic())
                    next_free = start + len(piece) / rate
                    deliver = max(next_free, arrived + delay)
                    pause = deliver - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    self.dst.sendall(piece)
        except OSError:
            pass
        finally:
            for s in (self.dst, self.src):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


class ThrottledProxy:
    """Listen on 127.0.0.1:<port>; forward each connection to ``upstream`` through a ``Link``."""

    def __init__(self, upstream: tuple[str, int], link: Link) -> None:
        self.upstream = upstream
        self.link = link
        self._stop = threading.Event()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.2)
        self.port = int(self._server.getsockname()[1])
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError as exc:
                log.warning("proxy: upstream %s refused: %s", self.upstream, exc)
                client.close()
                continue
            server.settimeout(None)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            _Pipe(client, server, self.link, self._stop)
            _Pipe(server, client, self.link, self._stop)

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()

    def __enter__(self) -> ThrottledProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
