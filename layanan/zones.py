"""Which of Indonesia's three time zones a village is in, from the province of its Kemendagri kode wilayah.

Keppres 41/1987 sets the zones by province: WIB for Sumatra, Java, West and Central Kalimantan; WITA for Bali, the
Nusa Tenggara, South, East and North Kalimantan and Sulawesi; WIT for Maluku and Papua. The codes are those of
Kepmendagri 100.1.1-6117/2022 (including the Papua provinces formed in 2022: 93 to 96). One table for the whole project: the kiosk's
``init --time-zone``, the office's ``central.toml`` (``broker-config``) and the office's exports."""

from __future__ import annotations

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
ZONES = {"WIB": WIB, "WITA": WITA, "WIT": WIT}
"""The short names people use (``--time-zone WITA``) -> IANA zone."""
SHORT_ZONE = {v: k for k, v in ZONES.items()}

PROVINCE_ZONES: dict[str, str] = {
    **dict.fromkeys(
        (
            "11",
            "12",
            "13",
            "14",
            "15",
            "16",
            "17",
            "18",
            "19",
            "21",
            "31",
            "32",
            "33",
            "34",
            "35",
            "36",
            "61",
            "62",
        ),
        WIB,
    ),
    **dict.fromkeys(("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"), WITA),
    **dict.fromkeys(("81", "82", "91", "92", "93", "94", "95", "96"), WIT),
}
"""Province code (the first two digits of a kode wilayah) -> IANA zone."""


def zone_of_village(village_code: str, default: str) -> str:
    """The IANA zone of a village (``63.71.01.1001`` -> Asia/Makassar); ``default`` for a code not known."""
    return PROVINCE_ZONES.get(village_code.strip()[:2], default)
