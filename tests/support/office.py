"""An office for the console's tests: keys, devices with village codes, requests sealed to the office key
(committed through the receiver's real store), accounts, and the console served by uvicorn on a free port."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from central import accounts, compose
from central.store import Device, StoredRequest
from central.web_cli import Running, build, serve_in_thread
from layanan.config import Settings, load_settings
from layanan.domain.request import ticket_code
from layanan.security.crypto import ensure_central_keypair, seal
from tools.net import free_port, wait_for_port

PASSWORD = "kata-sandi-uji-123"


def office_settings(
    data_dir: Path, db_url: str, broker_url: str = "mqtt://127.0.0.1:1", **central: Any
) -> Settings:
    layer = {
        "kiosk": {"data_dir": str(data_dir), "broker_url": broker_url},
        "central": {"db_url": db_url, "web_secure_cookies": False, **central},
    }
    return load_settings(None, env={}, overrides=layer)


@dataclass
class Office:
    settings: Settings
    db_url: str
    running: Running | None = None
    server: Any = None
    port: int = 0
    seq: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    """Device id -> its kiosk code, given in the order the devices are added (001, 002, ...)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Any:
        assert self.running is not None
        return self.running.console.db

    def device(self, device_id: str, village_code: str) -> None:
        store = compose.store(self.settings, self.db_url)
        try:
            code = f"{len(self.codes) + 1:03d}"
            self.codes[device_id] = code
            store.add_device(Device(device_id, "ab" * 32, village_code, "", time.time(), kiosk_code=code))
        finally:
            store.close()

    def request(
        self,
        device_id: str,
        service_id: str = "ktp_new",
        fields: dict[str, str] | None = None,
        photos: tuple[bytes, ...] = (),
        received_at: float | None = None,
        lang: str = "id",
    ) -> StoredRequest:
        """A request as the receiver stores it (sealed to the office key), with its photos complete."""
        keys = ensure_central_keypair(compose.keys_dir(self.settings))
        n = self.seq[device_id] = self.seq.get(device_id, 0) + 1
        personal = {"fields": fields or {"nik": "3201014507900001", "phone": "081234567890"}, "documents": []}
        sealed = seal(json.dumps(personal).encode(), keys.public_key)
        atts = []
        for photo in photos:
            blob = seal(photo, keys.public_key)
            atts.append((str(uuid.uuid4()), 1, len(blob), hashlib.sha256(blob).hexdigest(), blob))
        msg_id = str(uuid.uuid4())
        request = StoredRequest(
            msg_id,
            device_id,
            n,
            ticket_code(self.codes.get(device_id, "001"), n),
            service_id,
            lang,
            int(time.time() * 1000),
            time.time() if received_at is None else received_at,
            hashlib.sha256(msg_id.encode()).hexdigest(),
            sealed,
            len(atts),
            att_refs=tuple(a[:4] for a in atts),
        )
        from central.store import Chunk

        store = compose.store(self.settings, self.db_url)
        try:
            store.commit([request], [], [Chunk(a[0], 0, device_id, a[4], time.time()) for a in atts])
        finally:
            store.close()
        return request

    def user(self, name: str, role: str, area: str = "", office: str = "") -> None:
        from central.web_db import open_database

        db = open_database(self.settings, self.db_url, pool_size=1)
        try:
            accounts.add_user(db, name, role, PASSWORD, area, office)
        finally:
            db.close()

    def start(self, broker_url: str | None = None, link: bool = False) -> Office:
        self.running = build(self.settings, self.db_url, broker_url, link=link)
        self.port = free_port()
        self.server, _ = serve_in_thread(self.running, "127.0.0.1", self.port)
        wait_for_port(self.port, 15)
        return self

    def index(self) -> None:
        """Make cases of every stored request now (the indexer thread does it within a second)."""
        assert self.running is not None
        while self.running.indexer.run_once(full=True):
            pass

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            time.sleep(0.3)
        if self.running is not None:
            self.running.stop()


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
