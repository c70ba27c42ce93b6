"""The spoken-prompt audio pack: one WAV per prompt key and language, synthesized offline with espeak-ng.

Layout under ``DATA_DIR/prompts/<lang>/``: ``<key>.wav`` (synthesized, with ``index.json`` recording the text each
was made from, so only changed prompts are made again) and ``recorded/<key>.wav``, a recording by village staff that
always wins over the synthesized clip (any PCM WAV: a phone's 44.1 kHz stereo 24-bit recording is converted on
load). Keys map to file names by replacing ``:`` with ``__``.
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
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.speech import portaudio
from kiosk.speech.audio import AudioFormatError, load_wav, to_int16, write_wav_16k
from kiosk.speech.resample import resample
from kiosk.speech.span import speech_span
from layanan.domain.prompts import PromptBook, all_keys

log = logging.getLogger(__name__)
PACK_RATE = 22050
"""Sample rate of the audio pack (espeak-ng's own rate); recordings are resampled to it."""
SILENT_PEAK = 300
"""A staff recording whose loudest sample is below this (-40 dBFS) holds no speech."""


PAUSE_S = 0.12
"""Silence after each clip."""
DIGIT_GAP_S = 0.06
"""Between two digits of a group of four in a read-back (their clips cut to the speech)."""
GROUP_GAP_S = 0.35
"""Between two groups of four digits: the number is heard as it is shown, 3201 0145 ..."""


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(PACK_RATE * seconds), dtype=np.int16)


