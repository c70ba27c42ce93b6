"""A kiosk and a central office for tests: data dirs, keys, short timeouts, subprocess helpers, PostgreSQL URLs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from layanan.config import Settings, load_settings
from layanan.security.crypto import (
    CENTRAL_PUBLIC_FILE,
    OFFICE_VERIFY_FILE,
    ensure_central_keypair,
    ensure_office_signing_key,
    ensure_signing_key,
    write_key,
)

ROOT = Path(__file__).resolve().parents[2]
TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

FAST = {
    "outbox": {"ack_timeout_s": 2.0, "retry_base_s": 0.2, "retry_max_s": 1.0, "telemetry_s": 1.0},
    "mqtt": {"reconnect_min_s": 0.2, "reconnect_max_s": 1.0, "keepalive_s": 10},
}
"""Timeouts for tests: a lost message is resent within a few seconds, a dropped link is redialled at once."""


@dataclass
class Site:
    """One kiosk (data dir with keys) and the central office's key dir."""

    root: Path
    device_id: str
    broker_url: str

    @property
    def data_dir(self) -> Path:
        return self.root / f"kiosk-{self.device_id}"

    @property
    def central_dir(self) -> Path:
        return self.root / "central"

    def settings(self, broker_url: str | None = None, **sections: dict[str, object]) -> Settings:
        layer: dict[str, dict[str, object]] = {k: dict(v) for k, v in FAST.items()}
        for name, values in sections.items():
            layer.setdefault(name, {}).update(values)
        layer["kiosk"] = {
            "data_dir": str(self.data_dir),
            "device_id": self.device_id,
            "broker_url": broker_url or self.broker_url,
        }
        layer.setdefault("central", {})["keys_dir"] = str(self.central_dir / "keys")
        return load_settings(env={}, overrides=layer)

    def cli_flags(self, broker_url: str | None = None, **sections: dict[str, object]) -> list[str]:
        flags = [
            "--data-dir",
            str(self.data_dir),
            "--device-id",
            self.device_id,
            "--broker-url",
            broker_url or self.broker_url,
        ]
        merged: dict[str, dict[str, object]] = {k: dict(v) for k, v in FAST.items()}
        for name, values in sections.items():
            merged.setdefault(name, {}).update(values)
        for section, values in merged.items():
            for key, value in values.items():
                flags += ["--set", f"{section}.{key}={value}"]
        return flags

    def device_record(self) -> Path:
        """The provisioning helper's record for this device."""
        key = ensure_signing_key(self.data_dir / "keys")
        path = self.root / f"{self.device_id}.json"
        path.write_text(
            json.dumps(
                {
                    "device_id": self.device_id,
                    "public_key": bytes(key.verify_key).hex(),
                    "village_code": "91.03.05.2001",
                    "credentials_sha256": "0" * 64,
                }
            )
        )
        return path


def make_site(root: Path, broker_url: str, device_id: str = "kiosk-test-01") -> Site:
    """Keys for the device and for central (sealing and ack-signing), as provisioning would leave them."""
    site = Site(root, device_id, broker_url)
    central = ensure_central_keypair(site.central_dir / "keys")
    office = ensure_office_signing_key(site.central_dir / "keys")
    ensure_signing_key(site.data_dir / "keys")
    write_key(site.data_dir / "keys" / CENTRAL_PUBLIC_FILE, bytes(central.public_key))
    write_key(site.data_dir / "keys" / OFFICE_VERIFY_FILE, bytes(office.verify_key))
    return site


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def spawn(module: str, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Run ``python -m module args`` with its output in ``log``."""
    fh = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(),
        stdout=fh,
        stderr=fh,
        start_new_session=True,
    )


def run_cli(module: str, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL, timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def postgres_schema_url() -> tuple[str, str]:
    """A URL with a schema of this test's own, and the schema name (drop it afterwards)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in TEST_POSTGRES_URL else "?"
    return f"{TEST_POSTGRES_URL}{sep}schema={schema}", schema


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
