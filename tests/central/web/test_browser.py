"""The console in a real browser (Debian's chromium under Playwright), on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from central import audit
from tests.support.office import PASSWORD, Office

SHOTS = os.environ.get("CONSOLE_SCREENSHOTS", "")
"""A folder to save the README's screenshots into (``CONSOLE_SCREENSHOTS=docs/screenshots``)."""


def log_in(page: Any, office: Office, name: str, password: str = PASSWORD, path: str = "/") -> None:
    page.goto(office.url + path)
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button.primary")


def seeded(office: Office) -> dict[str, Any]:
    office.start()
    office.device("kiosk-jayapura-01", "91.03.05.2001")
    office.device("kiosk-sorong-01", "92.01.01.2001")
    mine = office.request("kiosk-jayapura-01", "ktp_new", photos=(_jpeg(),))
    theirs = office.request("kiosk-sorong-01", "ktp_new")
    office.user("ani", "clerk", "91.03", "dukcapil")
    office.user("sari", "supervisor")
    office.index()
    return {"mine": mine, "theirs": theirs}


def _jpeg() -> bytes:
    return (Path(__file__).parent / "ktp-sample.jpg").read_bytes()


def test_a_clerk_logs_in_and_sees_the_inbox_of_their_area(office: Office, page: Any) -> None:
    s = seeded(office)
    log_in(page, office, "ani")
    page.wait_for_url("**/inbox")
    assert page.locator("table.cases").is_visible()
    assert page.locator(f"a[href='/requests/{s['mine'].msg_id}']").count() == 1
    assert page.locator(f"a[href='/requests/{s['theirs'].msg_id}']").count() == 0
    assert "Kotak masuk" in page.content() and "Diterima" in page.content()


def test_a_wrong_password_several_times_locks_the_account(office: Office, page: Any) -> None:
    seeded(office)
    for _ in range(office.settings.central.lock_after):
        log_in(page, office, "ani", "salah-salah-salah")
        page.wait_for_selector("p.problem")
        office.db.execute(
            "UPDATE users SET next_try_at = 0 WHERE name = 'ani' AND locked = 0"
        )  # skip the waits
    assert "terkunci" in page.locator("p.problem").inner_text()
    log_in(page, office, "ani")  # the right password no longer opens it
    page.wait_for_selector("p.problem")
    assert "terkunci" in page.locator("p.problem").inner_text()
    assert "/login" in page.url


def test_a_clerk_does_not_see_another_areas_kiosk_or_request_even_by_url(office: Office, page: Any) -> None:
    s = seeded(office)
    log_in(page, office, "ani")
    page.wait_for_url("**/inbox")
    response = page.goto(f"{office.url}/requests/{s['theirs'].msg_id}")
    assert response.status == 404
    assert "3201014507900001" not in page.content()
    page.goto(office.url + "/fleet")
    assert "kiosk-jayapura-01" in page.content() and "kiosk-sorong-01" not in page.content()
    assert page.goto(f"{office.url}/fleet/kiosk-sorong-01").status == 404
    page.goto(f"{office.url}/search?q={s['theirs'].ticket}")
    assert s["theirs"].msg_id not in page.content()
    assert audit.count(office.db, "open", s["theirs"].msg_id) == 0


def test_opening_a_request_writes_one_audit_row(office: Office, page: Any) -> None:
    s = seeded(office)
    log_in(page, office, "ani")
    page.wait_for_url("**/inbox")
    page.click(f"a[href='/requests/{s['mine'].msg_id}']")
    page.wait_for_selector("dl.fields")
    assert "3201014507900001" in page.locator("dl.fields").inner_text()
    assert page.locator(".photos img").count() == 1
    assert audit.count(office.db, "open", s["mine"].msg_id) == 1
    [row] = [r for r in audit.rows(office.db) if r.action == "open"]
    assert (row.actor, row.ticket, row.remote) == ("ani", s["mine"].ticket, "127.0.0.1")


