"""/rencana over HTTP (SQLite and PostgreSQL): a saved forecast becomes orders; stock and staff are recorded
and audited; the CSV export; only supervisors, only their area."""

from __future__ import annotations

import csv
import io

import httpx

from central import audit
from central.forecast import engine, plan
from layanan.domain.catalog import load_catalog
from tests.central.web.test_pages import client, token
from tests.support.office import Office
from tools.demand import Spec, generate


def saved(office: Office) -> list[str]:
    """A forecast of 18 generated villages saved as the plan page reads it; their kecamatan."""
    office.start()
    gen = generate(Spec(villages=18, weeks=90, seed=6))
    result = engine.forecast(gen.panel, 8, 1, derived=plan.derived_series(load_catalog()))
    plan.save(office.db, result, "test")
    office.user("sari", "supervisor", gen.panel.villages[0][:5])
    office.user("ani", "clerk", gen.panel.villages[0][:5], "dukcapil")
    return sorted({v[:8] for v in gen.panel.villages})


def test_a_supervisor_records_stock_and_sees_what_to_order(office: Office) -> None:
    kecs = saved(office)
    c = client(office, "sari")
    r = c.get("/rencana?minggu=4&tingkat=0.9")
    assert r.status_code == 200 and "Rencana stok dan petugas" in r.text and "Blangko KTP-el" in r.text
    assert "belum dicatat" in r.text
    r = c.post(
        "/rencana/catat",
        data={
            "kecamatan": kecs[0],
            "stok_ktp_blank": "3",
            "stok_kk_form": "500",
            "hari": "4",
            "csrftoken": token(c),
            "back": "/rencana?minggu=4&tingkat=0.9",
        },
    )
    assert r.status_code == 303
    assert office.db.one(
        "SELECT on_hand FROM stock WHERE kecamatan = ? AND supply = 'ktp_blank'", (kecs[0],)
    ) == (3,)
    assert (
        audit.count(office.db, "stock", actor="sari") == 2
        and audit.count(office.db, "staff", actor="sari") == 1
    )
    rows = list(csv.DictReader(io.StringIO(c.get("/rencana/export.csv?minggu=4&tingkat=0.9").text)))
    mine = {r["barang"]: r for r in rows if r["kecamatan"] == kecs[0]}
    target = float(mine["ktp_blank"]["stok_target"])
    assert int(mine["ktp_blank"]["pesan"]) == plan.order_quantity(
        target, 3 + sum(int(m.split(":")[1]) for m in mine["ktp_blank"]["terima"].split())
    )
    assert mine["kk_form"]["pesan"] == "0"  # 500 forms cover four weeks
    assert audit.count(office.db, "export", actor="sari") == 1
    # a higher service level asks for at least as much
    higher = list(csv.DictReader(io.StringIO(c.get("/rencana/export.csv?minggu=4&tingkat=0.99").text)))
    assert (
        float({r["barang"]: r for r in higher if r["kecamatan"] == kecs[0]}["ktp_blank"]["stok_target"])
        >= target
    )


def test_bad_values_and_other_areas_and_roles_are_refused(office: Office) -> None:
    kecs = saved(office)
    c = client(office, "sari")
    assert c.get("/rencana?minggu=40").status_code == 400
    assert c.get("/rencana?tingkat=0.42").status_code == 400
    r = c.post("/rencana/catat", data={"kecamatan": "11.01.01", "stok_ktp_blank": "3", "csrftoken": token(c)})
    assert r.status_code == 400  # not in the supervisor's area
    r = c.post("/rencana/catat", data={"kecamatan": kecs[0], "stok_ktp_blank": "-3", "csrftoken": token(c)})
    assert r.status_code == 303 and office.db.one("SELECT COUNT(*) FROM stock") == (0,)
    assert "Isi angka bulat" in c.get("/rencana").text
    assert client(office, "ani").get("/rencana").status_code == 403
    with httpx.Client(base_url=office.url) as anonymous:
        r = anonymous.get("/rencana")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
