"""``kiosk-central bench web --requests N --devices N``: the console's page times on a loaded PostgreSQL.

Loads N requests from D kiosks into their own schema with SQL (``generate_series``: minutes, not hours; the
cases are made by SQL too, with the same columns the indexer fills), then serves the real console under uvicorn
and asks, as a logged-in user over HTTP on this machine, for: the first inbox page (a supervisor, state
'diterima'), a filtered page (a clerk of one regency and office, one service, older than 7 days) and one request
page (the sealed fields opened, the opening audited). The server time is the app's own ``Server-Timing`` header;
p50/p95/p99 over ``--repeat`` tries of each, plus PostgreSQL's EXPLAIN ANALYZE of the inbox queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from nacl.public import PrivateKey

from layanan.config import Settings, load_settings

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test?schema=bench_web"
PASSWORD = "bench-kata-sandi"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument(
        "--db", default=DEFAULT_DB, help="PostgreSQL URL with ?schema=NAME (dropped and refilled)"
    )
    parser.add_argument("--repeat", type=int, default=200, help="tries per page")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded schema if it is there")
    parser.add_argument("--json", action="store_true")


def _schema(url: str) -> tuple[str, str]:
    from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

    parsed = urlparse(url)
    query = dict(parse_qsl(parsed.query))
    schema = query.pop("schema", "bench_web")
    return urlunparse(parsed._replace(query=urlencode(query))), schema


def load(url: str, requests: int, devices: int, sealed: bytes) -> float:
    """Fill the schema; seconds taken."""
    import psycopg

    base, schema = _schema(url)
    started = time.perf_counter()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    from central import migrations
    from central.store import open_store

    store = open_store(url)
    migrations.upgrade_store(store)
    store.close()
    services = [
        ("ktp_new", "dukcapil", 14),
        ("ktp_replace", "dukcapil", 14),
        ("kk_new", "dukcapil", 7),
        ("kk_change", "dukcapil", 7),
        ("akta_lahir", "dukcapil", 7),
        ("sk_domisili", "desa", 2),
        ("sktm", "desa", 2),
        ("bansos_dtks", "dinsos", 10),
        ("pengaduan", "desa", 3),
    ]
    now = time.time()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        # kode wilayah: 34 provinces x 20 regencies x 15 districts x N villages
        conn.execute(
            "INSERT INTO devices (device_id, public_key, village_code, registered_at) "
            "SELECT 'kiosk-' || lpad(i::text, 6, '0'), repeat('ab', 32), "
            "lpad((11 + (i %% 34))::text, 2, '0') || '.' || lpad((1 + (i / 34) %% 20)::text, 2, '0') || '.' || "
            "lpad((1 + (i / 680) %% 15)::text, 2, '0') || '.' || (2001 + i / 10200)::text, %s "
            "FROM generate_series(0, %s - 1) AS i",
            (now, devices),
        )
        conn.execute(
            "UPDATE devices SET village_code = '91.03' || substr(village_code, 6) "
            "WHERE village_code LIKE '11.0%'"
        )
        svc = "ARRAY[" + ",".join(f"'{s[0]}'" for s in services) + "]"
        office = "ARRAY[" + ",".join(f"'{s[1]}'" for s in services) + "]"
        sla = "ARRAY[" + ",".join(str(s[2]) for s in services) + "]"
        conn.execute(
            "INSERT INTO requests (msg_id, device_id, seq, ticket, service_id, lang, created_ms, received_at, digest,"
            " sealed, attachments, status) "
            f"SELECT md5(i::text)::uuid::text, 'kiosk-' || lpad((i %% %s)::text, 6, '0'), i / %s + 1,"
            f" 'K-' || lpad(((i / %s + 1) %% 10000)::text, 4, '0'), ({svc})[1 + i %% {len(services)}], 'id',"
            " 0, %s - (i::float8 / %s) * 180 * 86400, md5(i::text) || md5(i::text), %s, 0, 'received' "
            "FROM generate_series(0, %s - 1) AS i",
            (devices, devices, devices, now, requests, sealed, requests),
        )
        conn.execute(
            "INSERT INTO cases (msg_id, device_id, ticket, service_id, office, village_code, received_at, due_date,"
            " state, state_at, nik_index, opened) "
            f"SELECT r.msg_id, r.device_id, r.ticket, r.service_id, ({office})[array_position({svc}, r.service_id)],"
            " d.village_code, r.received_at,"
            f" to_char(to_timestamp(r.received_at) + (({sla})[array_position({svc}, r.service_id)] * 1.4)"
            " * interval '1 day', 'YYYY-MM-DD'),"
            " (ARRAY['diterima','diproses','siap_diambil','selesai','selesai','selesai','ditolak','diterima',"
            "'diproses','selesai'])[1 + (abs(hashtext(r.msg_id)) % 10)], r.received_at,"
            " md5(r.msg_id) || md5(r.device_id), 1 FROM requests r JOIN devices d ON d.device_id = r.device_id"
        )
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def _percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2), "n": len(values)}


def time_pages(
    pages: Mapping[str, tuple[httpx.Client, Callable[[], str]]], repeat: int, label: str
) -> dict[str, dict[str, float]]:
    """Each page fetched once to warm, then ``repeat`` times: percentiles of the server's own timing (the
    ``Server-Timing`` header), so the client's overhead is not counted. A page that is not 200 stops the bench."""
    out = {}
    for name, (client, path) in pages.items():
        client.get(path())  # warm
        times = []
        for _ in range(repeat):
            r = client.get(path())
            if r.status_code != 200:
                raise RuntimeError(f"{name}: {r.status_code}")
            times.append(float(r.headers["server-timing"].split("dur=")[1]))
        out[name] = _percentiles(times)
        print(f"{label}: {name}: {out[name]}", file=sys.stderr)
    return out


