"""/publik over HTTP without a login (SQLite and PostgreSQL), its open data, and the static export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx

from central import transparency as tr
from central.forecast.plan import demand_services
from central.publish_cli import publish
from central.web.console import Console
from layanan.calendar import Calendar
from layanan.domain.catalog import load_catalog
from tests.support.kiosk_env import run_cli
from tests.support.office import Office
from tools.demand import Spec, generate
from tools.office_history import load

SERVICES = demand_services(load_catalog())


def history(office: Office, villages: int = 14, weeks: int = 20) -> Any:
    office.start()
    gen = generate(Spec(villages=villages, weeks=60, seed=4))
    load(office.settings, office.db_url, office.db, gen, weeks=weeks)
    tr.refresh(office.db, SERVICES, office.settings.site.time_zone)
    return gen


def test_anyone_reads_the_public_page_without_logging_in(office: Office) -> None:
    gen = history(office)
    kec = gen.panel.villages[0][:8]
    with httpx.Client(base_url=office.url) as c:
        r = c.get("/publik")
        assert (
            r.status_code == 200
            and "Transparansi Layanan Desa" in r.text
            and "diperbarui setiap jam" in r.text
        )
        assert "Masuk petugas" in r.text and "layanan_session" not in r.headers.get("set-cookie", "")
        r = c.get(f"/publik?wilayah={kec}&layanan=ktp_new")
        assert r.status_code == 200 and gen.panel.villages[0] in r.text and "<svg" in r.text
        assert c.get(f"/publik?wilayah={gen.panel.villages[0]}").status_code == 200
        assert c.get("/publik?wilayah=9x").status_code == 400
        assert "paspor" in c.get("/publik?layanan=paspor").text
        assert c.get("/publik?wilayah=11.01").status_code == 404
        # the console itself still asks for a login
        r = c.get("/inbox")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_open_data_is_the_same_suppressed_table_as_csv_and_json(office: Office) -> None:
    history(office)
    with httpx.Client(base_url=office.url) as c:
        rows = list(csv.DictReader(io.StringIO(c.get("/publik/data.csv").text)))
        data = c.get("/publik/data.json").json()
        weeks = c.get("/publik/minggu.json").json()
        weeks_csv = c.get("/publik/minggu.csv?wilayah=91").text
    assert data["suppressed_below"] == 5 and data["period_start"] < data["period_end"]
    assert len(rows) == len(data["cells"]) > 0
    for row, cell in zip(rows, data["cells"], strict=True):
        for name, key in (("diterima", "received"), ("selesai", "completed"), ("antrean", "backlog")):
            if cell[key] is None:
                assert row[name] in ("< 5", "x") and cell[key + "_note"] in ("lt5", "x")
            else:
                assert int(row[name]) == cell[key] and (cell[key] == 0 or cell[key] >= 5)
    assert any(r["diterima"] == "< 5" for r in rows)
    assert weeks["weeks"] and weeks_csv.startswith("wilayah,minggu,diterima,selesai")


def test_the_static_site_has_every_region_and_the_open_data(office: Office, tmp_path: Path) -> None:
    gen = history(office)
    out = tmp_path / "situs"
    console = Console(office.db, office.settings, load_catalog(), tmp_path, Calendar())
    pages = publish(console, out, "", "id")
    kec = gen.panel.villages[0][:8]
    assert (
        (out / "index.html").exists()
        and (out / f"{kec}.html").exists()
        and (out / f"{kec}--ktp_new.html").exists()
    )
    assert (out / f"{gen.panel.villages[0]}.html").exists() and (out / "publik.css").exists()
    assert pages == len(list(out.glob("*.html")))
    html = (out / f"{kec}.html").read_text()
    assert (
        f'href="{gen.panel.villages[0]}.html"' in html
        and 'href="publik.css"' in html
        and "/static/" not in html
    )
    assert json.loads((out / "data.json").read_text())["cells"]


def test_publish_from_the_command_line(office: Office, tmp_path: Path) -> None:
    history(office)
    args = ["--db", office.db_url, "--data-dir", str(office.settings.data_dir)]
    done = run_cli("central.cli", ["publish", str(tmp_path / "situs"), "--area", "91", *args], timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pages in" in done.stdout and (tmp_path / "situs" / "index.html").exists()
    done = run_cli("central.cli", ["publish", str(tmp_path / "x"), "--area", "9.1", *args])
    assert done.returncode == 2 and "--area '9.1'" in done.stderr
