"""The spoken-prompt audio pack: one WAV per prompt key and language, synthesized offline with espeak-ng.

Layout under ``DATA_DIR/prompts/<lang>/``: ``<key>.wav`` (synthesized, with ``index.json`` recording the text each
was made from, so only changed prompts are made again) and ``recorded/<key>.wav``, a recording by village staff that
always wins over the synthesized clip. Keys map to file names by replacing ``:`` with ``__``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import threading
import wave
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from kiosk.domain.prompts import PromptBook, all_keys

log = logging.getLogger(__name__)
PACK_RATE = 22050
"""Sample rate of the audio pack (espeak-ng's own rate); recordings are resampled to it."""


def key_file(key: str) -> str:
    return key.replace(":", "__").replace("/", "_") + ".wav"


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono int16 samples and the rate; refuses what it cannot read with the file's name."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise ValueError(
                    f"{path}: only 16-bit PCM WAV is supported, this one has {8 * w.getsampwidth()} bits"
                )
            data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            if w.getnchannels() > 1:
                data = data.reshape(-1, w.getnchannels()).mean(axis=1).astype(np.int16)
            return data, w.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path}: not a readable WAV file ({exc})") from None


def resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst or samples.size == 0:
        return samples
    n = int(round(samples.size * dst / src))
    x = np.linspace(0, samples.size - 1, n)
    return np.interp(x, np.arange(samples.size), samples.astype(np.float32)).astype(np.int16)


class AudioPack:
    """Finds the clip for a key: the staff recording if there is one, else the synthesized one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def clip(self, lang: str, key: str) -> Path | None:
        for path in (self.root / lang / "recorded" / key_file(key), self.root / lang / key_file(key)):
            if path.exists():
                return path
        return None

    def samples(self, lang: str, keys: Iterable[str]) -> np.ndarray:
        """The keys' clips joined with short pauses, at PACK_RATE; missing clips are skipped (and logged)."""
        pause = np.zeros(int(PACK_RATE * 0.12), dtype=np.int16)
        parts: list[np.ndarray] = []
        missing = 0
        for key in keys:
            path = self.clip(lang, key)
            if path is None:
                missing += 1
                continue
            data, rate = read_wav(path)
            parts += [resample(data, rate, PACK_RATE), pause]
        if missing:
            log.warning("%d prompt clip(s) missing for language %s; run 'kiosk prompts'", missing, lang)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def render(self, book: PromptBook, voice: str, progress: Callable[[int, int], None] | None = None) -> int:
        """Synthesize every key whose text changed; return how many clips were made."""
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise RuntimeError(
                "espeak-ng is not installed: run 'sudo apt-get install espeak-ng' (make setup does)"
            )
        out = self.root / book.pack.code
        out.mkdir(parents=True, exist_ok=True)
        (out / "recorded").mkdir(exist_ok=True)
        index_path = out / "index.json"
        index: dict[str, str] = json.loads(index_path.read_text()) if index_path.exists() else {}
        keys = sorted(set(all_keys(book.catalog, book.pack)))
        made = 0
        for n, key in enumerate(keys, start=1):
            text = book.text(key)
            digest = hashlib.sha256(f"{voice}\0{text}".encode()).hexdigest()[:16]
            target = out / key_file(key)
            if index.get(key) != digest or not target.exists():
                tmp = target.with_suffix(".tmp.wav")
                subprocess.run(
                    [exe, "-v", voice, "-s", "140", "-w", str(tmp), text],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                tmp.replace(target)
                index[key] = digest
                made += 1
            if progress:
                progress(n, len(keys))
        index_path.write_text(json.dumps(index, indent=0, sort_keys=True))
        return made


class PromptSpeaker:
    """Speaks prompt keys from the audio pack on a worker thread, so the screen never waits; a new prompt cuts
    the one playing. ``guard`` (the microphone's mute) is held while it plays, so the kiosk does not hear itself."""

    def __init__(
        self,
        pack: AudioPack,
        guard: Callable[[], AbstractContextManager[None]] | None = None,
        device: str = "",
    ) -> None:
        self.pack, self.guard, self.device = pack, guard or contextlib.nullcontext, device
        self._warned = False
        self._lock = threading.Lock()

    def say(self, keys: tuple[str, ...], lang: str) -> None:
        threading.Thread(target=self._say, args=(keys, lang), daemon=True).start()

    def _say(self, keys: tuple[str, ...], lang: str) -> None:
        samples = self.pack.samples(lang, keys)
        if samples.size:
            self.play(samples, PACK_RATE)

    def hush(self) -> None:
        """Stop the prompt playing now (the citizen pressed the talk button: they want to speak)."""
        try:
            import sounddevice as sd

            sd.stop()
        except Exception as exc:  # no PortAudio or no device: nothing is playing
            log.debug("nothing to hush: %s", exc)

    def play(self, samples: np.ndarray, rate: int) -> None:
        """Play to the end through PortAudio; no output device is logged once, never fatal."""
        try:
            import sounddevice as sd

            sd.stop()
            with self._lock, self.guard():
                sd.play(samples, rate, device=self.device or None)
                sd.wait()
        except Exception as exc:  # PortAudio raises many kinds; the kiosk goes on with every prompt on screen
            if not self._warned:
                log.warning("cannot play prompts (%s); screens still show every prompt as text", exc)
                self._warned = True


def progress_bar(done: int, total: int) -> None:
    if done == total or done % 20 == 0:
        print(f"\r  {done}/{total} prompts", end="\n" if done == total else "", file=sys.stderr, flush=True)
