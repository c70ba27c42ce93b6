"""Fill an office database with a generated history (``tools.demand``): kiosks, requests, their cases moved
through the states, and hours online, so that the public page and the plan page have something to show.

Requests go through the receiver's real store and the console's indexer (due dates in working days); what
staff did afterwards (ready, done, refused) is written as case history with times drawn around each service's
SLA. Used by ``make demo`` and by tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from central import compose
from central.db import Database
from central.forecast.plan import insert_many
from central.indexer import Indexer
from central.store import Device, StoredRequest
from layanan.calendar import Calendar
from layanan.config import Settings
from layanan.domain.catalog import load_catalog
from layanan.domain.request import ticket_code
from layanan.security.crypto import ensure_central_keypair, seal
from tools.demand import Generated


def device_of(village: str) -> str:
    return "kiosk-" + village.replace(".", "")


@dataclass(frozen=True)
class Loaded:
    requests: int
    devices: int


def load(
    settings: Settings,
    db_url: str | None,
    db: Database,
    gen: Generated,
    weeks: int = 26,
    now: float | None = None,
    seed: int = 1,
) -> Loaded:
    """The last ``weeks`` weeks of ``gen`` as requests (received at office hours of their week's days)."""
    rng = np.random.default_rng(seed)
    tz = ZoneInfo(settings.site.time_zone)
    now = time.time() if now is None else now
    panel = gen.panel
    n_w = len(panel.weeks)
    first = max(0, n_w - weeks)
    keys = ensure_central_keypair(compose.keys_dir(settings))
    sealed = seal(
        json.dumps({"fields": {"phone": "081200000000"}, "documents": []}).encode(), keys.public_key
    )
    store = compose.store(settings, db_url)
    made = 0
    try:
        for v, village in enumerate(panel.villages):
            device_id = device_of(village)
            has = np.isfinite(panel.counts[v]).any(axis=0)
            begin = int(has.argmax()) if has.any() else n_w
            registered = dt.datetime.combine(panel.weeks[min(begin, n_w - 1)], dt.time(8), tz).timestamp()
            code = f"{v % 999 + 1:03d}"  # unique within each office (kabupaten) of up to 999 kiosks
            store.add_device(Device(device_id, "ab" * 32, village, "", registered, kiosk_code=code))
            batch = []
            seq = 0
            for t in range(first, n_w):
                monday = dt.datetime.combine(panel.weeks[t], dt.time(8), tz).timestamp()
                for s, service in enumerate(panel.services):
                    count = panel.counts[v, s, t]
                    if not np.isfinite(count):
                        continue
                    for _ in range(int(count)):
                        seq += 1
                        at = monday + int(rng.integers(0, 5)) * 86400 + float(rng.uniform(0, 8 * 3600))
                        if at > now:
                            continue
                        msg_id = str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | seq, version=4))
                        batch.append(
                            StoredRequest(
                                msg_id,
                                device_id,
                                seq,
                                ticket_code(code, seq),
                                service,
                                "id",
                                int(at * 1000),
                                at,
                                hashlib.sha256(msg_id.encode()).hexdigest(),
                                sealed,
                            )
                        )
            for i in range(0, len(batch), 500):
                store.commit(batch[i : i + 500], [])
            made += len(batch)
    finally:
        store.close()
    catalog = load_catalog(settings.kiosk.catalog or None)
    indexer = Indexer(db, catalog, Calendar(), lambda: None, None, settings.site.time_zone)
    while indexer.run_once(full=True):
        pass
    work(db, catalog, now, rng)
    hours_online(db, gen, first, now, rng, settings.site.time_zone)
    return Loaded(made, len(panel.villages))


def work(db: Database, catalog, now: float, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    """Move the cases on as staff would: most ready within their SLA, some late, a few refused, recent ones open."""
    rows = db.query("SELECT msg_id, service_id, received_at FROM cases WHERE state = 'diterima'")
    history = []
    updates = []
    for msg_id, service_id, received in rows:
        svc = catalog.services.get(service_id)
        sla = svc.sla_days if svc else 5
        days = float(rng.lognormal(np.log(max(sla * 0.8, 0.5)), 0.5)) * 7 / 5
        ready = float(received) + days * 86400
        if rng.random() < 0.04:
            refused = float(received) + 86400 * float(rng.uniform(0.5, 3))
            if refused < now:
                history.append((msg_id, refused, "petugas", "ditolak", "dokumen_kurang"))
                updates.append(("ditolak", refused, "dokumen_kurang", msg_id))
            continue
        if ready > now:
            if float(received) + 86400 < now and rng.random() < 0.5:
                at = float(received) + 86400
                history.append((msg_id, at, "petugas", "diproses", ""))
                updates.append(("diproses", at, "", msg_id))
            continue
        history.append((msg_id, ready, "petugas", "siap_diambil", ""))
        done = ready + 86400 * float(rng.uniform(0.5, 6))
        if done < now:
            history.append((msg_id, done, "petugas", "selesai", ""))
            updates.append(("selesai", done, "", msg_id))
        else:
            updates.append(("siap_diambil", ready, "", msg_id))
    with db.tx() as cur:
        insert_many(cur, "case_history (msg_id, at, actor, state, reason)", history)
        for state, at, reason, msg_id in updates:
            cur.execute(
                "UPDATE cases SET state = ?, state_at = ?, reason = ? WHERE msg_id = ?",
                (state, at, reason, msg_id),
            )


def hours_online(
    db: Database, gen: Generated, first: int, now: float, rng: np.random.Generator, tz: str
) -> None:
    """Hours each kiosk was heard from: office hours and some evenings, none in its outage weeks."""
    zone = ZoneInfo(tz)
    panel = gen.panel
    rows = []
    for v, village in enumerate(panel.villages):
        device_id = device_of(village)
        has = np.isfinite(panel.counts[v]).any(axis=0)
        for t in range(first, len(panel.weeks)):
            if not has[t]:
                continue
            start = int(dt.datetime.combine(panel.weeks[t], dt.time(0), zone).timestamp() // 3600)
            for h in range(7 * 24):
                if (start + h) * 3600 > now:
                    break
                if rng.random() < 0.93:
                    rows.append((device_id, start + h))
    with db.tx() as cur:
        insert_many(cur, "kiosk_hours (device_id, hour)", rows, per=500)


def demo(
    settings: Settings, db_url: str, db: Database, say: Callable[[str], None], villages: int = 24
) -> None:
    """What ``make demo`` shows on /publik and /rencana: two years of generated demand for ``villages``
    villages, the last half year of it as requests in the office, the published aggregates, and a saved
    forecast (with the generated history as the paper registers kept before the kiosks)."""
    from central import transparency
    from central.forecast import engine, plan
    from tools.demand import Spec, generate

    started = time.time()
    gen = generate(Spec(villages=villages, weeks=104, seed=7))
    loaded = load(settings, db_url, db, gen, weeks=26)
    catalog = load_catalog(settings.kiosk.catalog or None)
    transparency.refresh(db, plan.demand_services(catalog), settings.site.time_zone)
    result = engine.forecast(gen.panel, 8, workers=1, derived=plan.derived_series(catalog))
    plan.save(db, result, "demo: generated history")
    say(
        f"generated history: {loaded.requests} requests from {loaded.devices} villages in "
        f"{time.time() - started:.0f} s; the public page and the plan page show it"
    )
