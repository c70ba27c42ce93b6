"""``kiosk demo``: a broker, the central office and a kiosk on one machine, on embedded defaults.

Starts a private Mosquitto on a free port with its own data dir, ``kiosk-central serve`` on SQLite, the uploader,
and the kiosk window; prints each request the moment the central office has committed it. ``--scenario FILE``
drives the flow headless instead of opening the window (used by the tests and handy over SSH).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kiosk import compose
from kiosk.outbox import wiring
from layanan.config import Settings
from tools.net import Mosquitto, free_port

BROKER_CONFIG = ["set_tcp_nodelay true", "max_queued_messages 10000"]
"""On top of tools.net's defaults (persistence in the demo's data dir, errors and warnings logged)."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", help="drive this kiosk simulate scenario instead of opening the window")
    parser.add_argument(
        "--timeout", type=float, default=60, help="with --scenario: seconds to wait for central"
    )


class Demo:
    """The three processes and the watcher; ``stop()`` ends them all."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.data_dir / "demo"
        self.broker = Mosquitto(
            self.root / "broker", [f"user {getpass.getuser()}", *BROKER_CONFIG], port=free_port()
        )
        self.url = self.broker.url
        kiosk = dataclasses.replace(settings.kiosk, broker_url=self.url)
        self.settings = dataclasses.replace(settings, kiosk=kiosk)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stop_event = threading.Event()
        self.seen: set[str] = set()
        self.uploader: Any = None

    def start(self) -> None:
        self.broker.start(timeout=15)
        print(f"demo: broker on {self.url} (data and log in {self.broker.workdir})", file=sys.stderr)
        keys = compose.device_keys(self.settings)  # makes the demo device key and the stand-in central key
        self._register(keys.public_hex)
        central = [
            sys.executable,
            "-m",
            "central.cli",
            "serve",
            "--broker",
            self.url,
            "--db",
            f"sqlite:///{self.central_db}",
            "--client-id",
            "demo-central",
            "--data-dir",
            str(self.root / "central"),
            "--set",
            f"central.keys_dir={wiring.demo_central_dir(self.settings)}",
        ]
        receiver = subprocess.Popen(central, stderr=subprocess.PIPE, text=True)
        self.procs.append(receiver)  # type: ignore[arg-type]
        connected = threading.Event()
        threading.Thread(target=self._relay, args=(receiver, connected), daemon=True).start()
        if not connected.wait(30):
            raise RuntimeError(
                "the central receiver did not connect to the demo broker within 30 s; see above"
            )
        print(f"demo: central office receiver on SQLite {self.central_db}", file=sys.stderr)
        self.uploader = compose.uploader(self.settings, keys).start()
        threading.Thread(target=self._watch, daemon=True).start()

    @staticmethod
    def _relay(proc: subprocess.Popen[str], connected: threading.Event) -> None:
        """Pass the receiver's log through, and note when it has subscribed (requests sent before are not lost,
        only resent after the ack timeout, which a demo should not wait for)."""
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            if "receiver connected" in line:
                connected.set()

    def _register(self, public_hex: str) -> None:
        """What a technician does with ``kiosk-provision register`` and ``kiosk-central devices import``."""
        from central.store import Device, SqliteStore

        record = {
            "device_id": self.settings.kiosk.device_id,
            "public_key": public_hex,
            "village_code": self.settings.kiosk.village_code,
            "credentials_sha256": "",
        }
        store = SqliteStore(self.central_db)
        try:
            store.add_device(Device.from_record(record, time.time()))
        finally:
            store.close()

    @property
    def central_db(self) -> Path:
        return self.root / "central.db"

    def _watch(self) -> None:
        """Print every request the central office has committed (no personal data: ticket and service only)."""
        from central.store import SqliteStore

        while not self.stop_event.wait(1.0):
            if not self.central_db.exists():
                continue
            try:
                store = SqliteStore(self.central_db)
                try:
                    rows = store.requests()
                finally:
                    store.close()
            except Exception:  # the receiver may be creating its schema right now
                continue
            for row in rows:
                if row.msg_id not in self.seen:
                    self.seen.add(row.msg_id)
                    print(
                        f"demo: central office received ticket {row.ticket} ({row.service_id}) from "
                        f"{row.device_id}, acknowledged",
                        file=sys.stderr,
                        flush=True,
                    )

    def stop(self) -> None:
        self.stop_event.set()
        if self.uploader is not None:
            self.uploader.stop()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.broker.stop()


def run(args: argparse.Namespace, settings: Settings) -> int:
    demo = Demo(settings)
    # a SIGTERM (systemd, timeout, Ctrl-C in another terminal) still stops broker and receiver
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        demo.start()
        if args.scenario:
            return _scenario(demo, Path(args.scenario), args.timeout)
        from kiosk.ui.app import configure_window, make_app

        configure_window(demo.settings)
        print("demo: opening the kiosk window (close it to stop the demo)", file=sys.stderr)
        make_app(demo.settings).run()
        return 0
    except RuntimeError as exc:
        print(f"kiosk demo: {exc}", file=sys.stderr)
        return 2
    finally:
        demo.stop()


def _scenario(demo: Demo, path: Path, timeout: float) -> int:
    import json

    from kiosk.session import KioskSession
    from kiosk.simulate import RecordingQueue, load_scenario, run_scenario, speech_hearer

    flow = compose.flow(demo.settings)
    session = KioskSession(flow, RecordingQueue(compose.open_queue(demo.settings)))
    result = run_scenario(flow, session, load_scenario(path), path.parent, speech_hearer(demo.settings))
    request = result["request"]
    if request is None:
        print(f"kiosk demo: {path} ended on screen '{result['screen']}' without a request", file=sys.stderr)
        return 1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and request["msg_id"] not in demo.seen:
        time.sleep(0.2)
    arrived = request["msg_id"] in demo.seen
    print(json.dumps({"ticket": request["ticket"], "msg_id": request["msg_id"], "at_central": arrived}))
    return 0 if arrived else 1
