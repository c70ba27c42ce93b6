"""The console's pages over HTTP (no browser): bad input, expired sessions, missing keys, a database that is
down, bulk changes, exports and dead letters, each audited; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx

from central import audit
from central.store import DeadLetter
from central.web_cli import serve_in_thread
from tests.support.office import PASSWORD, Office, office_settings
from tools.net import free_port, wait_for_port

from .test_browser import seeded


def client(office: Office, name: str) -> httpx.Client:
    c = httpx.Client(base_url=office.url)
    c.get("/login")
    r = c.post(
        "/login", data={"name": name, "password": PASSWORD, "next": "/", "csrftoken": c.cookies["csrftoken"]}
    )
    assert r.status_code == 303, r.text
    return c


def token(c: httpx.Client) -> str:
    return c.cookies["csrftoken"]


def test_malformed_query_parameters_get_400_with_a_message(office: Office) -> None:
    seeded(office)
    c = client(office, "sari")
    for url, words in [
        ("/inbox?age=lama", "age="),
        ("/inbox?state=hilang", "state="),
        ("/inbox?after=xyz", "after"),
        ("/inbox?village=abc", "village="),
        ("/inbox?service=nope", "service="),
        ("/search?q=halo", "ticket code"),
        ("/fleet?after=!!", "after"),
        ("/audit?before=x", "before"),
        ("/export?format=xml", "format"),
    ]:
        r = c.get(url)
        assert r.status_code == 400, url
        assert words in r.text and "Traceback" not in r.text, url


def test_an_unknown_ticket_is_404(office: Office) -> None:
    seeded(office)
    c = client(office, "sari")
    assert c.get(f"/requests/{uuid.uuid4()}").status_code == 404
    assert c.get("/requests/not-a-ticket").status_code == 404


def test_an_expired_session_goes_to_the_login_and_back_to_the_same_page(office: Office) -> None:
    s = seeded(office)
    c = client(office, "ani")
    target = f"/requests/{s['mine'].msg_id}"
    assert c.get(target).status_code == 200
    console = office.running.console  # type: ignore[union-attr]
    console.clock = lambda: time.time() + console.settings.central.session_idle_s + 5
    r = c.get(target)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    page = c.get(r.headers["location"])
    assert "Sesi Anda berakhir" in page.text
    console.clock = None
    r = c.post("/login", data={"name": "ani", "password": PASSWORD, "next": target, "csrftoken": token(c)})
    assert r.status_code == 303 and r.headers["location"] == target


def test_a_missing_office_key_says_why_and_the_rest_keeps_working(office: Office) -> None:
    s = seeded(office)
    key = office.settings.data_dir / "keys" / "central_private.key"
    key.rename(key.with_suffix(".away"))
    c = client(office, "ani")
    r = c.get(f"/requests/{s['mine'].msg_id}")
    assert r.status_code == 200
    assert "tidak dapat dibuka" in r.text and "kunci privat kantor tidak ada" in r.text
    assert "3201014507900001" not in r.text
    assert c.get("/inbox").status_code == 200
    assert audit.count(office.db, "open_failed", s["mine"].msg_id) == 1


def test_a_database_that_is_down_gets_a_clear_page(tmp_path: Path) -> None:
    from central.db import Database
    from central.web.app import create_app
    from central.web.console import Console
    from layanan.calendar import Calendar
    from layanan.domain.catalog import load_catalog

    url = "postgresql://postgres@127.0.0.1:1/nothing"
    settings = office_settings(tmp_path, url)
    console = Console(Database(url, pool_size=1), settings, load_catalog(), tmp_path / "keys", Calendar())
    port = free_port()
    server, _ = serve_in_thread(SimpleNamespace(app=create_app(console)), "127.0.0.1", port)  # type: ignore[arg-type]
    try:
        wait_for_port(port, 15)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            c.get("/login")
            r = c.post(
                "/login", data={"name": "ani", "password": "x" * 12, "csrftoken": c.cookies["csrftoken"]}
            )
            assert r.status_code == 503
            assert "Basis data kantor tidak dapat dihubungi" in r.text and "Traceback" not in r.text
    finally:
        server.should_exit = True
        console.db.close()


def test_a_bulk_change_is_audited_per_request_and_stays_in_the_area(office: Office) -> None:
    s = seeded(office)
    more = office.request("kiosk-jayapura-01", "kk_new")
    office.index()
    c = client(office, "ani")
    ids = [s["mine"].msg_id, more.msg_id, s["theirs"].msg_id]
    r = c.post("/inbox/bulk", data={"ids": ids, "state": "diproses", "csrftoken": token(c), "back": "/inbox"})
    assert r.status_code == 303
    states = dict(office.db.query("SELECT msg_id, state FROM cases"))
    assert states[s["mine"].msg_id] == states[more.msg_id] == "diproses"
    assert states[s["theirs"].msg_id] == "diterima"
    assert audit.count(office.db, "state") == 2
    # a refusal needs a reason from the language pack
    r = c.post(f"/requests/{more.msg_id}/state", data={"state": "ditolak", "csrftoken": token(c)})
    assert r.status_code == 400 and "alasan" in r.text
    c.post(
        f"/requests/{more.msg_id}/state",
        data={"state": "ditolak", "reason": "dokumen_kurang", "csrftoken": token(c)},
    )
    text = office.db.one("SELECT text FROM status_updates WHERE msg_id = ? ORDER BY id DESC", (more.msg_id,))[
        0
    ]
    assert text == "Ditolak: Dokumen kurang"


def test_search_finds_a_request_by_nik_through_the_blind_index_only(office: Office) -> None:
    s = seeded(office)
    stored = office.db.one("SELECT nik_index FROM cases WHERE msg_id = ?", (s["mine"].msg_id,))[0]
    assert re.fullmatch(r"[0-9a-f]{64}", stored) and "3201014507900001" not in stored
    c = client(office, "ani")
    r = c.get("/search", params={"q": "3201 0145 0790 0001"})
    assert s["mine"].msg_id in r.text and s["theirs"].msg_id not in r.text
    assert "3201014507900001" not in r.text  # the NIK typed is not echoed
    r = c.get("/search", params={"q": s["mine"].ticket})
    assert s["mine"].msg_id in r.text


def test_exports_are_limited_to_the_area_and_audited(office: Office) -> None:
    s = seeded(office)
    c = client(office, "ani")
    rows = json.loads(c.get("/export", params={"format": "json", "state": "diterima"}).text)
    assert [r["msg_id"] for r in rows] == [s["mine"].msg_id]
    assert rows[0]["fields"]["nik"] == "3201014507900001"
    assert audit.count(office.db, "export", actor="ani") == 1
    text = c.get("/export", params={"format": "csv"}).text
    assert s["mine"].ticket in text and s["theirs"].msg_id not in text


def test_roles_keep_to_their_pages(office: Office) -> None:
    s = seeded(office)
    office.user("teknisi", "technician", "91")
    c = client(office, "teknisi")
    assert c.get("/fleet").status_code == 200
    for url in ("/inbox", f"/requests/{s['mine'].msg_id}", "/audit", "/dead-letters", "/export"):
        assert c.get(url).status_code == 403, url
    c = client(office, "ani")
    assert c.get("/audit").status_code == 403 and c.get("/dead-letters").status_code == 403


def test_dead_letters_are_discarded_by_a_supervisor_and_audited(office: Office) -> None:
    seeded(office)
    from central import compose

    store = compose.store(office.settings, office.db_url)
    store.commit([], [DeadLetter("malformed", "not JSON", "kiosk/v1/kiosk-sorong-01/req", b"{", time.time())])
    store.close()
    c = client(office, "sari")
    page = c.get("/dead-letters").text
    assert "malformed" in page
    dead_id = int(office.db.one("SELECT MAX(id) FROM dead_letters")[0])
    r = c.post(f"/dead-letters/{dead_id}/discard", data={"csrftoken": token(c)})
    assert r.status_code == 303
    assert "malformed" not in c.get("/dead-letters").text
    assert audit.count(office.db, "deadletter_discard", actor="sari") == 1
    audit_page = c.get("/audit").text
    assert "membuang pesan gagal" in audit_page
    csv_text = c.get("/audit/export.csv").text
    assert "deadletter_discard" in csv_text
    assert audit.count(office.db, "audit_export") == 1


def test_the_english_pack_names_the_states(office: Office) -> None:
    seeded(office)
    c = client(office, "ani")
    c.post("/lang", data={"lang": "en", "back": "/inbox", "csrftoken": token(c)})
    text = c.get("/inbox").text
    assert "Inbox" in text and "Received" in text and "Kotak masuk" not in text


def test_a_photo_the_kiosk_was_unsure_of_is_flagged_for_the_clerk(office: Office) -> None:
    # the kiosk's own capture of a table with no card on it: the whole frame, flagged inside the file
    from kiosk.vision.pipeline import capture_document
    from tools.vision import synth

    flagged = capture_document(synth.background("table", (640, 480)), "ktp").attachment().data
    office.start()
    office.device("kiosk-jayapura-01", "91.03.05.2001")
    plain = office.request("kiosk-jayapura-01", "ktp_new", photos=(_sample_jpeg(),))
    unsure = office.request("kiosk-jayapura-01", "ktp_new", photos=(flagged, _sample_jpeg()))
    office.user("ani", "clerk", "91.03", "dukcapil")
    office.index()
    c = client(office, "ani")
    page = c.get(f"/requests/{unsure.msg_id}").text
    assert page.count('class="photo-check"') == 1  # the flagged photo only, not the good one beside it
    assert "Periksa foto ini." in page and "tidak menemukan tepi dokumen" in page
    assert "data:image/webp;base64," in page
    assert 'class="photo-check"' not in c.get(f"/requests/{plain.msg_id}").text


def _sample_jpeg() -> bytes:
    return (Path(__file__).parent / "ktp-sample.jpg").read_bytes()