def bench_office(prefix: str) -> tuple[Path, PrivateKey]:
    """A scratch data directory with a fresh office key (what the loaded requests are sealed to)."""
    from layanan.security.crypto import write_key

    work = Path(tempfile.mkdtemp(prefix=prefix))
    key = PrivateKey.generate()
    write_key(work / "keys" / "central_private.key", bytes(key))
    return work, key


def bench_settings(work: Path, db: str) -> Settings:
    return load_settings(
        None,
        env={},
        overrides={
            "kiosk": {"data_dir": str(work)},
            "central": {"db_url": db, "web_secure_cookies": False},
        },
    )


@contextmanager
def serving(running: Any) -> Iterator[str]:
    """The console of ``running`` served on a free local port; its URL. Stops the server and ``running``."""
    from central.web_cli import serve_in_thread
    from tools.net import free_port, wait_for_port

    port = free_port()
    server, _ = serve_in_thread(running, "127.0.0.1", port)
    try:
        wait_for_port(port, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        time.sleep(0.5)
        running.stop()


def _login(url: str, name: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=60)
    c.get("/login")
    r = c.post(
        "/login", data={"name": name, "password": PASSWORD, "next": "/", "csrftoken": c.cookies["csrftoken"]}
    )
    if r.status_code != 303:
        raise RuntimeError(f"login of {name} failed: {r.status_code}")
    return c


def run(args: argparse.Namespace, settings: Settings) -> int:
    from central import accounts, cases
    from central.web_cli import build
    from layanan.security.crypto import seal
    from tools.bench import machine

    if not args.db.startswith("postgresql"):
        print("kiosk-central bench web: give a postgresql:// URL with ?schema=NAME", file=sys.stderr)
        return 2
    work, key = bench_office("bench-web-")
    sealed = seal(
        json.dumps(
            {"fields": {"nik": "3201014507900001", "phone": "081234567890"}, "documents": ["kk_copy"]}
        ).encode(),
        key.public_key,
    )
    report: dict[str, Any] = {"machine": machine(), "requests": args.requests, "devices": args.devices}
    report["load_s"] = round(load(args.db, args.requests, args.devices, sealed), 1)
    print(
        f"bench web: loaded {args.requests} requests from {args.devices} kiosks in {report['load_s']} s",
        file=sys.stderr,
    )
    settings = bench_settings(work, args.db)
    running = build(settings, args.db, None, link=False)
    running.indexer.stop()
    db = running.console.db
    accounts.add_user(db, "sup", "supervisor", PASSWORD)
    accounts.add_user(db, "ani", "clerk", PASSWORD, "91.03", "dukcapil")
    with serving(running) as url:
        sup, clerk = _login(url, "sup"), _login(url, "ani")
        msg_ids = [r[0] for r in db.query("SELECT msg_id FROM cases WHERE state = 'diproses' LIMIT 500")]
        rnd = random.Random(1)
        pages: dict[str, tuple[httpx.Client, Callable[[], str]]] = {
            "first inbox page (supervisor, diterima)": (sup, lambda: "/inbox?state=diterima"),
            "filtered page (clerk 91.03 dukcapil, ktp_new, older than 7 days)": (
                clerk,
                lambda: "/inbox?state=diproses&service=ktp_new&age=7",
            ),
            "one request page (opened and audited)": (sup, lambda: f"/requests/{rnd.choice(msg_ids)}"),
        }
        report["pages_ms"] = time_pages(pages, args.repeat, "bench web")
        today = dt.date.today()
        sup_user = accounts.by_name(db, "sup")
        clerk_user = accounts.by_name(db, "ani")
        assert sup_user is not None and clerk_user is not None
        plans = {}
        for name, user, f in (
            ("first inbox page", sup_user, cases.Filters(state="diterima")),
            (
                "filtered page",
                clerk_user,
                cases.Filters(state="diproses", service="ktp_new", older_than_days=7),
            ),
        ):
            sql, params = cases.inbox_sql(user, f, today)
            plans[name] = db.explain(sql, params)
        plans["one request page"] = db.explain(
            "SELECT c.msg_id, r.lang FROM cases c JOIN requests r ON r.msg_id = c.msg_id WHERE c.msg_id = ?",
            (msg_ids[0],),
        )
        report["plans"] = plans
        report["target_p95_ms"] = 150
        report["met"] = all(v["p95"] <= 150 for v in report["pages_ms"].values())
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, plan in report["plans"].items():
            print(f"--- {name}\n{plan}")
        print(json.dumps({k: v for k, v in report.items() if k != "plans"}, indent=2))
    return 0