def _trimmed(samples: np.ndarray) -> np.ndarray:
    """A digit's clip without the silence espeak-ng (or a recording) leaves around it."""
    start, end = speech_span(samples, PACK_RATE // 50)
    return samples[start:end]


def key_file(key: str) -> str:
    return key.replace(":", "__").replace("/", "_") + ".wav"


class AudioPack:
    """Finds the clip for a key: the staff recording if there is one, else the synthesized one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def clips(self, lang: str, key: str) -> list[Path]:
        """The clips there are for a key, best first: the staff recording, then the synthesized one."""
        candidates = (self.root / lang / "recorded" / key_file(key), self.root / lang / key_file(key))
        return [path for path in candidates if path.exists()]

    def clip(self, lang: str, key: str) -> Path | None:
        found = self.clips(lang, key)
        return found[0] if found else None

    def source(self, lang: str, key: str) -> str:
        """Where the key's prompt comes from: "recorded" (by staff), "synthesized" or "missing"."""
        found = self.clips(lang, key)
        if not found:
            return "missing"
        return "recorded" if found[0].parent.name == "recorded" else "synthesized"

    def add_recording(self, lang: str, key: str, wav: Path) -> Path:
        """Make a staff recording the key's prompt: any PCM WAV (a phone's will do). See :meth:`save_recording`;
        raises AudioFormatError naming the file when it cannot be read or holds no speech."""
        return self.save_recording(lang, key, load_wav(wav, rate=PACK_RATE).samples, PACK_RATE, str(wav))

    def save_recording(
        self, lang: str, key: str, samples: np.ndarray, rate: int, name: str = "recording"
    ) -> Path:
        """Make ``samples`` the key's prompt: converted to the pack's rate, cut to the speech with 0.2 s around
        it and brought to a steady level (peak at -3 dBFS), then written where it wins over the synthesized
        clip (atomically: a power cut leaves the old one). A silent recording raises AudioFormatError."""
        audio = (
            resample(np.asarray(samples, dtype=np.float64), rate, PACK_RATE) if rate != PACK_RATE else samples
        )
        audio = np.asarray(audio, dtype=np.float32)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak < SILENT_PEAK:
            raise AudioFormatError(f"{name}: no speech in it (silent); record again closer to the microphone")
        start, end = speech_span(audio, PACK_RATE // 50)
        margin = int(0.2 * PACK_RATE)
        speech = audio[max(0, start - margin) : end + margin] * (0.7 * 32767 / peak)
        target = self.root / lang / "recorded" / key_file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp.wav")
        write_wav_16k(tmp, np.round(speech).astype(np.int16), rate=PACK_RATE)
        tmp.replace(target)
        return target

    def samples(self, lang: str, keys: Iterable[str]) -> np.ndarray:
        """The keys' clips joined with short pauses, at PACK_RATE. Digits in a row (a read-back) are cut to their
        speech and said in groups of four: a short gap inside a group, a longer one between groups, so a
        16-digit number takes a few seconds instead of sixteen clips with their silence. A missing clip is
        skipped; an unreadable one (a staff recording saved in the wrong format, a file cut short by a power
        cut) is logged by name and the next clip for its key is used: a prompt never stops the kiosk."""
        parts: list[np.ndarray] = []
        missing, run = 0, 0
        for key in keys:
            key, _, own = key.partition("@")  # KEY@LANG: said in that language (the language screen)
            data = self._clip_samples(own or lang, key)
            if data is None:
                missing += 1
                continue
            if key.startswith("digit:"):
                data = _trimmed(data)
                if run:  # inside a read-back: replace the pause after the last digit
                    parts[-1] = _silence(GROUP_GAP_S if run % 4 == 0 else DIGIT_GAP_S)
                run += 1
            else:
                run = 0
            parts += [data, _silence(PAUSE_S)]
        if missing:
            log.warning("%d prompt clip(s) missing for language %s; run 'kiosk prompts'", missing, lang)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def _clip_samples(self, lang: str, key: str) -> np.ndarray | None:
        for path in self.clips(lang, key):
            try:
                return load_wav(path, rate=PACK_RATE).samples
            except AudioFormatError as exc:
                log.warning("prompt clip skipped: %s; record it again", exc)
        return None

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


ECHO_GUARD_S = 0.15
"""The microphone stays muted this long after a prompt ends, so the room's echo of it is not heard."""


class PromptSpeaker:
    """Speaks prompt keys from the audio pack on a worker thread, so the screen never waits; a new prompt cuts
    the one playing. ``guard`` (the microphone's mute) is held while it plays and ``echo_guard_s`` after, so
    the kiosk does not hear itself. ``device`` is a PortAudio output device, by index or name (empty: the
    default)."""

    def __init__(
        self,
        pack: AudioPack | None,
        guard: Callable[[], AbstractContextManager[None]] | None = None,
        device: str = "",
        echo_guard_s: float = ECHO_GUARD_S,
    ) -> None:
        self.pack, self.guard = pack, guard or contextlib.nullcontext
        self.device: str | int | None = (int(device) if device.isdigit() else device) if device else None
        self.echo_guard_s = echo_guard_s
        self._warned = False
        self.last_error = ""
        """Why the last prompt could not play (the self-test shows it), or empty."""
        self._lock = threading.Lock()
        self._cut = threading.Event()  # the prompt playing was cut short: no echo guard
        self._playing = False
        self._format: tuple[int, int] | None = None
        """(rate, channels) the output device wants, once it refused the prompt's own rate in mono."""

    @property
    def output_format(self) -> tuple[int, int] | None:
        """(rate, channels) prompts are converted to for the output device, or None: played as they are."""
        return self._format

    def say(self, keys: tuple[str, ...], lang: str) -> None:
        threading.Thread(target=self._say, args=(keys, lang), daemon=True).start()

    def _say(self, keys: tuple[str, ...], lang: str) -> None:
        if self.pack is None:  # a speaker for play() only (the self-test's tone)
            return
        samples = self.pack.samples(lang, keys)
        if samples.size:
            self.play(samples, PACK_RATE)

    def busy(self) -> bool:
        """A prompt is playing now (the app's inactivity timer waits for it to end)."""
        return self._playing

    def hush(self) -> None:
        """Stop the prompt playing and unmute (the citizen pressed the talk button: they want to speak). Never
        waits: the playing stream ends itself at its next buffer, so the screen's thread cannot hang on the
        sound card (PortAudio's stop and abort can hang on ALSA)."""
        self._cut.set()

    def play(self, samples: np.ndarray, rate: int) -> bool:
        """Play to the end (or until hushed or cut by the next prompt) through PortAudio with the microphone
        muted; False when it could not play. No output device is logged once, never raised: the screen shows
        every prompt as text."""
        self._cut.set()  # a prompt still playing ends at its next buffer, without its echo guard
        with self._lock, self.guard():
            self._cut.clear()
            self._playing = True
            try:
                ended = self._stream(np.ascontiguousarray(samples, dtype=np.int16), rate)
            except Exception as exc:  # PortAudio raises many kinds (OSError without it, PortAudioError, ...)
                self.last_error = str(exc) or type(exc).__name__
                if not self._warned:
                    log.warning("cannot play prompts (%s); screens still show every prompt as text", exc)
                    self._warned = True
                return False
            finally:
                self._playing = False
            if ended and not self._cut.is_set():
                time.sleep(self.echo_guard_s)
            self.last_error = "" if ended else "the output device did not finish playing in time"
            return ended

    def _stream(self, samples: np.ndarray, rate: int) -> bool:
        """Feed one prompt to an output stream from its own callback, which ends the stream when the prompt
        is over or cut; False if the stream did not end in time (logged). A device that refuses the prompt's
        rate or mono (HDMI and many ``hw:`` devices take only 44.1/48 kHz stereo) gets the prompt converted
        to its own default rate and channels; that choice is kept for the next prompts."""
        import sounddevice as sd

        if self._format is None:
            try:
                return self._feed(sd, samples, rate, 1)
            except (sd.PortAudioError, ValueError) as exc:
                own = self._own_format(sd)
                if own is None or own == (rate, 1):
                    raise
                self._format = own
                log.info(
                    "the output device refuses %d Hz mono (%s); prompts play at %d Hz, %d channel(s)",
                    rate,
                    exc,
                    *own,
                )
        out_rate, channels = self._format
        converted = to_int16(resample(samples.astype(np.float64), rate, out_rate))
        return self._feed(sd, converted, out_rate, channels)

    def _own_format(self, sd: Any) -> tuple[int, int] | None:
        """The output device's default rate and its channel count (at most 2), or None if it cannot say."""
        try:
            info = sd.query_devices(self.device, kind="output")
        except (sd.PortAudioError, ValueError):
            return None
        channels = int(info["max_output_channels"])
        if channels < 1:
            return None
        return int(info["default_samplerate"]), min(channels, 2)

    def _feed(self, sd: Any, samples: np.ndarray, rate: int, channels: int) -> bool:
        at = 0
        finished = threading.Event()

        def feed(out: np.ndarray, frames: int, _time: object, _status: object) -> None:
            nonlocal at
            if self._cut.is_set():
                raise sd.CallbackAbort
            chunk = samples[at : at + frames]
            out[: len(chunk)] = chunk[:, None]  # the same sound on every channel
            out[len(chunk) :] = 0
            at += frames
            if at >= len(samples):
                raise sd.CallbackStop

        with (
            portaudio.stream_open(),
            sd.OutputStream(
                samplerate=rate,
                channels=channels,
                dtype="int16",
                device=self.device,
                callback=feed,
                finished_callback=finished.set,
            ),
        ):
            if finished.wait(timeout=len(samples) / rate + 5.0):
                return True
        log.warning("a prompt did not finish playing in time; the output device may be stuck")
        return False


def progress_bar(done: int, total: int) -> None:
    if done == total or done % 20 == 0:
        print(f"\r  {done}/{total} prompts", end="\n" if done == total else "", file=sys.stderr, flush=True)
