"""The flow by touch and by voice: every service completes, back/cancel/timeout wipe, bad numbers are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layanan.domain.catalog import load_catalog
from layanan.domain.events import (
    CallStaff,
    CameraFailed,
    CameraHint,
    Captured,
    Idle,
    LookUpTicket,
    RoomBusy,
    Spoken,
    StartCamera,
    StopCamera,
    Submit,
    Submitted,
    Tap,
    TicketFound,
    TicketNotFound,
    VoiceUnavailable,
)
from layanan.domain.flow import Flow, State, UnknownTarget
from layanan.domain.prompts import PromptBook, all_keys, load_pack

SCENARIOS = sorted((Path(__file__).parents[1] / "scenarios").glob("*.json"))
CATALOG = load_catalog()
NIK = "3201014507900001"


@pytest.fixture
def flow() -> Flow:
    return Flow(CATALOG, ("id", "en"), warn_s=45, reset_s=75)


def drive(flow: Flow, state: State, *targets: str) -> State:
    for target in targets:
        state = flow.handle(state, Tap(target)).state
    return state


def keys(flow: Flow, state: State, digits: str) -> State:
    return drive(flow, state, *(f"key:{d}" for d in digits))


def at_nik(flow: Flow) -> State:
    state = flow.start().state
    return drive(
        flow, state, "start", "lang:id", "lang:id", "cat:ktp", "cat:ktp", "svc:ktp_new", "svc:ktp_new"
    )


def test_every_service_has_a_scenario():
    named = {p.stem for p in SCENARIOS}
    assert {s.id for s in CATALOG.services.values() if s.category} <= named


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_service_is_completable_by_touch(flow, path):
    scenario = json.loads(path.read_text())
    state, submitted = flow.start().state, None
    for event in scenario["events"]:
        ((kind, value),) = event.items()
        taps = {"tap": [value], "choose": [value, value], "keys": [f"key:{d}" for d in str(value)]}[kind]
        for target in taps:
            step = flow.handle(state, Tap(target))
            state = step.state
            for effect in step.effects:
                if isinstance(effect, Submit):
                    submitted = effect.request
                    state = flow.handle(state, Submitted("X-0001")).state
    assert state.screen == "ticket"
    assert submitted is not None and submitted.service_id == scenario["expect"]["service_id"]
    assert dict(submitted.fields) == scenario["expect"]["fields"]
    assert state.values == {} and state.ticket == "X-0001"


def test_first_tap_speaks_a_choice_and_second_selects_it(flow):
    state = drive(flow, flow.start().state, "start", "lang:id", "lang:id")
    step = flow.handle(state, Tap("cat:kk"))
    assert step.state.screen == "category" and step.state.highlighted == "cat:kk"
    assert step.say[0] == "cat:kk:title"
    assert flow.handle(step.state, Tap("ya")).state.screen == "service"


def test_invalid_nik_is_refused_with_a_spoken_reason(flow):
    state = keys(flow, at_nik(flow), "3201017207900001")
    step = flow.handle(state, Tap("ya"))
    assert step.state.screen == "field" and step.state.field_index == 0
    assert step.state.error == "nik.date" and step.say == ("err.nik.date",)


def test_too_short_kk_and_bad_phone_are_refused(flow):
    state = drive(flow, keys(flow, at_nik(flow), NIK), "ya")
    step = flow.handle(keys(flow, state, "320101"), Tap("ya"))
    assert step.state.error == "kk.length"
    state = drive(flow, keys(flow, drive(flow, step.state, *["key:del"] * 6), "3201011203150004"), "ya")
    assert flow.current_field(state).id == "phone"
    assert flow.handle(keys(flow, state, "7123"), Tap("ya")).state.error == "phone.prefix"


def test_optional_phone_can_be_skipped(flow):
    state = drive(flow, keys(flow, at_nik(flow), NIK), "ya")
    state = drive(flow, keys(flow, state, "3201011203150004"), "ya", "lewati", "lewati")
    assert state.screen == "documents" and "phone" not in state.values


def test_back_shows_what_was_entered_and_another_service_wipes_it(flow):
    state = drive(flow, keys(flow, at_nik(flow), NIK), "ya")
    assert state.values
    state = drive(flow, state, "kembali")
    assert state.screen == "field" and state.field_index == 0 and state.entry == NIK
    state = drive(flow, state, "kembali")
    assert state.screen == "service" and state.values["nik"] == NIK
    again = drive(flow, state, "svc:ktp_new", "svc:ktp_new")
    assert again.screen == "field" and again.entry == NIK
    other = drive(flow, state, "svc:ktp_replace", "svc:ktp_replace")
    assert other.values == {} and other.entry == ""


def test_a_review_line_opens_its_field_alone_and_comes_back(flow):
    state = drive(flow, keys(flow, at_nik(flow), NIK), "ya")
    state = keys(flow, state, "3201011203150005")
    assert state.screen == "field" and flow.current_field(state).id == "phone"
    state = drive(flow, keys(flow, state, "081234567890"), "ya", "doc:kk_copy", "doc:kk_copy", "ya")
    assert state.screen == "review" and "edit:kk_number" in flow.targets(state)
    state = drive(flow, state, "edit:kk_number")
    assert state.screen == "field" and state.entry == "3201011203150005"
    state = drive(flow, state, "key:del", "key:4")
    assert state.screen == "review" and state.values["kk_number"] == "3201011203150004"
    assert state.values["phone"] == "081234567890"


def test_cancel_wipes_everything_and_returns_home(flow):
    state = drive(flow, keys(flow, at_nik(flow), NIK), "ya")
    asked = flow.handle(state, Tap("batal"))
    assert asked.state.values == state.values and asked.say == ("confirm.batal",)  # the first tap only asks
    step = flow.handle(asked.state, Tap("batal"))
    assert step.state == State() and step.say[0] == "screen.cancelled"


def test_inactivity_warns_then_wipes(flow):
    state = keys(flow, at_nik(flow), "3201")
    warned = flow.handle(state, Idle(50))
    assert warned.state.warning and warned.say == ("screen.still_there",) and warned.state.entry == "3201"
    assert flow.handle(warned.state, Idle(60)).say == ()
    reset = flow.handle(warned.state, Idle(80))
    assert reset.state == State() and reset.say[0] == "screen.timeout"


def test_a_touch_after_the_warning_keeps_the_data(flow):
    state = flow.handle(keys(flow, at_nik(flow), "3201"), Idle(50)).state
    state = flow.handle(state, Tap("key:0")).state
    assert not state.warning and state.entry == "32010"


def test_help_calls_staff_without_losing_progress(flow):
    state = keys(flow, at_nik(flow), "32")
    step = flow.handle(state, Tap("bantuan"))
    assert step.effects == (CallStaff("field"),) and step.state.entry == "32" and step.state.staff_called


def test_repeat_speaks_the_prompt_again(flow):
    state = at_nik(flow)
    assert flow.handle(state, Tap("ulang")).say == ("field:nik:prompt",)


def test_unknown_element_is_a_clear_error(flow):
    with pytest.raises(UnknownTarget, match="screen 'field' has no element 'cat:ktp'"):
        flow.handle(at_nik(flow), Tap("cat:ktp"))


def test_voice_dictation_of_a_nik_with_redo_of_the_last_group(flow):
    state = at_nik(flow)
    for group in ("tiga dua nol satu", "nol satu empat lima", "nol tujuh sembilan sembilan"):
        state = flow.handle(state, Spoken(group)).state
    state = flow.handle(state, Spoken("ulang")).state
    assert state.entry == "32010145"
    for group in ("nol tujuh sembilan kosong", "kosong kosong kosong satu"):
        state = flow.handle(state, Spoken(group)).state
    step = flow.handle(state, Spoken("ya"))
    assert step.state.values["nik"] == NIK and flow.current_field(step.state).id == "kk_number"


def test_ulang_heard_with_other_words_still_redoes_the_last_group(flow):
    """In a busy room "ulang" comes with a background talker's digit before it, or the citizen says the group
    again straight after it: the last group goes either way, and only digits after "ulang" are entered."""
    state = at_nik(flow)
    for group in ("tiga dua nol satu", "nol satu empat lima"):
        state = flow.handle(state, Spoken(group)).state
    noisy = flow.handle(state, Spoken("dua ulang"))
    assert noisy.state.entry == "3201" and noisy.state.groups == (4,) and noisy.say == ("key.del",)
    again = flow.handle(state, Spoken("ulang nol satu empat lima"))
    assert again.state.entry == "32010145" and again.state.groups == (4, 4)
    assert again.say == ("key.del", "digit:0", "digit:1", "digit:4", "digit:5")
    first = flow.handle(
        at_nik(flow), Spoken("ulang tiga dua")
    )  # nothing to drop: the digits are the first group
    assert first.state.entry == "32" and first.say == ("digit:3", "digit:2")
    assert flow.handle(at_nik(flow), Spoken("satu ulang")).say == ("field:nik:prompt",)
    typed = keys(flow, at_nik(flow), "3201")  # typed digits are no spoken group: ulang keeps them
    assert flow.handle(typed, Spoken("ulang")).state.entry == "3201"


def test_after_two_groups_taken_back_the_keypad_is_offered_once(flow):
    state = at_nik(flow)
    said = []
    for _ in range(3):
        state = flow.handle(state, Spoken("tiga dua nol dua")).state
        step = flow.handle(state, Spoken("ulang"))
        state = step.state
        said.append(step.say)
    assert said == [("key.del",), ("key.del", "hint.use_keypad"), ("key.del",)]
    for lang, words in (("id", "angka di layar"), ("en", "numbers on the screen")):
        assert words in PromptBook(CATALOG, load_pack(lang)).text("hint.use_keypad")
    done = flow.handle(keys(flow, state, "3201014507900001"), Tap("ya")).state  # the next field starts afresh
    assert flow.current_field(done).id == "kk_number" and done.redos == 0


def test_voice_menu_number_highlights_and_ya_selects(flow):
    state = drive(flow, flow.start().state, "start", "lang:id", "lang:id")
    step = flow.handle(state, Spoken("dua"))
    assert step.state.highlighted == "cat:kk"
    assert flow.handle(step.state, Spoken("ya")).state.screen == "service"
    assert flow.handle(state, Spoken("sapi")).say == ("err.not_understood",)


def test_nothing_recognized_while_the_talk_button_was_held_is_asked_again_and_noise_is_not(flow):
    nik = flow.handle(at_nik(flow), Spoken("tiga dua")).state
    asked = flow.handle(nik, Spoken("", asked=True))
    assert asked.say == ("err.not_understood",) and asked.state == nik  # nothing entered is lost
    assert flow.handle(nik, Spoken("")).say == ()  # hands-free: the room's noise gets no answer
    attract = flow.start().state
    assert flow.handle(attract, Spoken("", asked=True)).state.screen != "attract"  # a press begins
    assert flow.handle(attract, Spoken("")).state == attract


def test_vocabulary_follows_the_screen(flow):
    nik = at_nik(flow)
    assert {"satu", "kosong", "ya", "ulang"} <= set(flow.vocabulary(nik))
    category = drive(flow, flow.start().state, "start", "lang:id", "lang:id")
    assert "tujuh" not in flow.vocabulary(category) and "enam" in flow.vocabulary(category)


def test_a_second_confirm_while_saving_submits_once(flow):
    state = at_nik(flow).with_(screen="review", values={"nik": NIK})
    first = flow.handle(state, Tap("ya"))
    second = flow.handle(first.state, Tap("ya"))
    assert len(first.effects) == 1 and second.effects == ()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_prompt_key_has_text_in_every_language_pack(lang):
    book = PromptBook(CATALOG, load_pack(lang))
    for key in all_keys(CATALOG, book.pack):
        assert book.text(key).strip(), key


def at_documents(flow: Flow) -> State:
    state = drive(flow, keys(flow, at_nik(flow), NIK), "ya")
    return drive(flow, keys(flow, state, "3201011203150004"), "ya", "lewati", "lewati")


def test_no_said_on_the_documents_screen_is_not_understood_and_changes_nothing(flow):
    state = at_documents(flow)
    step = flow.handle(state, Spoken("tidak"))
    assert step.state == state and step.say == ("err.not_understood",)
    asked = flow.handle(state, Spoken("ya"))
    assert asked.state.screen == "documents" and asked.say == ("confirm.no_docs",)  # none marked: it asks
    assert flow.handle(asked.state, Spoken("ya")).state.screen == "review"


def test_documents_are_marked_by_a_second_tap_and_unmarked_the_same_way(flow):
    state = at_documents(flow)
    once = flow.handle(state, Tap("doc:kk_copy"))
    assert once.state.documents == () and once.say == ("doc:kk_copy", "doc.hint_mark")
    marked = flow.handle(once.state, Tap("doc:kk_copy"))
    assert marked.state.documents == ("kk_copy",) and marked.say == ("doc:kk_copy", "doc.marked")
    asked = flow.handle(marked.state, Tap("doc:kk_copy"))
    assert asked.state.documents == ("kk_copy",) and asked.say[-1] == "doc.hint_unmark"
    by_voice = flow.handle(flow.handle(state, Spoken("satu")).state, Spoken("ya"))
    assert by_voice.state.documents == ("kk_copy",)


def test_photo_of_a_document_becomes_an_attachment_of_the_request(flow):
    step = flow.handle(at_documents(flow), Tap("foto:kk_copy"))
    assert step.state.screen == "camera" and step.effects == (StartCamera("kk_copy", "kk"),)
    hint = flow.handle(step.state, CameraHint("too_small"))
    assert hint.say == ("camera.too_small",)
    assert flow.handle(hint.state, CameraHint("too_small")).say == ()  # a hint is said once, not every frame
    done = flow.handle(hint.state, Captured("kk_copy", "att-1"))
    assert done.state.screen == "documents" and done.effects == (StopCamera(),)
    assert done.state.documents == ("kk_copy",)
    review = flow.handle(done.state, Tap("ya")).state
    submit = flow.handle(review, Tap("ya")).effects[0]
    assert isinstance(submit, Submit) and submit.request.attachments == ("att-1",)


def test_a_broken_camera_lets_the_citizen_go_on_and_tells_staff(flow):
    state = flow.handle(at_documents(flow), Tap("foto:kk_copy")).state
    step = flow.handle(state, CameraFailed("no camera"))
    assert step.state.screen == "documents" and step.say == ("err.camera",)
    assert step.effects == (StopCamera(), CallStaff("camera"))
    assert drive(flow, step.state, "ya", "ya").screen == "review"


def test_back_from_the_camera_closes_it(flow):
    state = flow.handle(at_documents(flow), Tap("foto:kk_copy")).state
    step = flow.handle(state, Tap("kembali"))
    assert step.state.screen == "documents" and step.effects == (StopCamera(),)


def test_a_citizen_checks_a_ticket_by_its_four_digits(flow):
    state = drive(flow, flow.start().state, "tiket", "key:0", "key:0", "key:0")
    short = flow.handle(state, Tap("ya"))
    assert short.state.error == "status.length" and short.effects == ()
    step = flow.handle(drive(flow, state, "key:7"), Tap("ya"))
    assert step.effects == (LookUpTicket("0007"),)
    found = flow.handle(step.state, TicketFound("K-0007", "ktp_new", "KTP siap diambil"))
    assert found.state.status == "KTP siap diambil" and found.say[-1] == "status.news"
    assert "letter:K" in found.say and flow.targets(found.state)[0] == "selesai"
    assert flow.handle(found.state, Tap("selesai")).state == State()


def test_an_unknown_ticket_is_said_and_can_be_typed_again(flow):
    state = drive(flow, flow.start().state, "tiket", "key:1", "key:2", "key:3", "key:4", "ya")
    step = flow.handle(state, TicketNotFound())
    assert step.say == ("err.status.not_found",) and step.state.entry == "" and step.state.screen == "status"
    assert flow.handle(step.state, Spoken("satu dua")).state.entry == "12"


@pytest.mark.parametrize(("what", "error"), [("model", "voice_off"), ("microphone", "microphone")])
def test_when_voice_cannot_work_the_citizen_is_told_to_use_touch_and_keeps_what_they_typed(flow, what, error):
    state = keys(flow, at_nik(flow), "3201")
    step = flow.handle(state, VoiceUnavailable(what, asked=True))
    assert step.state.error == error and step.say == (f"err.{error}",)
    assert step.state.screen == "field" and step.state.entry == "3201"
    for lang, touch in (
        ("id", "layar sentuh"),
        ("en", "touch screen"),
    ):  # every pack says it, and points to touch
        assert touch in PromptBook(CATALOG, load_pack(lang)).text(f"err.{error}")


def test_chatter_heard_hands_free_does_not_repeat_a_voice_message_the_screen_shows(flow):
    """People talking behind the citizen start utterance after utterance; with no model for the language each
    one would say "voice is off" again. Asked (the talk button) it is always said; a tap clears it."""
    state = keys(flow, at_nik(flow), "32")
    first = flow.handle(state, VoiceUnavailable("model"))
    assert first.say == ("err.voice_off",) and first.state.error == "voice_off"
    again = flow.handle(first.state, VoiceUnavailable("model"))
    assert again.say == () and again.state == first.state
    assert flow.handle(first.state, VoiceUnavailable("model", asked=True)).say == (
        "err.voice_off",
    )  # pressed: answered
    other = flow.handle(first.state, VoiceUnavailable("microphone"))
    assert other.say == ("err.microphone",)  # a different problem is news
    typed = flow.handle(first.state, Tap("key:0"))
    assert typed.state.error is None
    assert flow.handle(typed.state, VoiceUnavailable("model")).say == ("err.voice_off",)


def test_a_busy_room_asks_the_citizen_to_hold_the_talk_button_and_keeps_what_they_typed(flow):
    state = keys(flow, at_nik(flow), "3201")
    step = flow.handle(state, RoomBusy())
    assert step.say == ("hint.hold_to_talk",) and step.state == state.with_(hold_to_talk=True)
    assert flow.handle(step.state, Spoken("lima")).state.hold_to_talk is False  # the banner goes with a word
    attract = flow.start().state
    quiet = flow.handle(attract, RoomBusy())
    assert quiet.say == () and quiet.state == attract  # nobody there to tell
    for lang, words in (("id", "tombol mikrofon"), ("en", "microphone button")):
        assert words in PromptBook(CATALOG, load_pack(lang)).text("hint.hold_to_talk")


def test_an_unknown_voice_problem_is_refused_by_name():
    with pytest.raises(ValueError, match="'speaker'"):
        VoiceUnavailable("speaker")


def test_the_top_bar_speaker_button_is_a_target_of_every_screen_and_says_the_prompt_again(flow):
    attract = flow.start().state
    category = drive(flow, attract, "start", "lang:id", "lang:id")
    for state in (attract, flow.handle(attract, Tap("start")).state, category, at_nik(flow)):
        assert "ulang" in flow.targets(state), state.screen
    again = flow.handle(attract, Tap("ulang"))  # the window draws it on the welcome screen too
    assert again.state == attract and again.say == flow.start().say
    with pytest.raises(UnknownTarget, match="'attract' has no element 'kembali'"):
        flow.handle(attract, Tap("kembali"))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Siap diambil", ("status.siap_diambil",)),
        ("Ready for pickup", ("status.siap_diambil",)),
        ("Diproses", ("status.diproses",)),
        ("Ditolak: Dokumen kurang", ("status.kurang_dokumen",)),
        ("Ditolak: Data tidak sesuai", ("status.ditolak", "reason.data_tidak_sesuai")),
        ("something else", ("status.news",)),
    ],
)
def test_the_office_status_is_said_with_fixed_prompt_keys(text, said):
    from layanan.domain.status import parse_status, status_keys

    words = {lang: load_pack(lang).office for lang in ("id", "en")}
    assert status_keys(parse_status(text, words), True) == said


def test_the_language_screen_asks_in_every_language_offered(flow):
    step = flow.handle(flow.start().state, Tap("start"))
    assert step.state.screen == "language" and step.say == ("screen.language", "screen.language@en")
    book = PromptBook(CATALOG, load_pack("id"))
    assert book.sentence(step.say) == book.text("screen.language")  # shown in the screen's language only
    assert PromptBook(CATALOG, load_pack("en")).text("screen.language@en").startswith("Choose a language")
