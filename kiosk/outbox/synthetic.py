"""Valid synthetic requests for load tests and benchmarks (made-up people; never real citizen data)."""

from __future__ import annotations

import random

from layanan.domain.request import Request

SERVICES = ("ktp", "kk", "akta-lahir", "surat-keterangan", "bansos", "pengaduan")
_NAMES = ("Siti Aminah", "Budi Santoso", "Yohanes Wenda", "Maria Kogoya", "La Ode Harun", "Ni Wayan Sari")
_STREETS = ("Jl. Trikora", "Jl. Pattimura", "Kampung Harapan", "Dusun II", "Jl. Pelabuhan")


def synthetic_request(rng: random.Random) -> Request:
    """A typical text-only request: NIK, KK number, name, birth date, address, phone, a short note."""
    nik = "9103" + "".join(rng.choice("0123456789") for _ in range(12))
    return Request(
        service_id=rng.choice(SERVICES),
        lang="id",
        fields={
            "nik": nik,
            "kk": "9103" + "".join(rng.choice("0123456789") for _ in range(12)),
            "nama": rng.choice(_NAMES),
            "tanggal_lahir": f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "alamat": f"{rng.choice(_STREETS)} No. {rng.randint(1, 200)}, RT {rng.randint(1, 9):02d}/RW {rng.randint(1, 9):02d}",
            "telepon": "08" + "".join(rng.choice("0123456789") for _ in range(10)),
            "catatan": "Mohon dibantu, KTP lama hilang saat banjir.",
        },
        documents=("ktp-lama", "kk"),
    )
