"""Provision devices and an office broker through the real ``kiosk-provision`` CLI, and talk MQTT to it."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties

from layanan.security.crypto import ensure_central_keypair, ensure_office_signing_key
from provisioning.cli import main as provision
from tools.net import Mosquitto, free_port

TIMEOUT = 10.0


def init_args(config: Path, data: Path, **changes: str) -> list[str]:
    """``kiosk-provision init`` of a test kiosk; ``changes`` replace or add flags (``**{"--kiosk-code": "042"}``)."""
    values = {
        "--device-id": "desa-test-01",
        "--village-code": "91.03.05.2001",
        "--kiosk-code": "001",
        "--broker-url": "mqtt://127.0.0.1:1883",
        "--data-dir": str(data),
    } | changes
    return ["init", "--config", str(config), *[x for kv in values.items() for x in kv]]


def run_ok(*argv: str | Path) -> None:
    rc = provision([str(a) for a in argv])
    assert rc == 0, f"kiosk-provision {' '.join(map(str, argv))} failed with {rc}"


@dataclass
class Office:
    """The central office: its sealing key pair, the broker files and (once started) the broker."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def keys(self) -> Path:
        return self.root / "office-keys"

    @property
    def broker_dir(self) -> Path:
        return self.root / "broker"

    @property
    def devices_dir(self) -> Path:
        return self.root / "registered"

    @property
    def ca(self) -> Path:
        return self.broker_dir / "ca.crt"

    @property
    def central_password(self) -> str:
        return (self.broker_dir / "central.password").read_text().strip()

    def prepare(self) -> Office:
        ensure_central_keypair(self.keys)
        ensure_office_signing_key(self.keys)
        self.devices_dir.mkdir(parents=True, exist_ok=True)
        self.broker_config()
        return self

    def broker_config(self, *extra: str) -> None:
        run_ok(
            "broker-config", self.broker_dir, "--devices", self.devices_dir, "--port", str(self.port), *extra
        )

    def start_broker(self) -> Mosquitto:
        lines = (self.broker_dir / "mosquitto.conf").read_text().splitlines()
        listener = next(line for line in lines if line.startswith(f"listener {self.port} "))
        rest = [line for line in lines if line != listener]
        # pytest's temporary directories are 0700: mosquitto must stay root to read the generated files there.
        broker = Mosquitto(self.root / "mosquitto-run", [*rest, "user root"], port=self.port)
        broker.listener = listener
        return broker.start()


@dataclass
class Device:
    device_id: str
    config: Path
    data_dir: Path

    @property
    def password(self) -> str:
        return (self.data_dir / "keys" / "broker.password").read_text().strip()


def provision_device(office: Office, root: Path, device_id: str, kiosk_code: str = "001") -> Device:
    config, data = root / device_id / "kiosk.toml", root / device_id / "data"
    run_ok("init", "--config", config, "--device-id", device_id, "--village-code", "91.03.05.2001",
           "--kiosk-code", kiosk_code, "--broker-url", f"mqtts://127.0.0.1:{office.port}",
           "--data-dir", data)  # fmt: skip
    run_ok(
        "keys",
        "--config",
        config,
        "--central-public",
        office.keys / "central_public.key",
        "--central-verify",
        office.keys / "central_verify.key",
        "--ca-cert",
        office.ca,
    )
    run_ok("register", "--config", config, "--out", office.devices_dir)
    return Device(device_id, config, data)


class Client:
    """A paho client that records what it receives; connect() waits for the broker's answer."""

    def __init__(
        self, port: int, user: str | None, password: str | None, ca: Path | None, client_id: str
    ) -> None:
        self.port = port
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.reason: object = None
        self.subacks: queue.Queue[list[object]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if user is not None:
            self.client.username_pw_set(user, password)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, msg: self.messages.put((msg.topic, msg.payload))
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.subacks.put(list(codes))
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        self.reason = reason
        if not getattr(reason, "is_failure", True):
            self.connected.set()
        self.answered.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        if self.reason is None:
            self.reason = reason
        self.answered.set()

    def connect(self) -> bool:
        self.client.connect("127.0.0.1", self.port, keepalive=30)
        self.client.loop_start()
        assert self.answered.wait(TIMEOUT), "the broker never answered the connect"
        return self.connected.is_set()

    def subscribe(self, topic: str) -> list[object]:
        self.client.subscribe(topic, qos=1)
        return self.subacks.get(timeout=TIMEOUT)

    def publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1, properties=Properties(mqtt.PacketTypes.PUBLISH))
        info.wait_for_publish(timeout=TIMEOUT)

    def next_message(self) -> tuple[str, bytes]:
        return self.messages.get(timeout=TIMEOUT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connects(port: int, user: str, password: str) -> bool:
    """CONNECT to a plain listener with these credentials; True when the broker lets the client in."""
    client = Client(port, user, password, None, f"t-{user}")
    try:
        return client.connect()
    finally:
        client.close()
