"""Local network plumbing for the demo, the benchmarks and the tests: a free port, a private Mosquitto, and a
TCP proxy that can be a slow link (GPRS, VSAT) and can drop every connection, now or every few seconds.

Tooling only: the kiosk and the office never import it. Everything listens on 127.0.0.1 and the proxy only ever
connects to the local port it is given.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``; TimeoutError after ``timeout``
    seconds, or BrokerError as soon as ``proc`` (the process that should listen) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BrokerError(f"the process exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout} s")


class BrokerError(RuntimeError):
    """Mosquitto is not installed or did not start; the message says which and quotes its log."""


@dataclass
class Mosquitto:
    """A mosquitto process of the caller's own on a free port, logging into ``workdir/mosquitto.log``.

    ``extra_config`` lines follow the defaults (anonymous access unless they set ``allow_anonymous`` or a
    ``password_file``); ``listener`` replaces the default plain listener (a TLS one); ``restart()`` keeps port,
    config and persistence.
    """

    workdir: Path
    extra_config: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    listener: str = ""
    persistence: bool = True
    """Keep messages in ``workdir`` across a restart; a benchmark turns it off to measure the link alone."""

    @property
    def url(self) -> str:
        return f"mqtt://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "mosquitto.log"

    def start(self, timeout: float = 10.0) -> Mosquitto:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port()
        conf = self.workdir / "mosquitto.conf"
        lines = [
            self.listener or f"listener {self.port} {HOST}",
            *(
                ["persistence true", f"persistence_location {self.workdir}/"]
                if self.persistence
                else ["persistence false"]
            ),
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            *self.extra_config,
        ]
        if not any(line.startswith(("allow_anonymous", "password_file")) for line in self.extra_config):
            lines.append("allow_anonymous true")
        conf.write_text("\n".join(lines) + "\n")
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen([exe, "-c", str(conf)], stdout=out, stderr=out)
        try:
            wait_for_port(self.port, timeout, self.proc)
        except (TimeoutError, BrokerError) as exc:
            self.stop()
            raise BrokerError(
                f"mosquitto did not start on port {self.port} ({exc}); its log:\n{self.log_text()}"
            ) from None
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_mosquitto(workdir: Path, extra_config: Iterable[str] = ()) -> Mosquitto:
    return Mosquitto(workdir, list(extra_config)).start()


@dataclass(frozen=True)
class Link:
    """A link profile: how fast it carries bytes each way and its round trip time."""

    name: str
    bits_per_s: float
    rtt_s: float

    @property
    def bytes_per_s(self) -> float:
        return self.bits_per_s / 8.0


GPRS = Link("gprs-40kbit", 40_000, 0.5)
VSAT = Link("vsat-2mbit-rtt0.5", 2_000_000, 0.5)


class _Pipe:
    """One direction of one connection: read as fast as data comes, deliver it after the link's one-way delay at
    no more than its rate (at once without a link). When either end closes, both sockets are shut down."""

    def __init__(
        self, src: socket.socket, dst: socket.socket, link: Link | None, stop: threading.Event
    ) -> None:
        self.src, self.dst, self.link, self.stop = src, dst, link, stop
        self.q: queue.Queue[tuple[float, bytes]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._write, daemon=True).start()

    def _read(self) -> None:
        try:
            while not self.stop.is_set():
                data = self.src.recv(4096 if self.link else 65536)
                if not data:
                    break
                self.q.put((time.monotonic(), data))
        except OSError:
            pass
        self.q.put((time.monotonic(), b""))

    def _write(self) -> None:
        next_free = time.monotonic()  # when the "wire" is free again
        try:
            while not self.stop.is_set():
                try:
                    arrived, data = self.q.get(timeout=0.2)
                except queue.Empty:
                    continue
                if not data:
                    break
                if self.link is None:
                    self.dst.sendall(data)
                    continue
                for i in range(0, len(data), 512):
                    piece = data[i : i + 512]
                    start = max(next_free, time.monotonic())
                    next_free = start + len(piece) / self.link.bytes_per_s
                    pause = max(next_free, arrived + self.link.rtt_s / 2) - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    self.dst.sendall(piece)
        except OSError:
            pass
        finally:
            for s in (self.dst, self.src):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


class Proxy:
    """Listen on 127.0.0.1:``port`` and forward each connection to 127.0.0.1:``target``, through ``link`` (a
    slow link) if given. ``cut()`` closes every connection (a dropped GPRS or VSAT link: the client must
    reconnect and resend); with ``cut_every`` it happens every that many seconds. ``start()``/``stop()``, or
    use it as a context manager."""

    def __init__(self, target: int, link: Link | None = None, cut_every: float | None = None) -> None:
        self.target, self.link, self.cut_every = target, link, cut_every
        self.cuts = 0
        """How many times ``cut()`` closed at least one connection."""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._server = socket.create_server((HOST, 0))
        self._server.settimeout(0.2)
        self.port = int(self._server.getsockname()[1])
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        if cut_every:
            self._threads.append(threading.Thread(target=self._cutter, daemon=True))

    @property
    def url(self) -> str:
        return f"mqtt://{HOST}:{self.port}"

    def start(self) -> Proxy:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.cut()
        self._server.close()
        for t in self._threads:
            if t.is_alive():
                t.join(timeout=5)

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cut(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
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
                upstream = socket.create_connection((HOST, self.target), timeout=5)
            except OSError as exc:
                log.warning("proxy: upstream port %d refused: %s", self.target, exc)
                client.close()
                continue
            upstream.settimeout(None)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._pairs.append((client, upstream))
            _Pipe(client, upstream, self.link, self._stop)
            _Pipe(upstream, client, self.link, self._stop)
