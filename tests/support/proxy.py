"""A TCP proxy between a client and the broker that can cut every connection, now or every few seconds.

It models a GPRS or VSAT link that drops: the client sees its socket closed and must reconnect and resend.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time

from tests.support.broker import free_port


class FlakyProxy:
    """Forward 127.0.0.1:``port`` to 127.0.0.1:``target``; ``cut_every`` seconds all connections are closed.

    ``rate`` throttles each connection (bytes per second) so that a large upload spans several cuts.
    """

    def __init__(self, target: int, cut_every: float | None = None, rate: float | None = None) -> None:
        self.target = target
        self.rate = rate
        """Bytes per second each direction of a connection may carry (a slow link), or None for no limit."""
        self.cut_every = cut_every
        self.port = free_port()
        self.cuts = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        if cut_every:
            self._threads.append(threading.Thread(target=self._cutter, daemon=True))

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> FlakyProxy:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.cut()
        self._server.close()
        for t in self._threads:
            t.join(timeout=5)

    def cut(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
        if pairs:
            self.cuts += 1

    def _cutter(self) -> None:
        assert self.cut_every
        while not self._stop.wait(self.cut_every):
            self.cut()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        try:
            sel.register(a, selectors.EVENT_READ, b)
            sel.register(b, selectors.EVENT_READ, a)
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.2):
                    data = key.fileobj.recv(4096 if self.rate else 65536)  # type: ignore[union-attr]
                    if not data:
                        raise OSError("closed")
                    key.data.sendall(data)
                    if self.rate:
                        time.sleep(len(data) / self.rate)
        except (OSError, ValueError):
            pass
        finally:
            sel.close()
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()
