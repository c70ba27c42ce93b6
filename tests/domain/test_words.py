"""The words the flow hears, and how the screen shows what was heard so far."""

from __future__ import annotations

import pytest

from layanan.domain.words import heard_so_far


@pytest.mark.parametrize(
    ("spoken", "shown"),
    [
        ("tiga dua nol satu", "3201"),
        ("tiga dua ya", "32 ya"),
        ("kosong delapan ulang satu", "08 ulang 1"),
        ("bantuan", "bantuan"),
        ("", ""),
    ],
)
def test_digits_heard_so_far_show_as_numerals_in_the_groups_they_were_spoken(spoken: str, shown: str) -> None:
    assert heard_so_far(spoken) == shown
