"""Ticket codes unique within an office (issue 34, finding 5) and the flow's look-up of a ticket made at another
kiosk (issue 36, finding 11): the code's format, its normalisation, and the status screen's questions."""

from __future__ import annotations

import pytest

from layanan.domain.catalog import load_catalog
from layanan.domain.events import (
    AskOffice,
    LookUpTicket,
    NoAnswer,
    Spoken,
    Tap,
    TicketFound,
    TicketNotFound,
    TicketNotHere,
)
from layanan.domain.flow import Flow, State
from layanan.domain.request import (
    TicketCodeError,
    check_kiosk_code,
    format_ticket,
    is_old_ticket,
    normalize_ticket,
    ticket_code,
)


def test_a_ticket_is_the_kiosk_code_and_four_digits_of_its_number():
    assert ticket_code("123", 427) == "1230427"
    assert ticket_code("001", 1) == "0010001"
    assert ticket_code("999", 10427) == "9990427", "the number wraps after 10,000 requests"
    assert len(ticket_code("123", 5)) <= 7, "at most 7 characters to say aloud"


def test_a_ticket_is_shown_and_said_in_two_groups_and_an_old_one_as_it_was():
    assert format_ticket("1230427") == "123 0427"
    assert format_ticket("K-0427") == "K-0427"
    assert format_ticket("0427") == "0427"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("123 0427", "1230427"),
        ("123-0427", "1230427"),
        (" 1230427 ", "1230427"),
        ("0427", "0427"),
        ("K-0427", "K-0427"),
        ("k0427", "K-0427"),
        ("k - 0427", "K-0427"),
    ],
)
def test_what_is_typed_is_normalised_to_the_stored_code(typed, stored):
    assert normalize_ticket(typed) == stored


@pytest.mark.parametrize("typed", ["", "12345", "123 04271", "KK-0427", "abc"])
def test_what_is_not_a_ticket_is_refused_saying_what_one_looks_like(typed):
    with pytest.raises(TicketCodeError, match="123 0427"):
        normalize_ticket(typed)


def test_old_codes_are_told_apart():
    assert is_old_ticket("K-0427") and not is_old_ticket("1230427")


@pytest.mark.parametrize("bad", ["", "1", "12", "1234", "000", "12a", "１２３"])
def test_a_kiosk_code_is_exactly_three_digits_from_001(bad):
    with pytest.raises(ValueError, match="3 digits from 001 to 999"):
        check_kiosk_code(bad)
    assert check_kiosk_code("001") == "001" and check_kiosk_code("999") == "999"


# --- the status screen ---------------------------------------------------------------------------------------


@pytest.fixture
def flow() -> Flow:
    return Flow(load_catalog())


def typed(flow: Flow, digits: str) -> State:
    state = flow.handle(flow.start().state, Tap("tiket")).state
    for d in digits:
        state = flow.handle(state, Tap(f"key:{d}")).state
    return state


def test_seven_digits_or_four_are_looked_up_and_five_are_not(flow):
    assert flow.handle(typed(flow, "1230427"), Tap("ya")).effects == (LookUpTicket("1230427"),)
    assert flow.handle(typed(flow, "0427"), Tap("ya")).effects == (LookUpTicket("0427"),)
    five = flow.handle(typed(flow, "12304"), Tap("ya"))
    assert five.effects == () and five.state.error == "status.length"
    eighth = flow.handle(typed(flow, "1230427"), Tap("key:9"))
    assert eighth.state.entry == "1230427" and eighth.say == ("err.status.length",)


def test_seven_spoken_digits_are_taken(flow):
    state = flow.handle(flow.start().state, Tap("tiket")).state
    state = flow.handle(state, Spoken("satu dua tiga nol empat dua tujuh")).state
    assert state.entry == "1230427"


def test_a_ticket_made_elsewhere_is_asked_of_the_office_and_its_answer_said(flow):
    looked = flow.handle(typed(flow, "4560042"), Tap("ya")).state
    asking = flow.handle(looked, TicketNotHere("4560042"))
    assert asking.state.asking == "4560042" and asking.say == ("status.asking",)
    assert asking.effects == (AskOffice("4560042", "id"),)
    assert flow.handle(asking.state, Tap("key:1")).say == ("status.asking",), "typing waits for the answer"
    found = flow.handle(
        asking.state,
        TicketFound("4560042", "ktp_new", "Siap diambil", "siap_diambil", None, "2026-05-04", "4560042"),
    )
    assert found.state.ticket == "4560042" and found.state.status_date == "2026-05-04"
    assert found.say[-1] == "status.siap_diambil" and not found.state.asking


def test_no_answer_from_the_office_says_belum_ada_kabar_and_keeps_the_screen(flow):
    asking = flow.handle(flow.handle(typed(flow, "4560042"), Tap("ya")).state, TicketNotHere("4560042")).state
    step = flow.handle(asking, NoAnswer("4560042"))
    assert step.say == ("err.status.no_answer",) and step.state.error == "status.no_answer"
    assert step.state.screen == "status" and step.state.entry == "" and not step.state.asking
    assert flow.handle(step.state, Tap("key:4")).state.entry == "4", "the citizen can type again"


def test_the_office_not_knowing_the_ticket_is_said_as_not_found(flow):
    asking = flow.handle(flow.handle(typed(flow, "4560042"), Tap("ya")).state, TicketNotHere("4560042")).state
    step = flow.handle(asking, TicketNotFound(asked="4560042"))
    assert step.say == ("err.status.not_found",) and not step.state.asking


def test_an_answer_that_comes_after_the_citizen_left_changes_nothing(flow):
    asking = flow.handle(flow.handle(typed(flow, "4560042"), Tap("ya")).state, TicketNotHere("4560042")).state
    home = flow.handle(asking, Tap("batal")).state
    assert home.screen == "attract"
    late = TicketFound("4560042", "ktp_new", "", asked="4560042")
    assert flow.handle(home, late).state == home
    # the next citizen checks another ticket: the first one's answer is not theirs
    other = flow.handle(flow.handle(typed(flow, "7890001"), Tap("ya")).state, TicketNotHere("7890001")).state
    assert flow.handle(other, late).state == other
    assert flow.handle(other, NoAnswer("4560042")).state == other
