"""``kiosk bench outbox [--json]``: durable enqueue, backlog flush with acks, bytes per request, and baselines.

Everything runs in one go on a private Mosquitto (started here on a free port) and a temporary directory:

1. raw SQLite: one-row transactions with ``synchronous=FULL`` in WAL mode (the enqueue baseline);
2. durable enqueue: ``LocalQueue.enqueue`` of N synthetic requests (seal + FULL commit), which builds the backlog;
3. raw paho: N QoS 1 publishes of the same size, same in-flight window, to a subscriber in another process;
4. backlog flush: the uploader sends the N queued requests to ``kiosk-central serve`` (another process, SQLite)
   and counts the acknowledged ones.

Progress goes to stderr. Targets (issue 3): flush >= 30 % of raw paho, enqueue >= 50 % of raw SQLite FULL,
<= 1 KB per text-only request on the wire.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from layanan.config import Settings, load_settings
from layanan.domain.envelope import topic
from layanan.link import set_nodelay
from tools.bench import machine
from tools.net import Mosquitto

NO_CONFIG_FLAGS = True
BROKER_CONFIG = ["set_tcp_nodelay true", "max_queued_messages 100000"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("-n", type=int, default=10_000, help="backlog size (default 10000)")
    parser.add_argument(
        "--window", type=int, default=0, help="in-flight window (default: outbox.max_in_flight)"
    )
    parser.add_argument("--sqlite-commits", type=int, default=2000, help="raw SQLite FULL commits to time")


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def raw_sqlite_full(path: Path, commits: int, row_bytes: int = 700) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
    payload = os.urandom(row_bytes)
    start = time.perf_counter()
    for _ in range(commits):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (b) VALUES (?)", (payload,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return commits / elapsed


def raw_paho_qos1(port: int, n: int, size: int, window: int) -> float:
    """Publish n QoS 1 messages with the given window; done when a subscriber in another process has them all."""
    bench_topic = "bench/raw"
    sink = subprocess.Popen(
        [sys.executable, "-m", "tools.bench.outbox_sink", str(port), bench_topic, str(n)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert sink.stdout is not None
    if sink.stdout.readline().strip() != "ready":
        raise RuntimeError("the raw subscriber did not start")
    connected = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)

    def on_connect(c: mqtt.Client, u: Any, f: Any, r: Any, p: Any) -> None:
        set_nodelay(c)
        connected.set()

    client.on_connect = on_connect
    client.max_inflight_messages_set(window)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    connected.wait(10)
    payload = os.urandom(size)
    start = time.perf_counter()
    infos = [client.publish(bench_topic, payload, qos=1) for _ in range(n)]
    line = sink.stdout.readline().strip()
    elapsed = time.perf_counter() - start
    for info in infos[-window:]:
        info.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()
    sink.wait(30)
    if not line.startswith("done"):
        raise RuntimeError(f"raw subscriber: {line}")
    return n / elapsed


def _settings(data_dir: Path, port: int, window: int) -> Settings:
    return load_settings(
        env={},
        overrides={
            "kiosk": {
                "data_dir": str(data_dir),
                "device_id": "bench-0001",
                "broker_url": f"mqtt://127.0.0.1:{port}",
            },
            "outbox": {"max_in_flight": window, "ack_timeout_s": 60.0, "telemetry_s": 3600.0},
        },
    )


def publish_packet_bytes(payload: int, topic_name: str, v5: bool = True) -> int:
    """Size of an MQTT PUBLISH (QoS 1) packet: fixed header, topic, packet id, v5 property length, payload."""
    remaining = 2 + len(topic_name.encode()) + 2 + (1 if v5 else 0) + payload
    length_bytes = 1 if remaining < 128 else 2 if remaining < 16384 else 3
    return 1 + length_bytes + remaining


def run_bench(n: int, window: int, sqlite_commits: int) -> dict[str, Any]:
    from central.store import Device, open_store
    from kiosk.outbox.synthetic import synthetic_request
    from kiosk.outbox.uploader import Uploader
    from kiosk.outbox.wiring import demo_central_dir, device_keys, open_queue, queue_path, signer

    workdir = Path(tempfile.mkdtemp(prefix="kiosk-bench-outbox-"))
    broker = Mosquitto(workdir / "broker", BROKER_CONFIG, persistence=False).start()
    port = broker.port
    central_proc = None
    try:
        settings = _settings(workdir / "kiosk", port, window)
        _progress(f"raw SQLite FULL commits: {sqlite_commits} ...")
        sqlite_rate = raw_sqlite_full(workdir / "raw.db", sqlite_commits)
        _progress(f"  {sqlite_rate:.0f} commits/s")

        keys = device_keys(settings, init=True)
        queue = open_queue(settings, keys)
        rng = random.Random(1)
        requests = [synthetic_request(rng) for _ in range(n)]
        _progress(f"durable enqueue of {n} requests (the backlog) ...")
        start = time.perf_counter()
        for i, request in enumerate(requests):
            queue.enqueue(request)
            if (i + 1) % 2000 == 0:
                _progress(f"  {i + 1}/{n}")
        enqueue_rate = n / (time.perf_counter() - start)
        queue.close()
        _progress(f"  {enqueue_rate:.0f} requests/s")

        db_url = f"sqlite://{workdir / 'central.db'}"
        store = open_store(db_url)
        store.add_device(Device("bench-0001", keys.public_hex, "", "", time.time()))
        store.close()
        central_proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "central.cli",
                "serve",
                "--broker",
                f"mqtt://127.0.0.1:{port}",
                "--db",
                db_url,
                "--client-id",
                "bench-central",
                "--data-dir",
                str(workdir / "central"),
                "--set",  # the stand-in office device_keys(init=True) made: it signs the acks
                f"central.keys_dir={demo_central_dir(settings)}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "central.log").open("wb"),
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        uploader = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex)
        time.sleep(1.0)  # let the receiver subscribe
        _progress(f"backlog flush of {n} requests with acks (window {window}) ...")
        start = time.perf_counter()
        uploader.start()
        deadline = start + 600
        last = 0.0
        while uploader.acked < n and time.perf_counter() < deadline:
            time.sleep(0.05)
            if time.perf_counter() - last > 2:
                last = time.perf_counter()
                _progress(f"  acked {uploader.acked}/{n}")
        flush_s = time.perf_counter() - start
        acked = uploader.acked
        sent, payload_bytes = uploader.sent, uploader.bytes_sent
        uploader.stop()
        flush_rate = acked / flush_s
        _progress(f"  {flush_rate:.0f} acked requests/s ({sent - acked} resends)")
        per_request = payload_bytes / max(1, sent)
        wire = publish_packet_bytes(round(per_request), topic("bench-0001", "req"))

        _progress(f"raw paho QoS 1: {n} publishes of {round(per_request)} bytes (window {window}) ...")
        paho_rate = raw_paho_qos1(port, n, round(per_request), window)
        _progress(f"  {paho_rate:.0f} messages/s")
    finally:
        if central_proc is not None:
            central_proc.terminate()
            central_proc.wait(10)
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "n": n,
        "window": window,
        "durable_enqueue_per_s": round(enqueue_rate, 1),
        "raw_sqlite_full_commits_per_s": round(sqlite_rate, 1),
        "enqueue_vs_raw_sqlite": round(enqueue_rate / sqlite_rate, 3),
        "flush_acked_per_s": round(flush_rate, 1),
        "flush_complete": acked == n,
        "raw_paho_qos1_per_s": round(paho_rate, 1),
        "flush_vs_raw_paho": round(flush_rate / paho_rate, 3),
        "envelope_bytes": round(per_request, 1),
        "publish_packet_bytes": wire,
        "targets_met": {
            "flush_ge_30pct_paho": flush_rate >= 0.3 * paho_rate,
            "enqueue_ge_50pct_sqlite": enqueue_rate >= 0.5 * sqlite_rate,
            "le_1kb_per_request": wire <= 1024,
        },
        "machine": machine(),
    }


def run(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("kiosk.outbox.store").setLevel(
        logging.WARNING
    )  # one line per enqueue would drown progress
    window = args.window or Settings().outbox.max_in_flight
    result = run_bench(args.n, window, args.sqlite_commits)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["flush_complete"] else 1
