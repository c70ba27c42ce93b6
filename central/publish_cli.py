"""``kiosk-central publish OUTDIR [--area KODE] [--lang id|en]``: the public transparency pages as a static site.

The same pages as ``/publik`` (the same published, suppressed tables, refreshed first unless ``--no-refresh``),
written as plain files with relative links, the stylesheet beside them and the open data (``data.csv``,
``data.json``, ``minggu.csv``, ``minggu.json``): a regency can put the folder on its own website, or open
``index.html`` from disk in a browser, without a server.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import resources
from pathlib import Path

from central import compose, transparency
from central.cli import add_db_flag
from central.forecast.plan import demand_services
from central.web import public
from central.web.console import Console
from central.web_db import open_database
from layanan.calendar import Calendar
from layanan.config import Settings
from layanan.domain.catalog import load_catalog

_AREA = re.compile(r"^\d{2}(\.\d{2}){0,2}(\.\d{4})?$")


def configure(parser: argparse.ArgumentParser) -> None:
    add_db_flag(parser)
    parser.add_argument("outdir", type=Path, help="folder to write the site into (made if missing)")
    parser.add_argument("--area", default="", help="only this region and what is under it, e.g. 91.03")
    parser.add_argument("--language", default="id", choices=("id", "en"), help="language of the pages")
    parser.add_argument("--no-refresh", action="store_true", help="publish the tables as last refreshed")


def file_name(area: str, service: str, top: str) -> str:
    base = "index" if area == top else area
    return f"{base}.html" if service == transparency.ALL else f"{base}--{service}.html"


def publish(console: Console, out: Path, top: str, lang: str) -> int:
    """Write the site; the number of pages written."""
    db = console.db
    where, params = public._under(top)
    areas = [
        str(r[0])
        for r in db.query(f"SELECT DISTINCT area FROM public_cells WHERE {where} ORDER BY area", params)
    ]
    exported = set(areas)
    with_children = {
        str(r[0])
        for r in db.query(f"SELECT DISTINCT parent FROM public_cells WHERE area <> '' AND {where}", params)
    }

    def href(area: str, service: str) -> str:
        if area not in exported:
            return file_name(top, transparency.ALL, top)
        if service != transparency.ALL and area not in with_children:
            service = transparency.ALL
        return file_name(area, service, top)

    out.mkdir(parents=True, exist_ok=True)
    names = public.region_names(console.settings.data_dir / "wilayah.csv")
    template = console.env.get_template("publik.html")
    services = demand_services(console.catalog)
    pages = 0
    for area in areas:
        for service in (transparency.ALL, *(services if area in with_children else ())):
            v = public.view(db, area, service, services)
            if v is None:
                continue
            html = template.render(
                t=lambda key, **kw: console.word(lang, key, **kw),
                lang=lang,
                catalog=console.catalog,
                console=console,
                **public.page_context(console, v, lang, href, names, static=True),
            )
            (out / file_name(area, service, top)).write_text(html, encoding="utf-8")
            pages += 1
    css = resources.files("central.web").joinpath("static/publik.css").read_bytes()
    (out / "publik.css").write_bytes(css)
    cells = public._cells(db, where, params)
    (out / "data.csv").write_text("".join(public.cells_csv(cells)), encoding="utf-8")
    meta = public.meta_dict(db)
    (out / "data.json").write_text(
        json.dumps({**meta, "cells": [c.as_dict() for c in cells]}, ensure_ascii=False), encoding="utf-8"
    )
    rows = public.weeks_rows(db, top)
    (out / "minggu.csv").write_text("".join(public.weeks_csv(rows)), encoding="utf-8")
    (out / "minggu.json").write_text(
        json.dumps({**meta, "weeks": rows}, ensure_ascii=False), encoding="utf-8"
    )
    return pages


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.area and not _AREA.match(args.area):
        print(
            f"kiosk-central publish: --area {args.area!r}: give a kode wilayah such as 91.03", file=sys.stderr
        )
        return 2
    try:
        db = open_database(settings, args.db, pool_size=2, create=False)  # publishing never makes a database
    except Exception as exc:  # noqa: BLE001 - the database is the usual cause: say so, no trace
        print(f"kiosk-central publish: cannot open the database: {exc}", file=sys.stderr)
        return 2
    catalog = load_catalog(settings.kiosk.catalog or None)
    console = Console(db, settings, catalog, compose.keys_dir(settings), Calendar())
    try:
        if not args.no_refresh:
            transparency.refresh(db, demand_services(catalog), settings.site.time_zone)
        if transparency.meta(db) is None:
            print("kiosk-central publish: nothing is published yet (no refresh has run)", file=sys.stderr)
            return 1
        if args.outdir.exists() and not args.outdir.is_dir():
            print(f"kiosk-central publish: {args.outdir} is not a folder", file=sys.stderr)
            return 2
        pages = publish(console, args.outdir, args.area, args.language)
        if pages == 0:
            print(
                f"kiosk-central publish: nothing published under {args.area or 'any region'}", file=sys.stderr
            )
            return 1
    finally:
        db.close()
    print(f"kiosk-central publish: {pages} pages in {args.outdir} (open {args.outdir / 'index.html'})")
    return 0
