"""The low-literacy review's findings (issue 36), each driven in a real Kivy window under Xvfb with real touches
(``tests/ui/drive.py``); a test is named after its finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.ui.screenshots import TO_NIK
from tests.ui.test_app_window import run_module

NIK, KK, PHONE = "3201014507900001", "3201011203150004", "081234567890"
pytestmark = pytest.mark.slow


def drive(tmp_path: Path, plan: list[Any], settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Follow ``plan`` in a real window (see tests/ui/drive.py); the notes it took, by name."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    args = [str(tmp_path / "data"), str(tmp_path / "result.json"), str(tmp_path / "plan.json")]
    if settings:
        (tmp_path / "settings.json").write_text(json.dumps(settings))
        args.append(str(tmp_path / "settings.json"))
    proc = run_module("tests.ui.drive", *args, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert "error" not in result, (result["error"], result["notes"].get("failed", {}).get("drawn"))
    return result  # type: ignore[no-any-return]


def keys(digits: str) -> list[str]:
    return [f"key:{d}" for d in digits]


def drawn(note: dict[str, Any], target: str) -> dict[str, Any]:
    found = [w for w in note["drawn"] if w["target"] == target]
    assert found, f"{target} is not drawn on {note['screen']}: {[w['target'] for w in note['drawn']]}"
    return found[0]


def said(note: dict[str, Any]) -> list[str]:
    """What the kiosk said last before the note."""
    return list(note["said"][-1]) if note["said"] else []


def test_batal_first_tap_only_says_what_it_will_do_and_the_second_wipes(tmp_path: Path) -> None:
    plan = [*TO_NIK, *keys(NIK[:5]), "batal", {"note": "once"}, "batal", {"note": "twice"}]
    notes = drive(tmp_path, plan)["notes"]
    once = notes["once"]
    assert once["screen"] == "field" and once["entry"] == NIK[:5]  # nothing wiped yet
    assert said(once) == ["confirm.batal"]
    assert drawn(once, "batal")["highlighted"] and once["banner"], "the question is drawn too"
    assert notes["twice"]["screen"] == "attract" and notes["twice"]["entry"] == ""
    assert said(notes["twice"])[0] == "screen.cancelled"


def test_batal_then_another_tap_goes_on_without_wiping(tmp_path: Path) -> None:
    notes = drive(tmp_path, [*TO_NIK, *keys("32"), "batal", "key:0", {"note": "after"}])["notes"]
    assert notes["after"]["screen"] == "field" and notes["after"]["entry"] == "320"
    assert not notes["after"]["banner"]


def test_lewati_first_tap_keeps_the_typed_phone_number_and_says_so(tmp_path: Path) -> None:
    plan = [*TO_NIK, *keys(NIK), "ya", *keys(KK), "ya", *keys("0812"), "lewati", {"note": "once"}]
    plan += ["lewati", {"note": "twice"}]
    notes = drive(tmp_path, plan)["notes"]
    once = notes["once"]
    assert once["field"] == "phone" and once["entry"] == "0812"
    assert said(once) == ["confirm.lewati_entry"] and drawn(once, "lewati")["highlighted"]
    assert notes["twice"]["screen"] == "documents" and "phone" not in notes["twice"]["values"]
    assert said(notes["twice"])[0] == "done.skipped"


def test_kembali_shows_the_nik_again_and_a_review_line_changes_that_field_alone(tmp_path: Path) -> None:
    wrong_kk = KK[:-1] + "5"  # a valid number, one digit off: only the review shows it
    plan = [*TO_NIK, *keys(NIK), {"note": "kk"}, "kembali", {"note": "back"}]
    plan += ["key:del", "key:1", *keys(wrong_kk), *keys(PHONE), "ya", "doc:kk_copy", "doc:kk_copy"]
    plan += [
        "ya",
        {"note": "review"},
        "edit:kk_number",
        {"note": "edit"},
        "key:del",
        "key:4",
        {"note": "fixed"},
    ]
    notes = drive(tmp_path, plan)["notes"]
    assert notes["kk"]["field"] == "kk_number", "16 right digits go on by themselves"
    assert notes["back"]["field"] == "nik" and notes["back"]["entry"] == NIK
    assert NIK[:4] + " " + NIK[4:8] in " ".join(notes["back"]["content"]), "drawn again, not only stored"
    assert {"edit:nik", "edit:kk_number", "edit:phone"} <= {w["target"] for w in notes["review"]["drawn"]}
    assert notes["edit"]["field"] == "kk_number" and notes["edit"]["entry"] == wrong_kk
    fixed = notes["fixed"]
    assert fixed["screen"] == "review" and fixed["values"] == {"nik": NIK, "kk_number": KK, "phone": PHONE}


def test_documents_first_tap_says_what_a_second_will_do_and_marked_is_not_yellow(tmp_path: Path) -> None:
    plan = [*TO_NIK, *keys(NIK), *keys(KK), *keys(PHONE), "ya", "doc:kk_copy", {"note": "once"}]
    plan += ["doc:kk_copy", {"note": "marked"}, "doc:kk_copy", {"note": "asked"}, "doc:kk_copy"]
    plan += [{"note": "unmarked"}]
    notes = drive(tmp_path, plan)["notes"]
    once = notes["once"]
    assert once["documents"] == [] and said(once) == ["doc:kk_copy", "doc.hint_mark"]
    tile = drawn(once, "doc:kk_copy")
    assert tile["highlighted"] and tile["line_width"] >= 5 and "\u2714" in tile["text"]  # not colour alone
    marked = notes["marked"]
    assert marked["documents"] == ["kk_copy"] and said(marked) == ["doc:kk_copy", "doc.marked"]
    tile = drawn(marked, "doc:kk_copy")
    assert tile["marked"] and not tile["highlighted"] and tile["line_width"] >= 5
    assert tile["bg_color"] != drawn(once, "doc:kk_copy")["bg_color"], "marked is not the 'heard' yellow"
    assert notes["asked"]["documents"] == ["kk_copy"], "a tap on a marked document only asks"
    assert notes["unmarked"]["documents"] == [] and said(notes["unmarked"])[-1] == "doc.unmarked"


def test_documents_going_on_with_none_marked_asks_first(tmp_path: Path) -> None:
    plan = [*TO_NIK, *keys(NIK), *keys(KK), *keys(PHONE), "ya", "ya", {"note": "asked"}, "ya", {"note": "on"}]
    notes = drive(tmp_path, plan)["notes"]
    assert notes["asked"]["screen"] == "documents" and said(notes["asked"]) == ["confirm.no_docs"]
    assert notes["asked"]["banner"] and drawn(notes["asked"], "ya")["highlighted"]
    assert notes["on"]["screen"] == "review"


TODAY_ERROR_FREE_TAPS = 57
"""Taps of an error-free KTP-el request by touch before issue 36 (tests/ui/tap_through.py at ce492cd: 7 to the
NIK, 16 + ya, 16 + ya, 12 + ya for the phone, one tap on the document, ya, ya)."""


def test_review_correction_takes_at_most_two_taps_more_than_the_old_error_free_path(tmp_path: Path) -> None:
    tail = [*keys(PHONE), "ya", "doc:kk_copy", "doc:kk_copy", "ya"]
    clean = drive(tmp_path / "clean", [*TO_NIK, *keys(NIK), *keys(KK), *tail, "ya", {"note": "end"}])
    wrong_kk = KK[:-1] + "5"
    fix = ["edit:kk_number", "key:del", "key:4", {"note": "fixed"}, "ya", {"note": "end"}]
    fixed = drive(tmp_path / "fixed", [*TO_NIK, *keys(NIK), *keys(wrong_kk), *tail, *fix])
    assert clean["notes"]["end"]["screen"] == "ticket", clean["log"][-6:]
    assert fixed["notes"]["end"]["screen"] == "ticket", fixed["log"][-6:]
    assert fixed["notes"]["fixed"]["values"]["kk_number"] == KK
    print(f"taps: error-free {clean['taps']}, one mistake fixed on the review {fixed['taps']}")
    assert clean["taps"] <= TODAY_ERROR_FREE_TAPS
    assert fixed["taps"] <= TODAY_ERROR_FREE_TAPS + 2, fixed["taps"]


REVIEW_PLAN = [*TO_NIK, *keys(NIK), *keys(KK), *keys(PHONE), "ya", "doc:kk_copy", "doc:kk_copy", "ya"]


def test_readback_of_the_review_is_grouped_and_ends_before_the_idle_warning(tmp_path: Path) -> None:
    """The keys the window says on the review, played from real espeak-ng clips of the audio pack."""
    import subprocess

    import numpy as np

    from kiosk.speech.prompts import PACK_RATE, AudioPack, key_file
    from layanan.domain.catalog import load_catalog
    from layanan.domain.prompts import PromptBook, load_pack

    review = drive(tmp_path, [*REVIEW_PLAN, {"note": "review"}])["notes"]["review"]
    assert review["screen"] == "review"
    keys_said = said(review)
    assert keys_said[-1] == "hint.review_confirm"
    book = PromptBook(load_catalog(), load_pack("id"))
    pack = AudioPack(tmp_path / "prompts")
    (tmp_path / "prompts" / "id").mkdir(parents=True)
    for key in set(keys_said):
        target = tmp_path / "prompts" / "id" / key_file(key)
        subprocess.run(["espeak-ng", "-v", "id", "-s", "140", "-w", str(target), book.text(key)], check=True)
    whole = pack.samples("id", keys_said)
    before_confirm = pack.samples("id", keys_said[:-1])
    seconds = len(whole) / PACK_RATE
    print(
        f"review read-back: {seconds:.1f} s, the confirm instruction starts at {len(before_confirm) / PACK_RATE:.1f} s"
    )
    assert len(before_confirm) / PACK_RATE < 40, (
        "the confirm instruction must start well before the 45 s warning"
    )
    # the NIK alone: four groups, a longer gap between groups than inside them
    nik = pack.samples("id", [f"digit:{d}" for d in NIK])
    assert len(nik) / PACK_RATE < 10, len(nik) / PACK_RATE  # 16 clips of about a second each before
    quiet = np.abs(nik.astype(np.int32)) < 200
    gaps, run = [], 0
    for q in quiet:
        run = run + 1 if q else (gaps.append(run) or 0)
    long_gaps = [g for g in gaps if g > 0.3 * PACK_RATE]
    assert len(long_gaps) == 3, [round(g / PACK_RATE, 2) for g in gaps if g > 0.05 * PACK_RATE]


def test_readback_playing_pauses_the_idle_timer(tmp_path: Path) -> None:
    plan = [*REVIEW_PLAN, {"speaking": True}, {"idle": 50}, {"note": "playing"}]
    plan += [{"speaking": False}, {"idle": 50}, {"note": "ended"}]
    notes = drive(tmp_path, plan)["notes"]
    assert notes["playing"]["screen"] == "review" and not notes["playing"]["warning"]
    assert "screen.still_there" not in said(notes["playing"])
    assert notes["ended"]["warning"], "once the prompt has ended, inactivity counts again"


TICKET_PLAN = [*REVIEW_PLAN, "ya", {"note": "ticket"}]


def test_slip_prints_the_ticket_large_with_pictogram_dates_and_a_qr_code(tmp_path: Path) -> None:
    import datetime as dt

    import cv2
    import numpy as np

    from kiosk.slip import make_slip, raster_to_image, render_slip
    from layanan.domain.catalog import load_catalog
    from layanan.domain.prompts import PromptBook, load_pack

    today = dt.date.today()
    ticket = drive(tmp_path, TICKET_PLAN, {"kiosk": {"printer": "dummy"}})["notes"]["ticket"]
    assert ticket["screen"] == "ticket" and ticket["printed_bytes"] > 1000
    assert said(ticket)[-1] == "slip.printed" and not ticket["slip_shown"]
    printed = raster_to_image((tmp_path / "printed-ticket.bin").read_bytes())
    assert printed.width == 576
    # the bytes carry the whole slip: what render_slip draws for this ticket today, dot for dot
    catalog = load_catalog()
    slip = make_slip(catalog, PromptBook(catalog, load_pack("id")), "ktp_new", ticket["ticket"], today, "")
    drawn_slip = render_slip(slip, 576)
    expected = np.asarray(drawn_slip.image) < 128
    got = np.asarray(printed)[: expected.shape[0]] < 128
    assert (expected != got).mean() < 0.002
    assert slip.free and slip.ready_by > today and slip.bring == ("Fotokopi Kartu Keluarga",)
    # ticket code large: digits at least 10 mm tall (80 of 80 mm paper's 8 dots/mm; the 7 digits of '001 0001'
    # must also fit its width) and across most of the paper, inked; "gratis" and pictogram there
    left, top, right, bottom = drawn_slip.boxes["ticket"]
    assert bottom - top >= 80 and right - left >= 0.8 * 576 and got[top:bottom, left:right].mean() > 0.15
    for part in ("icon", "free"):
        left, top, right, bottom = drawn_slip.boxes[part]
        assert got[top:bottom, left:right].mean() > 0.1, part
    # the QR code reads back as the ticket code
    rgb = cv2.cvtColor(np.asarray(printed), cv2.COLOR_GRAY2BGR)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(rgb)
    assert text == ticket["ticket"]


def test_slip_without_a_printer_is_on_screen_to_photograph(tmp_path: Path) -> None:
    ticket = drive(tmp_path, TICKET_PLAN, {"kiosk": {"printer": ""}})["notes"]["ticket"]
    assert ticket["slip_shown"] and ticket["printed_bytes"] == 0
    assert said(ticket)[-1] == "slip.photo"
    assert any("Foto layar ini dengan HP" in text for text in ticket["content"])


def test_slip_screen_timeout_says_goodbye_not_that_data_was_deleted(tmp_path: Path) -> None:
    notes = drive(tmp_path, [*TICKET_PLAN, {"idle": 80}, {"note": "home"}])["notes"]
    assert notes["home"]["screen"] == "attract"
    assert said(notes["home"])[0] == "screen.goodbye" and "screen.timeout" not in said(notes["home"])


def test_slip_english_session_stays_english_to_the_end(tmp_path: Path) -> None:
    to_nik = ["start", "lang:en", "lang:en", "cat:ktp", "cat:ktp", "svc:ktp_new", "svc:ktp_new"]
    plan = [*to_nik, *keys(NIK), *keys(KK), *keys(PHONE), "ya", "doc:kk_copy", "doc:kk_copy", "ya", "ya"]
    plan += [{"note": "ticket"}, "batal", {"note": "left"}]
    notes = drive(tmp_path, plan)["notes"]
    langs = notes["ticket"]["said_langs"]
    assert set(langs[langs.index("en") :]) == {"en"}, langs  # from the language choice to the ticket
    left = notes["left"]
    assert left["screen"] == "attract" and said(left) == ["screen.goodbye"] and left["said_langs"] == ["en"]


def test_slip_no_phone_means_no_promise_of_a_call(tmp_path: Path) -> None:
    plan = [*TO_NIK, *keys(NIK), *keys(KK), "lewati", "lewati", "doc:kk_copy", "doc:kk_copy", "ya", "ya"]
    ticket = drive(tmp_path, [*plan, {"note": "ticket"}])["notes"]["ticket"]
    assert "done.no_phone" in said(ticket) and "done.phone" not in said(ticket)
    assert not any("menghubungi" in text for text in ticket["content"])
    with_phone = drive(tmp_path / "phone", TICKET_PLAN)["notes"]["ticket"]
    assert "done.phone" in said(with_phone)


@pytest.mark.parametrize(
    ("sent", "spoken", "icon"),
    [
        ("Siap diambil", ["status.siap_diambil"], "status_siap"),
        ("Ditolak: Dokumen kurang", ["status.kurang_dokumen"], "status_kurang"),
        ("Ditolak: Data tidak sesuai", ["status.ditolak", "reason.data_tidak_sesuai"], "status_ditolak"),
    ],
)
def test_status_of_a_ticket_is_spoken_with_its_pictogram(tmp_path: Path, sent, spoken, icon) -> None:
    plan = [*TICKET_PLAN, {"status": sent}, "selesai", "tiket", *keys("0001"), "ya", {"note": "status"}]
    note = drive(tmp_path, plan)["notes"]["status"]
    assert note["screen"] == "status" and note["ticket"]
    assert said(note)[-len(spoken) :] == spoken, said(note)
    assert "status.news" not in said(note)
    assert any(w["icon"] == icon and sent in w["text"] for w in note["drawn"]), [
        w["icon"] for w in note["drawn"]
    ]


def test_pictograms_of_choices_are_their_own_and_start_is_not_the_speaker(tmp_path: Path) -> None:
    from layanan.domain.catalog import ACTION_ICONS

    plan = [{"note": "attract"}, "start", "lang:id", "lang:id", "cat:pengaduan", "cat:pengaduan"]
    plan += [{"note": "topics"}, "batal", "batal", "start", "lang:id", "lang:id", "cat:surat", "cat:surat"]
    plan += ["svc:sk_usaha", "svc:sk_usaha", *keys(NIK), {"note": "business"}]
    notes = drive(tmp_path, plan)["notes"]
    assert drawn(notes["attract"], "start")["icon"] == "start"
    topics = {w["target"]: w["icon"] for w in notes["topics"]["drawn"] if w["target"].startswith("opt:")}
    assert topics == {
        "opt:road": "opt_road",
        "opt:water": "opt_water",
        "opt:electricity": "opt_electricity",
        "opt:service": "opt_service",
    }
    business = [w["icon"] for w in notes["business"]["drawn"] if w["target"].startswith("opt:")]
    assert len(set(business)) == len(business) == 4 and not set(business) & set(ACTION_ICONS)
    labels = {w["target"]: w["text"] for w in notes["business"]["drawn"]}
    assert "Bantuan" not in labels["bantuan"], "the help button does not share the social-aid category's word"


def test_long_press_opens_the_staff_view_a_tap_only_says_what_it_is(tmp_path: Path) -> None:
    plan = ["staff", {"note": "tap"}, {"press": "staff", "hold_s": 3.4}, {"wait": 0.5}, {"note": "held"}]
    plan += [{"wait": 21}, {"note": "later"}]
    notes = drive(tmp_path, plan)["notes"]
    assert notes["tap"]["staff"] is None and said(notes["tap"]) == ["staff.hold"]
    staff = drawn(notes["tap"], "staff")
    assert staff["icon"] == "staff_key" and min(staff["rect"][2:]) >= 47  # 9 mm on a 7-inch 800x480 panel
    assert notes["held"]["staff"] is not None and said(notes["held"]) == ["staff.pin"]
    assert notes["later"]["staff"] is None, "the staff view closes itself after 20 s without a key"


def test_long_press_staff_view_does_not_stop_the_idle_wipe(tmp_path: Path) -> None:
    plan = [*TO_NIK, *keys(NIK[:6]), {"press": "staff", "hold_s": 3.4}, {"wait": 0.5}, {"note": "open"}]
    plan += [{"idle": 80}, {"note": "wiped"}]
    notes = drive(tmp_path, plan)["notes"]
    assert notes["open"]["staff"] is not None and notes["open"]["entry"] == NIK[:6]
    wiped = notes["wiped"]
    assert wiped["screen"] == "attract" and wiped["entry"] == "" and wiped["staff"] is None


def test_number_error_marks_the_wrong_group_and_says_it_in_plain_words(tmp_path: Path) -> None:
    bad_province = "99" + NIK[2:]
    plan = [*TO_NIK, *keys(NIK[:9]), {"note": "typing"}, *keys(NIK[9:15]), "key:del"]
    plan += [*["key:del"] * 14, *keys(bad_province), {"note": "wrong"}]
    notes = drive(tmp_path, plan)["notes"]
    typing = notes["typing"]
    assert any(t.startswith(NIK[8]) and t.endswith("___") for t in typing["content"]), typing["content"]
    assert "____" in typing["content"], "an empty group is drawn as four empty slots"
    wrong = notes["wrong"]
    assert wrong["error"] == "nik.province" and said(wrong)[-1] == "err.nik.province"
    assert wrong["banner"] and any("Dua angka pertama" in t for t in wrong["banner"])
    assert "\u2716" in wrong["content"], "a cross under the wrong group"
    assert "kode provinsi" not in " ".join(wrong["banner"])


def test_highlight_is_a_thick_border_and_tick_and_ya_keeps_its_place(tmp_path: Path) -> None:
    plan = ["start", "lang:id", "lang:id", "cat:ktp", {"note": "heard"}, "cat:ktp", "svc:ktp_new"]
    plan += ["svc:ktp_new", {"note": "nik"}]
    notes = drive(tmp_path, plan)["notes"]
    tile = drawn(notes["heard"], "cat:ktp")
    assert tile["highlighted"] and tile["line_width"] >= 5 and "\u2714" in tile["text"]
    plain = drawn(notes["heard"], "cat:kk")
    assert not plain["highlighted"] and plain["line_width"] < 5
    # the green confirm is at the bottom right on the choice screen and on the keypad screen alike
    assert drawn(notes["heard"], "ya")["rect"] == drawn(notes["nik"], "ya")["rect"]
    talk = drawn(notes["nik"], "talk")
    assert min(talk["rect"][2:]) >= 47, talk["rect"]  # 9 mm on a 7-inch 800x480 panel
