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
