"""Indonesian words the flow understands by voice (what the on-device model is trained for)."""

from __future__ import annotations

DIGITS: dict[str, str] = {
    "nol": "0",
    "kosong": "0",
    "satu": "1",
    "dua": "2",
    "tiga": "3",
    "empat": "4",
    "lima": "5",
    "enam": "6",
    "tujuh": "7",
    "delapan": "8",
    "sembilan": "9",
}
"""Digit words; ``kosong`` is the everyday zero in phone numbers."""

COMMANDS: tuple[str, ...] = ("ya", "tidak", "ulang", "kembali", "batal", "bantuan")

_ORDER = ("satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


def number_words(n: int) -> tuple[str, ...]:
    """Words for the menu numbers 1..n (n <= 9)."""
    return _ORDER[: min(n, 9)]


def heard_so_far(text: str) -> str:
    """What the screen shows while the citizen speaks: digit words as numerals, in groups as they were
    spoken ("tiga dua nol satu ya" -> "3201 ya"), other words as they are."""
    out: list[str] = []
    for word in text.split():
        digit = DIGITS.get(word)
        if digit is not None and out and out[-1].isdigit():
            out[-1] += digit
        else:
            out.append(digit if digit is not None else word)
    return " ".join(out)
