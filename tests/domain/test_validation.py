"""NIK, KK, phone, digits and date checks: good values pass, each kind of bad value gets its own error key."""

import pytest

from layanan.domain import validation as v


@pytest.mark.parametrize(
    "nik",
    [
        "3201014507900001",  # Jawa Barat, woman born 5 July 1990 (day + 40)
        "3201010507900001",  # the same date for a man
        "9103052902000123",  # Papua, 29 Feb 2000 (a leap year)
        "1101011212121212",
    ],
)
def test_real_nik_shapes_are_accepted(nik):
    assert v.check_nik(nik) is None


@pytest.mark.parametrize(
    ("nik", "error"),
    [
        ("320101450790001", "nik.length"),
        ("32010145079000012", "nik.length"),
        ("32010145079000a1", "nik.digits"),
        ("0001014507900001", "nik.province"),
        ("2201014507900001", "nik.province"),
        ("3200014507900001", "nik.region"),
        ("3201004507900001", "nik.region"),
        ("3201017207900001", "nik.date"),  # day 72 - 40 = 32
        ("3201013213900001", "nik.date"),  # month 13
        ("3201013002900001", "nik.date"),  # 30 February
        ("3201014507900000", "nik.serial"),
    ],
)
def test_wrong_nik_is_rejected_with_the_reason(nik, error):
    assert v.check_nik(nik) == error


def test_kk_number_takes_no_women_offset():
    assert v.check_kk("3201011203150004") is None
    assert v.check_kk("3201015203150004") == "kk.date"
    assert v.check_kk("320101120315000") == "kk.length"


@pytest.mark.parametrize(
    "phone", ["081234567890", "+62 812-3456-7890", "6281234567890", "0811234567", "0219876543"]
)
def test_indonesian_phone_formats_are_accepted(phone):
    assert v.check_phone(phone) is None


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        ("", "phone.empty"),
        ("81234567890", "phone.prefix"),
        ("08123", "phone.length"),
        ("08123456789012", "phone.length"),
        ("0", "phone.length"),  # a single zero crashed the check (found by the random walk)
        ("00", "phone.length"),
    ],
)
def test_wrong_phone_is_rejected_with_the_reason(phone, error):
    assert v.check_phone(phone) == error


def test_phone_is_normalized_to_what_the_keypad_shows():
    assert v.normalize_phone("+62 812-3456-7890") == "081234567890"


def test_small_numbers_and_dates():
    assert v.check_digits("12", 1, 3) is None
    assert v.check_digits("0", 1, 3) == "digits.zero"
    assert v.check_digits("1234", 1, 3) == "digits.length"
    assert v.check_date("29022024") is None
    assert v.check_date("29022023") == "date.invalid"
    assert v.check_date("2902202") == "date.length"


def test_a_number_error_points_at_its_groups_of_four():
    from layanan.domain.validation import faulty_groups

    assert faulty_groups("nik.province") == (0,)
    assert faulty_groups("kk.region") == (0, 1)
    assert faulty_groups("nik.date") == (1, 2)
    assert faulty_groups("nik.serial") == (3,)
    assert faulty_groups("nik.length") == () and faulty_groups("phone.prefix") == ()
