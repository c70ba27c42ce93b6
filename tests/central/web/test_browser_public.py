"""The public page, its static export and the plan page in a real browser (Debian's chromium under Playwright),
on SQLite and on PostgreSQL, with the console's own browser set-up (tests/central/web/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from central import transparency as tr
from central.forecast import engine, plan
from central.publish_cli import publish
from central.web.console import Console
from layanan.calendar import Calendar
from layanan.domain.catalog import load_catalog
from tests.central.web.test_browser import log_in
from tests.support.office import Office
from tools.demand import Spec, generate
from tools.office_history import load

SHOTS = os.environ.get("CONSOLE_SCREENSHOTS", "")
CATALOG = load_catalog()


def generated(office: Office, villages: int = 16) -> Any:
    """An office with 20 weeks of generated requests, its aggregates published and a forecast saved."""
    office.start()
    gen = generate(Spec(villages=villages, weeks=80, seed=11))
    load(office.settings, office.db_url, office.db, gen, weeks=20)
    tr.refresh(office.db, plan.demand_services(CATALOG), office.settings.site.time_zone)
    plan.save(office.db, engine.forecast(gen.panel, 8, 1, derived=plan.derived_series(CATALOG)), "test")
    return gen


def test_the_public_page_takes_a_citizen_from_the_country_to_a_village(office: Office, page: Any) -> None:
    gen = generated(office)
    village = gen.panel.villages[0]
    page.goto(office.url + "/publik")
    assert page.locator("h1").inner_text() == "Semua wilayah"
    assert "diperbarui setiap jam" in page.locator("p.fresh").inner_text()
    page.click(f"table.children a:text-is('{village[:2]}')")
    page.click(f"table.children a:text-is('{village[:5]}')")
    page.click(f"table.children a:text-is('{village[:8]}')")
    page.wait_for_selector("svg.chart")
    page.select_option("select[name=layanan]", "ktp_new")
    page.click("form.pick button")
    page.wait_for_url("**layanan=ktp_new**")
    assert "KTP-el baru" in page.locator("h2#wilayah").inner_text()
    cells = page.locator("table.children td").all_inner_texts()
    assert "< 5" in cells or "x" in cells  # small villages' counts are not shown
    page.click(f"table.children a:text-is('{village}')")
    assert page.locator("h1").inner_text() == village
    assert page.locator("table.services tbody tr").count() == 14  # 13 services and the total
    csv_link = page.locator("a[href^='/publik/data.csv']")
    assert csv_link.get_attribute("href") == f"/publik/data.csv?wilayah={village}"
    # a phone: the tables scroll inside their box, the page does not
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    if SHOTS:
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(f"{office.url}/publik?wilayah={village[:8]}")
        page.screenshot(path=str(Path(SHOTS) / "publik.png"), full_page=True)


def test_the_static_export_opens_from_disk_without_a_server(
    office: Office, page: Any, tmp_path: Path
) -> None:
    gen = generated(office)
    out = tmp_path / "situs"
    publish(Console(office.db, office.settings, CATALOG, tmp_path, Calendar()), out, "", "id")
    office.stop()  # no server from here on
    page.goto((out / "index.html").as_uri())
    assert "Transparansi Layanan Desa" in page.title()
    color = page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
    assert color == "rgb(11, 93, 59)"  # the stylesheet beside the pages was found
    kec = gen.panel.villages[0][:8]
    page.goto((out / f"{kec}.html").as_uri())
    page.click("ul.services a:text-is('KTP-el baru')")
    assert page.url.endswith(f"{kec}--ktp_new.html#wilayah")
    page.click(f"table.children a:text-is('{gen.panel.villages[0]}')")
    assert page.locator("h1").inner_text() == gen.panel.villages[0]
    assert (out / "data.csv").read_text().startswith("wilayah,tingkat,layanan")


def test_a_supervisor_sees_what_to_order_and_records_stock(office: Office, page: Any) -> None:
    gen = generated(office)
    office.user("sari", "supervisor")
    log_in(page, office, "sari")
    page.wait_for_url("**/inbox")
    page.click("header nav a:text-is('Rencana')")
    page.wait_for_selector("table.plan")
    page.select_option("select[name=minggu]", "6")
    page.select_option("select[name=tingkat]", "0.95")
    page.click("form.filters button.primary")
    page.wait_for_url("**minggu=6**")
    assert "kuantil 95 %" in page.content() and "6 minggu" in page.content()
    kec = gen.panel.villages[0][:8]
    row = page.locator("table.plan tbody tr", has_text=kec).filter(has_text="Blangko KTP-el")
    target = int(row.locator("td").nth(4).inner_text())  # whole units: the stock that covers the weeks
    page.select_option("form.record select[name=kecamatan]", kec)
    page.fill("input[name=stok_ktp_blank]", "2")
    page.fill("input[name=hari]", "3")
    page.click("form.record button.primary")
    page.wait_for_selector("p.flash")
    assert "Tersimpan." in page.locator("p.flash").inner_text() and "minggu=6" in page.url
    row = page.locator("table.plan tbody tr", has_text=kec).filter(has_text="Blangko KTP-el")
    cells = row.locator("td").all_inner_texts()
    assert cells[2] == "2"
    moved_in = sum(int(t.split()[1]) for t in cells[5].splitlines() if t.startswith("terima"))
    assert cells[6].split()[0] == str(max(0, target - 2 - moved_in))
    assert (
        page.locator("a:text-is('Unduh CSV')")
        .get_attribute("href")
        .startswith("/rencana/export.csv?minggu=6")
    )
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "rencana.png"), full_page=False)
