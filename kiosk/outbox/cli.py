"""``kiosk outbox fill N`` (synthetic load) and ``kiosk outbox status`` (the queue without personal data)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from zoneinfo import ZoneInfo

from kiosk.outbox.refusal import META_KEY, Refusal
from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.wiring import device_keys, open_queue, queue_path
from layanan.config import Settings
from layanan.domain.request import format_ticket
from layanan.security.crypto import KeyFileError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["fill", "status", "release"],
        help="fill N: enqueue N valid synthetic requests; status: counts, oldest pending, quarantined; "
        "release MSG_ID: put a quarantined request back in the queue (staff)",
    )
    parser.add_argument("arg", nargs="?", help="N for fill, MSG_ID for release")
    parser.add_argument("--seed", type=int, default=None, help="fill: random seed for reproducible content")
    parser.add_argument(
        "--init-keys", action="store_true", help="fill: make demo keys in the data dir when missing"
    )
    parser.add_argument("--json", action="store_true", help="status: print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "fill":
        return _fill(args, settings)
    if args.action == "release":
        return _release(args, settings)
    return show_status(settings, as_json=args.json)


def _fill(args: argparse.Namespace, settings: Settings) -> int:
    try:
        args.n = int(args.arg)
    except (TypeError, ValueError):
        args.n = -1
    if args.n < 0:
        print("kiosk outbox fill: give N, a whole number of requests, 0 or more", file=sys.stderr)
        return 2
    try:
        keys = device_keys(settings, init=args.init_keys)
    except KeyFileError as exc:
        print(f"kiosk outbox fill: {exc} (or pass --init-keys for demo keys)", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    queue = open_queue(settings, keys)
    started = time.monotonic()
    for i in range(args.n):
        item = queue.enqueue(synthetic_request(rng))
        print(item.msg_id, flush=True)
        if (i + 1) % 1000 == 0:
            print(f"enqueued {i + 1}/{args.n}", file=sys.stderr, flush=True)
    queue.close()
    elapsed = time.monotonic() - started
    print(f"enqueued {args.n} requests in {elapsed:.1f} s", file=sys.stderr)
    return 0


def _release(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.outbox.store import LocalQueue

    queue = LocalQueue(queue_path(settings), seal=lambda b: b)
    if not args.arg:
        print("kiosk outbox release: name the msg id (see 'kiosk outbox status')", file=sys.stderr)
        return 2
    args.msg_id = args.arg
    ok = queue.release(args.msg_id)
    queue.close()
    if not ok:
        print(f"kiosk outbox release: {args.msg_id} is not a quarantined request", file=sys.stderr)
        return 1
    print(f"{args.msg_id} is back in the queue")
    return 0


def show_status(settings: Settings, as_json: bool = False) -> int:
    """Counts, oldest pending, last sync and the quarantined requests: never any personal data."""
    from kiosk.outbox.store import LocalQueue

    path = queue_path(settings)
    if not path.exists():
        print(f"no queue yet at {path}", file=sys.stderr)
        return 1
    queue = LocalQueue(path, seal=lambda b: b)
    stats = queue.stats()
    counts = queue.counts()
    quarantined = queue.quarantined()
    recent = queue.list(limit=10)
    chunks_pending = queue.chunks_pending()
    refusal = Refusal.from_json(queue.get_meta(META_KEY))
    queue.close()
    now = time.time()
    zone = settings.site.time_zone
    report = {
        "queue": str(path),
        "counts": counts,
        "depth": stats.depth,
        "oldest_pending_s": None
        if stats.oldest_pending_at is None
        else round(now - stats.oldest_pending_at, 1),
        "attachment_chunks_pending": chunks_pending,
        "last_sync_s_ago": None if stats.last_sync_at is None else round(now - stats.last_sync_at, 1),
        "last_sync": "never" if stats.last_sync_at is None else when(stats.last_sync_at, now, zone),
        "office_refusal": None
        if refusal is None
        else {
            "reason": refusal.reason,
            "source": refusal.source,
            "at": when(refusal.at, now, zone),
            "fix": refusal.fix,
        },
        "quarantined": [
            {"msg_id": q.msg_id, "ticket": q.ticket, "service": q.service_id, "tries": q.tries, "reason": why}
            for q, why in quarantined
        ],
        "recent": [
            {"ticket": r.ticket, "service": r.service_id, "state": r.state, "status": r.status}
            for r in recent
        ],
    }
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"queue {path}")
    print("  " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) if counts else "  empty")
    oldest = "none" if stats.oldest_pending_at is None else _span(now - stats.oldest_pending_at)
    print(
        f"  oldest pending: {oldest}   last sync: {report['last_sync']}"
        f"   attachment chunks pending: {chunks_pending}"
    )
    if refusal is not None:
        print(f"  {refusal.describe(zone)}")
    for q in report["quarantined"]:
        print(
            f"  QUARANTINED {format_ticket(q['ticket'])} {q['service']} tries={q['tries']} reason={q['reason']} id={q['msg_id']}"
        )
    for r in report["recent"]:
        print(f"  {format_ticket(r['ticket']):<8} {r['service']:<18} {r['state']:<12} {r['status'] or ''}")
    return 0


def when(epoch: float, now: float, zone: str) -> str:
    """``2026-12-07 10:42 WITA (5 min ago)``: the kiosk's own time zone, as people name it."""
    moment = dt.datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    return f"{moment} ({_span(now - epoch)} ago)" if now >= epoch else moment


def _span(seconds: float) -> str:
    """A duration as a person says it: 12 s, 5 min, 3 h, 2 days."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size if unit == "days" else seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{max(0, int(seconds))} s"
