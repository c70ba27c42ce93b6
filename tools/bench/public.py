"""``kiosk-central bench public --requests N --devices N``: the public page at scale on PostgreSQL.

Loads N requests from D kiosks the way ``bench web`` does (``tools.bench.web.load``: 34 provinces x 20 regencies x
15 districts of kode wilayah, 180 days of arrivals, cases with their states), gives the completed ones a completion
time and the kiosks two weeks of hours online, then times the refresh of the published aggregates (SQL, counts,
medians, suppression, the write) and asks the real console under uvicorn, without a login, for /publik at each
level (the country, a province, a regency, a kecamatan, a village with one service) and for one kecamatan's
open data; the figure is the app's own ``Server-Timing``, p50/p95/p99 over ``--repeat`` tries.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import httpx

from layanan.config import Settings

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test?schema=bench_public"
TARGET_MS = 300.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument(
        "--db", default=DEFAULT_DB, help="PostgreSQL URL with ?schema=NAME (dropped and refilled)"
    )
    parser.add_argument("--repeat", type=int, default=50, help="tries per page")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded schema and its aggregates")
    parser.add_argument("--json", action="store_true")


def _prepare(url: str) -> float:
    """Completion times for completed cases, and hours online for the last two weeks; seconds taken."""
    import psycopg

    from tools.bench.web import _schema

    base, schema = _schema(url)
    started = time.perf_counter()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        conn.execute(
            "UPDATE cases SET state_at = received_at + (1 + abs(hashtext(msg_id)) % 15) * 86400 * 0.8"
            " WHERE state IN ('siap_diambil', 'selesai')"
        )
        now_h = int(time.time() // 3600)
        conn.execute(
            "INSERT INTO kiosk_hours (device_id, hour) SELECT d.device_id, h FROM devices d,"
            " generate_series(%s, %s) AS h WHERE abs(hashtext(d.device_id || h::text)) %% 10 <> 0",
            (now_h - 14 * 24, now_h - 1),
        )
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def run(args: argparse.Namespace, settings: Settings) -> int:
    from central import transparency
    from central.forecast.plan import demand_services
    from central.web_cli import build
    from layanan.domain.catalog import load_catalog
    from layanan.security.crypto import seal
    from tools.bench import machine
    from tools.bench.web import bench_office, bench_settings, load, serving, time_pages

    if not args.db.startswith("postgresql"):
        print("kiosk-central bench public: give a postgresql:// URL with ?schema=NAME", file=sys.stderr)
        return 2
    work, key = bench_office("bench-public-")
    report: dict[str, Any] = {"machine": machine(), "requests": args.requests, "devices": args.devices}
    if not args.reuse:
        sealed = seal(
            json.dumps({"fields": {"phone": "081234567890"}, "documents": []}).encode(), key.public_key
        )
        report["load_s"] = round(load(args.db, args.requests, args.devices, sealed), 1)
        report["prepare_s"] = round(_prepare(args.db), 1)
        print(f"bench public: loaded in {report['load_s']} + {report['prepare_s']} s", file=sys.stderr)
    settings = bench_settings(work, args.db)
    running = build(settings, args.db, None, link=False, refresh=False)
    running.indexer.stop()
    db = running.console.db
    if args.reuse and db.one("SELECT COUNT(*) FROM kiosk_hours") == (0,):
        report["prepare_s"] = round(_prepare(args.db), 1)
    services = demand_services(load_catalog())
    if not args.reuse or transparency.meta(db) is None:
        started = time.perf_counter()
        pub = transparency.refresh(db, services, settings.site.time_zone)
        report["refresh_s"] = round(time.perf_counter() - started, 1)
        report["published_cells"] = len(pub.cells)
        report["published_weeks"] = len(pub.weeks)
        hidden = sum(1 for c in pub.cells if c[4] is None)
        report["received_cells_hidden"] = hidden
        print(f"bench public: refreshed in {report['refresh_s']} s", file=sys.stderr)
    village = db.one("SELECT area FROM public_cells WHERE level = 'village' ORDER BY area LIMIT 1")
    assert village is not None
    v = str(village[0])
    pages = {
        "country": "/publik",
        "province": f"/publik?wilayah={v[:2]}",
        "regency": f"/publik?wilayah={v[:5]}",
        "kecamatan, one service": f"/publik?wilayah={v[:8]}&layanan=ktp_new",
        "village": f"/publik?wilayah={v}",
        "open data of a kecamatan (CSV)": f"/publik/data.csv?wilayah={v[:8]}",
    }
    with serving(running) as url, httpx.Client(base_url=url, timeout=60) as client:
        report["pages_ms"] = time_pages(
            {name: (client, lambda path=path: path) for name, path in pages.items()},
            args.repeat,
            "bench public",
        )
        report["plans"] = {
            "children of a kecamatan": db.explain(
                "SELECT * FROM public_cells WHERE parent = ? AND service = ? AND area <> '' ORDER BY area, service",
                (v[:8], "ktp_new"),
            )
        }
        report["target_p95_ms"] = TARGET_MS
        report["met"] = all(p["p95"] <= TARGET_MS for p in report["pages_ms"].values())
    print(json.dumps(report, indent=2))
    return 0