def test_a_post_without_the_csrf_token_is_refused(office: Office, page: Any) -> None:
    s = seeded(office)
    log_in(page, office, "ani")
    page.wait_for_url("**/inbox")
    # the browser's own cookies go along; only the form's token is missing
    response = page.request.post(
        f"{office.url}/requests/{s['mine'].msg_id}/state", form={"state": "diproses"}
    )
    assert response.status == 403
    assert office.db.one("SELECT state FROM cases WHERE msg_id = ?", (s["mine"].msg_id,))[0] == "diterima"
    # with the token from the page it goes through
    page.goto(f"{office.url}/requests/{s['mine'].msg_id}")
    page.check("input[value=diproses]")
    page.click("form.change button")
    page.wait_for_selector("p.flash")
    assert office.db.one("SELECT state FROM cases WHERE msg_id = ?", (s["mine"].msg_id,))[0] == "diproses"


def test_pages_at_a_phone_width_and_the_screenshots(office: Office, browser: Any) -> None:
    s = seeded(office)
    office.request("kiosk-jayapura-01", "kk_new", received_at=1.0)  # long overdue
    office.index()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    log_in(phone, office, "ani")
    phone.wait_for_url("**/inbox")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the inbox is {width} px wide on a 390 px phone"
    context.close()
    if SHOTS:
        shoot(office, browser, s, Path(SHOTS))


def richer(office: Office) -> None:
    """More of a working day for the screenshots: services, villages, states, telemetry history."""
    import random
    import time

    from central import compose

    rnd = random.Random(7)
    now = time.time()
    for n in range(2, 7):
        office.device(f"kiosk-jayapura-0{n}", f"91.03.0{n}.200{n}")
    services = ["ktp_new", "kk_new", "akta_lahir", "ktp_replace", "sk_domisili", "pengaduan", "bansos_dtks"]
    for i in range(24):
        office.request(
            f"kiosk-jayapura-0{1 + i % 6}",
            services[i % len(services)],
            fields={"nik": f"32010145079{i:05d}", "phone": "0812345678"},
            received_at=now - rnd.uniform(0, 30) * 86400,
        )
    office.index()
    store = compose.store(office.settings, office.db_url)
    try:
        for n in range(1, 6):
            for h in range(0, 7 * 24, 3):
                q = max(0, int(6 + 5 * __import__("math").sin(h / 9 + n)))
                store.save_telemetry(
                    f"kiosk-jayapura-0{n}",
                    {
                        "v": 1,
                        "q": q,
                        "old": q * 60,
                        "sync": int(now * 1000),
                        "disk": 12000 - 30 * n,
                        "quar": 0,
                        "ver": {"sw": "0.1.0", "digits-id": "v6"},
                    },
                    now - (7 * 24 - h) * 3600 - (n * 30 * 3600 if n == 5 else 0),
                )
    finally:
        store.close()
    rows = office.db.query("SELECT msg_id FROM cases ORDER BY received_at LIMIT 6")
    with office.db.tx() as cur:
        from central import cases

        for (msg_id,), state in zip(
            rows, ["diproses", "diproses", "siap_diambil", "selesai", "ditolak", "diproses"], strict=False
        ):
            case = cases.Case(msg_id, "", "", "", "", "", 0.0, "", "diterima", 0.0, "")
            cases.set_state(cur, case, state, "dokumen_kurang" if state == "ditolak" else "", "ani", now)


def shoot(office: Office, browser: Any, s: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    richer(office)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = context.new_page()
    log_in(pg, office, "sari")
    pg.wait_for_url("**/inbox")
    pg.screenshot(path=str(out / "console-inbox.png"))
    pg.goto(f"{office.url}/requests/{s['mine'].msg_id}")
    pg.screenshot(path=str(out / "console-request.png"), full_page=True)
    pg.goto(f"{office.url}/fleet")
    pg.screenshot(path=str(out / "console-fleet.png"))
    pg.goto(f"{office.url}/fleet/kiosk-jayapura-01")
    pg.screenshot(path=str(out / "console-kiosk.png"))
    pg.goto(f"{office.url}/audit")
    pg.screenshot(path=str(out / "console-audit.png"))
    context.close()
