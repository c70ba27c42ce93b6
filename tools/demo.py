"""``kiosk demo``: a broker, the central office and a kiosk on one machine, on embedded defaults.

Starts a private Mosquitto on a free port with its own data dir, ``kiosk-central serve`` on SQLite, the office
console (``kiosk-central web``, its URL and a demo login printed), the uploader, and the kiosk window; prints each
request the moment the central office has committed it. ``--scenario FILE`` drives the flow headless instead of
opening the window (used by the tests and handy over SSH).

The demo's own lines go to the terminal's original stderr (``sys.__stderr__``): Kivy replaces ``sys.stderr``
with its logger when it is imported, which turned them into ``WARNING kivy: stderr: demo: ...``.
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
from layanan.domain.request import format_ticket
from tools.net import Mosquitto, free_port

BROKER_CONFIG = ["set_tcp_nodelay true", "max_queued_messages 10000"]
"""On top of tools.net's defaults (persistence in the demo's data dir, errors and warnings logged)."""
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-kantor-desa"
"""The console's demo login (a supervisor: sees every request, changes states, reads the audit log)."""

_TERMINAL = sys.__stderr__ or sys.stderr
"""The terminal as it was before Kivy wrapped sys.stderr."""


def say(message: str) -> None:
    """One plain line for the person running the demo."""
    print(f"demo: {message}", file=_TERMINAL, flush=True)


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
        self.console: Any = None
        self.console_server: Any = None
        self.console_url = ""

    def start(self) -> None:
        self.broker.start(timeout=15)
        say(f"broker on {self.url} (data and log in {self.broker.workdir})")
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
        say(f"central office receiver on SQLite {self.central_db}")
        self._start_console()
        self.uploader = compose.uploader(self.settings, keys).start()
        threading.Thread(target=self._watch, daemon=True).start()

    @staticmethod
    def _relay(proc: subprocess.Popen[str], connected: threading.Event) -> None:
        """Pass the receiver's log through, and note when it has subscribed (requests sent before are not lost,
        only resent after the ack timeout, which a demo should not wait for)."""
        assert proc.stderr is not None
        for line in proc.stderr:
            _TERMINAL.write(line)
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
                    say(
                        f"central office received ticket {format_ticket(row.ticket)} ({row.service_id}) from "
                        f"{row.device_id}, acknowledged; it is in the console's inbox"
                    )

    def _start_console(self) -> None:
        """The office console on the demo's database and broker, with a demo login."""
        from central import accounts
        from central.web_cli import build, serve_in_thread

        central = dataclasses.replace(
            self.settings.central,
            db_url=f"sqlite:///{self.central_db}",
            keys_dir=str(wiring.demo_central_dir(self.settings)),
            web_secure_cookies=False,  # plain http on this machine only
        )
        settings = dataclasses.replace(self.settings, central=central)
        self.console = build(settings, central.db_url, self.url)
        db = self.console.console.db
        if accounts.by_name(db, DEMO_USER) is None:
            accounts.add_user(db, DEMO_USER, "supervisor", DEMO_PASSWORD)
        else:
            accounts.reset(db, DEMO_USER, DEMO_PASSWORD)
        port = settings.central.web_port if _port_free(settings.central.web_port) else free_port()
        self.console_server, _ = serve_in_thread(self.console, "127.0.0.1", port)
        self.console_url = f"http://127.0.0.1:{port}/"
        say(f"office console on {self.console_url} (login: {DEMO_USER} / {DEMO_PASSWORD})")
        say(
            f"public page (no login) on {self.console_url}publik, the supervisors' plan on {self.console_url}rencana"
        )
        threading.Thread(target=self._history, args=(settings, central.db_url, db), daemon=True).start()

    def _history(self, settings: Settings, db_url: str, db: Any) -> None:
        """A generated history behind the demo's own kiosk, so that /publik and /rencana have something to show."""
        from tools.office_history import demo

        try:
            demo(settings, db_url, db, say)
        except Exception as exc:  # noqa: BLE001 - the demo goes on without it
            say(f"the generated history could not be loaded ({exc}); /publik and /rencana stay empty")

    def stop(self) -> None:
        self.stop_event.set()
        if self.console_server is not None:
            self.console_server.should_exit = True
        if self.console is not None:
            self.console.stop()
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


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


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
        say("opening the kiosk window (close it to stop the demo)")
        make_app(demo.settings).run()
        return 0
    except RuntimeError as exc:
        print(f"kiosk demo: {exc}", file=_TERMINAL)
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
        print(f"kiosk demo: {path} ended on screen '{result['screen']}' without a request", file=_TERMINAL)
        return 1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and request["msg_id"] not in demo.seen:
        time.sleep(0.2)
    arrived = request["msg_id"] in demo.seen
    print(json.dumps({"ticket": request["ticket"], "msg_id": request["msg_id"], "at_central": arrived}))
    return 0 if arrived else 1
