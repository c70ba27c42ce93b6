"""Speech synthesized with espeak-ng for tests, and four-talker babble made of it (it shows the end-pointer's
behaviour, never recognition accuracy)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kiosk.speech.audio import load_wav

BABBLE_TEXTS = (
    "saya mau ke pasar dulu nanti sore kita ketemu di rumah pak kepala desa",
    "kemarin hujan deras sekali jadi jalan ke kebun licin dan banyak lumpur",
    "anak saya sekolah di kota sekarang sudah kelas tiga dan rajin belajar",
    "harga beras naik lagi bulan ini tapi ikan masih murah di pelabuhan",
)
VOICES = ("id", "id+m3", "id+f2", "id+m1")


def espeak(text: str, voice: str, path: Path) -> np.ndarray:
    """``text`` spoken by espeak-ng's ``voice``, written to ``path`` and read back as int16 16 kHz."""
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, timeout=30)
    return load_wav(path).samples


def babble(speak: Callable[[str, str], np.ndarray], seconds: float, dbfs: float) -> np.ndarray:
    """Four talkers at once for ``seconds``, each looped with its own pauses and offset, the mix at ``dbfs``
    (RMS of its active part) over room tone at -70 dBFS."""
    n = int(seconds * 16000)
    out = np.zeros(n)
    for i, (text, voice) in enumerate(zip(BABBLE_TEXTS, VOICES, strict=True)):
        talk = np.concatenate([speak(text, voice), np.zeros(int((0.4 + 0.3 * i) * 16000), dtype=np.int16)])
        out += np.resize(np.roll(talk.astype(np.float64), 4000 * i), n)
    frames = out[: n // 320 * 320].reshape(-1, 320)
    rms = np.sqrt((frames**2).mean(axis=1))
    active = rms[rms > rms.max() * 0.1]
    out *= 32768 * 10 ** (dbfs / 20) / np.sqrt((active**2).mean())
    out += np.random.default_rng(11).standard_normal(n) * 32768 * 10 ** (-70 / 20)
    return np.clip(out, -32768, 32767).astype(np.int16)
