"""``kiosk-central forecast [--horizon 8w] [--area KODE] [--history FILE.csv] [--json] [--save]``

Weekly demand per village x service and per kecamatan for the next weeks, with 80% prediction intervals, from the
office's database and/or a CSV of past counts (paper registers, SIAK exports: ``week,village,service,count``).
``--json`` prints one JSON object a line per series and week (``village`` holds the kecamatan's code on kecamatan
lines, whose ``level`` says so); ``--save`` keeps the kecamatan forecasts in the database for the console's plan
page (``/rencana``).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import TextIO

from central.cli import add_db_flag
from central.forecast import engine, plan
from central.forecast.history import HistoryError, Panel, merge, read_csv_file
from layanan.config import Settings
from layanan.domain.catalog import CatalogError, load_catalog

log = logging.getLogger(__name__)
_HORIZON = re.compile(r"^(\d{1,2})w?$")
_AREA = re.compile(r"^\d{2}(\.\d{2}){0,2}(\.\d{4})?$")
MAX_HORIZON = 26


def configure(parser: argparse.ArgumentParser) -> None:
    add_db_flag(parser)
    parser.add_argument("--horizon", default="8w", help="weeks ahead, e.g. 8w (at most 26)")
    parser.add_argument("--area", default="", help="only villages under this kode wilayah, e.g. 91.03")
    parser.add_argument("--history", type=Path, help="CSV of past weekly counts: week,village,service,count")
    parser.add_argument("--no-db", action="store_true", help="use only --history, not the office database")
    parser.add_argument("--json", action="store_true", help="one JSON object per series and week")
    parser.add_argument("--save", action="store_true", help="keep the kecamatan forecasts for the console")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")


def horizon_weeks(text: str) -> int:
    m = _HORIZON.match(text.strip())
    if not m or not 1 <= int(m.group(1)) <= MAX_HORIZON:
        raise ValueError(f"--horizon {text!r}: give weeks from 1 to {MAX_HORIZON}, such as 8w")
    return int(m.group(1))


def _round(x: float) -> float:
    return round(float(x), 2)


def write_json(result: engine.Result, out: TextIO) -> None:
    for f in result.forecasts:
        if f.level == engine.KECAMATAN and f.item not in result.services:
            continue
        for i, week in enumerate(result.weeks):
            out.write(
                json.dumps(
                    {
                        "level": f.level,
                        "village": f.area,
                        "service": f.item,
                        "week": week.isoformat(),
                        "mean": _round(f.mean[i]),
                        "lo80": _round(f.lo80[i]),
                        "hi80": _round(f.hi80[i]),
                        "model": f.model,
                    }
                )
                + "\n"
            )


def write_text(result: engine.Result, out: TextIO, villages: bool) -> None:
    weeks = " ".join(f"{w.strftime('%d/%m'):>14}" for w in result.weeks)
    out.write(f"{'wilayah':<14} {'layanan':<17} {'model':<16} {weeks}\n")
    for level in (engine.KECAMATAN, engine.VILLAGE) if villages else (engine.KECAMATAN,):
        for f in result.by(level):
            if f.item not in result.services:
                continue
            cells = " ".join(
                f"{f'{m:.1f} [{lo:.0f}-{hi:.0f}]':>14}"
                for m, lo, hi in zip(f.mean, f.lo80, f.hi80, strict=True)
            )
            out.write(f"{f.area:<14} {f.item:<17} {f.model:<16} {cells}\n")
    out.write("mean [80% interval] per week; kecamatan lines sum their villages\n")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        h = horizon_weeks(args.horizon)
        if args.area and not _AREA.match(args.area):
            raise ValueError(f"--area {args.area!r}: give a kode wilayah such as 91.03 or 91.03.05")
        catalog = load_catalog(settings.kiosk.catalog or None)
    except (ValueError, CatalogError) as exc:
        print(f"kiosk-central forecast: {exc}", file=sys.stderr)
        return 2
    services = plan.demand_services(catalog)
    panel: Panel | None = None
    if args.history is not None:
        try:
            panel = read_csv_file(args.history, services)
        except HistoryError as exc:
            print(f"kiosk-central forecast: {exc}", file=sys.stderr)
            return 2
        if args.area:
            panel = panel.select(args.area)
    db = None
    if not args.no_db:
        from central.forecast.source import panel_from_db
        from central.web_db import open_database

        try:
            db = open_database(settings, args.db, pool_size=2, create=False)
            mine = panel_from_db(db, services, settings.site.time_zone, args.area)
        except Exception as exc:  # noqa: BLE001 - the database is the usual cause: say so, no trace
            print(f"kiosk-central forecast: cannot read the database: {exc}", file=sys.stderr)
            return 2
        panel = mine if panel is None else merge(panel, mine)
    try:
        if panel is None or not panel.villages or not panel.weeks:
            print(
                "kiosk-central forecast: no history to forecast from: no requests in the database"
                + (f" under {args.area}" if args.area else "")
                + " and no --history file",
                file=sys.stderr,
            )
            return 1
        started = time.perf_counter()
        result = engine.forecast(panel, h, args.workers, derived=plan.derived_series(catalog))
        log.info("forecast: %d series in %.1f s", len(result.forecasts), time.perf_counter() - started)
        if args.save:
            if db is None:
                from central.compose import MissingDatabase
                from central.web_db import open_database

                try:
                    db = open_database(settings, args.db, pool_size=2, create=False)
                except MissingDatabase as exc:  # --save never makes a database of its own
                    print(f"kiosk-central forecast: {exc}", file=sys.stderr)
                    return 2
            run_id = plan.save(db, result, "history+db" if args.history else "db")
            print(f"kiosk-central forecast: saved as run {run_id} for the console", file=sys.stderr)
        if args.json:
            write_json(result, sys.stdout)
        else:
            write_text(result, sys.stdout, villages=bool(args.area))
    finally:
        if db is not None:
            db.close()
    return 0
