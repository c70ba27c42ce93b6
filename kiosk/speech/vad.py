"""Voice activity detection and end-pointing: energy against an adaptive noise floor, with hangover.

:class:`Endpointer` takes int16 16 kHz blocks of any size, works on 20 ms frames and emits events:

- :class:`Level` for every frame: a 0..1 meter value the screen shows so citizens see they are heard;
- :class:`SpeechStart` when speech begins (carrying the pre-roll audio just before it);
- :class:`Utterance` when it ends (after ``hangover_ms`` of silence, or forced at ``max_utterance_s``).

A frame is speech when its energy is ``threshold_db`` above the noise floor and above ``min_speech_dbfs``. The
noise floor follows the quietest frames at once and rises slowly (``floor_rise_db_per_s``), so a fan switched
on is absorbed within seconds while a citizen's words are not. Utterances with less than ``min_speech_ms`` of
speech frames (a cough, a click, a door) are dropped. Parameters are explained in docs/speech.md.
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass

import numpy as np

from kiosk.speech.base import SAMPLE_RATE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VadConfig:
    """End-pointing parameters (times in milliseconds unless the name says otherwise)."""

    frame_ms: int = 20
    threshold_db: float = 6.0
    """Speech must be this far above the noise floor."""
    min_speech_dbfs: float = -50.0
    """...and at least this loud (dB relative to int16 full scale), so a dead-quiet room's hiss is never
    speech."""
    continue_threshold_db: float = 9.0
    """Inside an utterance, only frames this far above the floor count as the citizen still talking: noise
    that flickers just over ``threshold_db`` must not hold the utterance open."""
    resume_ms: int = 40
    """...and only when they last this long (a lone noisy frame does not restart the hangover)."""
    start_ms: int = 60
    """Consecutive speech needed to open an utterance (rejects clicks)."""
    hangover_ms: int = 700
    """Silence that closes an utterance; long enough for the pause between dictated digit groups."""
    preroll_ms: int = 800
    """Audio kept from before the start: the first consonant is not cut, and the engines get the lead-in
    they were trained with (with 200 ms the Indonesian model made 1.7 times the digit errors it makes on
    whole recordings)."""
    tail_ms: int = 700
    """Trailing silence kept at the end (all of the hangover), for the same reason."""
    min_speech_ms: int = 200
    """Utterances with less speech than this are dropped."""
    max_utterance_s: float = 12.0
    """An utterance is forced to end here (a NIK read slowly takes about 8 s)."""
    band_hz: tuple[int, int] | None = (250, 4000)
    """Speech is detected on the energy in this band (None: the whole band). Fans, hum, traffic rumble and
    microphone handling noise sit mostly below 250 Hz; the speech that tells digits apart is inside."""
    floor_init_dbfs: float = -60.0
    calibrate_ms: int = 300
    """At start the floor is learnt from this much audio and nothing counts as speech, so a kiosk switched on
    next to a fan does not hear the fan as a citizen."""
    floor_rise_db_per_s: float = 3.0
    floor_rise_in_speech_db_per_s: float = 0.5
    """The floor keeps rising slowly during 'speech' so a sudden steady noise cannot hold the utterance
    open."""

    def __post_init__(self) -> None:
        if self.frame_ms not in (10, 20, 30):
            raise ValueError("frame_ms must be 10, 20 or 30")
        if self.hangover_ms < self.frame_ms or self.max_utterance_s <= 0 or self.threshold_db <= 0:
            raise ValueError(
                "hangover_ms must cover a frame; max_utterance_s and threshold_db must be positive"
            )

    def frames(self, ms: float) -> int:
        return max(1, int(round(ms / self.frame_ms)))


@dataclass(frozen=True)
class Level:
    """Meter value for one frame: 0 is silence (-60 dBFS or less), 1 is full scale."""

    value: float
    speech: bool


@dataclass(frozen=True)
class SpeechStart:
    preroll: np.ndarray
    """The audio from just before the start up to the frame that opened the utterance."""


@dataclass(frozen=True)
class Utterance:
    samples: np.ndarray
    """int16 16 kHz, pre-roll included, trailing silence trimmed to ``tail_ms``."""
    forced_end: bool
    """True when ``max_utterance_s`` cut it, not silence."""
    start_sample: int = 0
    """Where it starts, in samples since the end-pointer was created (frame precision)."""
    detected_sample: int = 0
    """When the end was decided, in samples since the end-pointer was created (end of speech + hangover)."""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


VadEvent = Level | SpeechStart | Utterance


def frame_dbfs(frame: np.ndarray) -> float:
    """RMS level of a frame in dB relative to int16 full scale (-100 for digital silence)."""
    if frame.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(frame.astype(np.float64) ** 2)))
    return 20.0 * np.log10(rms / 32768.0) if rms > 0.33 else -100.0


def band_dbfs(frame: np.ndarray, lo_bin: int, hi_bin: int, window: np.ndarray) -> float:
    """RMS level in dBFS of the part of a frame between two FFT bins (Hann-windowed, Parseval-scaled)."""
    spectrum = np.fft.rfft(frame.astype(np.float64) * window)
    power = (
        2.0 * float(np.sum(np.abs(spectrum[lo_bin:hi_bin]) ** 2)) / (frame.size * float(np.sum(window**2)))
    )
    return 10.0 * np.log10(power / 32768.0**2) if power > 0.1 else -100.0


class Endpointer:
    """Energy VAD with adaptive noise floor and hangover; feed blocks, collect events."""

    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        c = self.config
        self._frame = SAMPLE_RATE * c.frame_ms // 1000
        self._start_n = c.frames(c.start_ms)
        self._resume_n = c.frames(c.resume_ms)
        self._hang_n = c.frames(c.hangover_ms)
        self._tail_n = c.frames(c.tail_ms)
        self._min_speech_n = c.frames(c.min_speech_ms)
        self._max_n = c.frames(c.max_utterance_s * 1000)
        self._rise = c.floor_rise_db_per_s * c.frame_ms / 1000
        self._rise_speech = c.floor_rise_in_speech_db_per_s * c.frame_ms / 1000
        self.noise_floor_dbfs = c.floor_init_dbfs
        self._calibrate_n = c.frames(c.calibrate_ms) if c.calibrate_ms > 0 else 0
        self._calibration: list[float] = []
        self._frames_seen = 0
        self._window = np.hanning(self._frame)
        if c.band_hz is not None:
            hz_per_bin = SAMPLE_RATE / self._frame
            self._band: tuple[int, int] | None = (
                int(np.floor(c.band_hz[0] / hz_per_bin)),
                int(np.ceil(c.band_hz[1] / hz_per_bin)) + 1,
            )
        else:
            self._band = None
        self._pending = np.zeros(0, dtype=np.int16)
        self.reset()

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    def reset(self) -> None:
        """Forget any utterance in progress (used when the listener is muted); the noise floor is kept."""
        self._in_speech = False
        self._run = 0
        self._silence = 0
        self._cont_run = 0
        self._speech_frames = 0
        self._pre: collections.deque[np.ndarray] = collections.deque(
            maxlen=self.config.frames(self.config.preroll_ms) + self._start_n
        )
        self._utt: list[np.ndarray] = []
        self._utt_db: list[float] = []
        self._pending = np.zeros(0, dtype=np.int16)

    def process(self, block: np.ndarray) -> list[VadEvent]:
        """Feed int16 samples; return the events they caused, in order."""
        data = np.concatenate([self._pending, np.asarray(block, dtype=np.int16)])
        events: list[VadEvent] = []
        n_full = len(data) // self._frame * self._frame
        for start in range(0, n_full, self._frame):
            events.extend(self._frame_events(data[start : start + self._frame]))
        self._pending = data[n_full:]
        return events

    def flush(self) -> list[VadEvent]:
        """End of input: close an utterance in progress (if it has enough speech)."""
        events: list[VadEvent] = []
        if self._in_speech:
            utt = self._close(forced=False)
            if utt is not None:
                events.append(utt)
        self.reset()
        return events

    def _is_speech(self, db: float) -> bool:
        c = self.config
        return db >= self.noise_floor_dbfs + c.threshold_db and db >= c.min_speech_dbfs

    def _track_floor(self, db: float, speech: bool) -> None:
        if db < self.noise_floor_dbfs:
            self.noise_floor_dbfs = max(db, -90.0)
        else:
            rise = self._rise_speech if speech else self._rise
            self.noise_floor_dbfs = min(self.noise_floor_dbfs + rise, db)

    def _frame_events(self, frame: np.ndarray) -> list[VadEvent]:
        self._frames_seen += 1
        full_db = frame_dbfs(frame)
        db = full_db if self._band is None else band_dbfs(frame, *self._band, self._window)
        if len(self._calibration) < self._calibrate_n:
            self._calibration.append(db)
            self.noise_floor_dbfs = max(float(np.median(self._calibration)), -90.0)
            return [Level(float(np.clip((full_db + 60.0) / 60.0, 0.0, 1.0)), False)]
        speech = self._is_speech(db)
        self._track_floor(db, speech or self._in_speech)
        events: list[VadEvent] = [Level(float(np.clip((full_db + 60.0) / 60.0, 0.0, 1.0)), speech)]
        if not self._in_speech:
            self._pre.append(frame)
            self._run = self._run + 1 if speech else 0
            if self._run >= self._start_n:
                self._in_speech = True
                self._utt = list(self._pre)
                self._utt_db = [db] * len(self._utt)
                self._speech_frames = self._run
                self._silence = 0
                events.append(SpeechStart(np.concatenate(self._utt)))
            return events
        self._utt.append(frame)
        self._utt_db.append(db)
        c = self.config
        going_on = db >= self.noise_floor_dbfs + c.continue_threshold_db and db >= c.min_speech_dbfs
        self._cont_run = self._cont_run + 1 if going_on else 0
        if speech:
            self._speech_frames += 1
        if self._cont_run >= self._resume_n:
            self._silence = 0
        elif not going_on:
            self._silence += 1
        if self._silence >= self._hang_n or len(self._utt) >= self._max_n:
            utt = self._close(forced=self._silence < self._hang_n)
            if utt is not None:
                events.append(utt)
        return events

    def _close(self, forced: bool) -> Utterance | None:
        trim = max(0, self._silence - self._tail_n)
        frames = self._utt[: len(self._utt) - trim] if trim else self._utt
        enough = self._speech_frames >= self._min_speech_n
        samples = np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)
        start = (self._frames_seen - len(self._utt)) * self._frame
        self._in_speech = False
        self._run = 0
        self._silence = 0
        self._speech_frames = 0
        self._utt = []
        self._pre.clear()
        utt_db, self._utt_db = self._utt_db, []
        if not enough:
            log.debug("dropped a %.2f s sound with too little speech", len(samples) / SAMPLE_RATE)
            return None
        if forced:
            # Twelve seconds without a pause is almost always a new steady noise (a fan, rain on the roof):
            # re-learn the floor from the quieter part of it so the next citizen is not drowned in it.
            self.noise_floor_dbfs = float(np.percentile(utt_db, 20))
            log.info(
                "utterance cut at the %.1f s limit; noise floor now %.0f dBFS",
                self.config.max_utterance_s,
                self.noise_floor_dbfs,
            )
        return Utterance(samples, forced, start, self._frames_seen * self._frame)
