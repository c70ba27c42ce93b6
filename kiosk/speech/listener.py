"""The listener: an audio source, the end-pointer and a recognizer combined; muted while a prompt plays.

The flow (or the UI) gives it a callback for :data:`ListenerEvent` values:

- :class:`~kiosk.speech.vad.Level` (about 50 a second; the UI should coalesce them) for the level meter;
- :class:`~kiosk.speech.vad.SpeechStart` when the citizen starts talking;
- :class:`Partial` while they talk, when the engine streams (Vosk);
- :class:`Heard` with the :class:`~kiosk.speech.base.Transcript` of each utterance;
- :class:`RecognitionFailed` when the engine raised (the message is logged; touch keeps working);
- :class:`AudioLost` when the source failed (microphone unplugged); the listener has then stopped.

Each screen sets its vocabulary with :meth:`Listener.set_vocabulary`. The prompt player wraps playback in
``with listener.muted():`` so the kiosk does not hear itself; audio arriving while muted is thrown away and
any utterance in progress is forgotten.

Hold to talk: while the citizen holds the talk button (:meth:`Listener.hold`, :meth:`Listener.release`), the
button and not the end-pointer says where the utterance is: it runs from ``preroll_ms`` before the press to
``tail_ms`` after the release. In a busy office the end-pointer cannot tell the citizen from the people talking
behind them and lets the utterance run on into their talk; the button can (docs/speech.md, "Hold to talk").
A short tap (under ``TAP_S``) is not a hold: it means "listen to me now", so the end-pointer takes the next
utterance from just before the tap, even when hands-free listening is off.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from kiosk.speech.audio import AudioSource, MicrophoneUnavailable, clipped_fraction, split_blocks
from kiosk.speech.base import SAMPLE_RATE, Recognizer, Transcript
from kiosk.speech.vad import Endpointer, Level, SpeechStart, Utterance, VadConfig

log = logging.getLogger(__name__)

TAP_S = 0.5
"""A press released sooner is a tap ("listen to me now"), not a hold."""
LISTEN_ONCE_S = 5.0
"""After a tap, how long the kiosk waits for the citizen to start talking."""


class RecognitionStream(Protocol):
    """One utterance being decoded while it is spoken."""

    def accept(self, samples: np.ndarray) -> str | None:
        """Feed int16 16 kHz samples; return the partial text when it changed, else None."""
        ...

    def finish(self, utterance: np.ndarray | None = None) -> Transcript:
        """No more audio: the final transcript. ``utterance`` is the end-pointed utterance, which an engine that
        decodes whole utterances (partials only for the screen) decodes instead of what it was fed."""
        ...


@runtime_checkable
class StreamingRecognizer(Protocol):
    """A recognizer that can also decode while the citizen speaks (partials on screen)."""

    name: str

    def recognize(self, samples: np.ndarray, vocabulary: Sequence[str] | None = None) -> Transcript: ...

    def open_stream(self, vocabulary: Sequence[str] | None = None) -> RecognitionStream: ...


@dataclass(frozen=True)
class Partial:
    text: str


@dataclass(frozen=True)
class Heard:
    transcript: Transcript
    duration_s: float
    forced_end: bool
    held: bool = False
    """The talk button bounded the utterance, not the end-pointer."""
    clipped: float = 0.0
    """Share of the utterance's samples at full scale in runs (:func:`~kiosk.speech.audio.clipped_fraction`):
    above about 1 % the microphone's gain is too high."""
    asked: bool = False
    """The citizen pressed the talk button to be heard: held it over the utterance, or tapped it just before.
    An utterance they asked for gets an answer even when no word in it was recognized."""


@dataclass(frozen=True)
class RecognitionFailed:
    reason: str


@dataclass(frozen=True)
class AudioLost:
    """The source failed (microphone unplugged, device error); the listener has stopped. Touch still works."""

    reason: str


ListenerEvent = Level | SpeechStart | Partial | Heard | RecognitionFailed | AudioLost


class Listener:
    """Reads a source, end-points it and recognizes each utterance; call :meth:`run` (blocking) or
    :meth:`start`."""

    def __init__(
        self,
        source: AudioSource,
        recognizer: Recognizer | None,
        on_event: Callable[[ListenerEvent], None],
        endpointer: Endpointer | None = None,
        vocabulary: Sequence[str] | None = None,
        hands_free: bool = True,
    ) -> None:
        self.source = source
        self.hands_free = hands_free
        """False: only held utterances are recognized (the end-pointer still drives the level meter). The app
        turns it off once a citizen has used the talk button, so the talk behind them is not heard as theirs."""
        self.recognizer = recognizer
        self.on_event = on_event
        self.endpointer = endpointer or Endpointer()
        self._vocabulary: tuple[str, ...] | None = tuple(vocabulary) if vocabulary is not None else None
        self._lock = threading.Lock()
        self._mutes = 0
        self._was_muted = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: RecognitionStream | None = None
        c = self.endpointer.config
        self._frame = SAMPLE_RATE * c.frame_ms // 1000
        self._pending = np.zeros(0, dtype=np.int16)
        # Hold to talk. The button's state is set from the UI thread (_button_down, under the lock); the
        # listener thread follows it frame by frame: idle -> held -> tail (released, tail_ms more) -> idle,
        # or "spent" when the utterance was cut at max_utterance_s and the button is still down.
        self._button_down = False
        self._hold_state = "idle"
        self._held: list[np.ndarray] = []
        self._tail_left = 0
        self._recent: collections.deque[np.ndarray] = collections.deque(maxlen=c.frames(c.preroll_ms))
        self._tail_n = c.frames(c.tail_ms)
        self._max_n = c.frames(c.max_utterance_s * 1000)
        self._pressed_at = 0  # len(self._held) at the press: the pre-roll
        self._tap_n = c.frames(TAP_S * 1000)
        self._once_left = 0  # frames the end-pointer still listens for after a tap, hands-free or not

    # -- screen and prompt control (any thread) --------------------------------------------------------------

    @property
    def vocabulary(self) -> tuple[str, ...] | None:
        return self._vocabulary

    def set_vocabulary(self, vocabulary: Sequence[str] | None) -> None:
        """The phrases that make sense on the current screen (None: everything the engine knows)."""
        with self._lock:
            self._vocabulary = tuple(vocabulary) if vocabulary is not None else None

    def mute(self) -> None:
        with self._lock:
            self._mutes += 1

    def unmute(self) -> None:
        with self._lock:
            self._mutes = max(0, self._mutes - 1)

    @property
    def is_muted(self) -> bool:
        with self._lock:
            return self._mutes > 0

    def hold(self) -> None:
        """The talk button went down: what the citizen says until :meth:`release` is one utterance, with
        ``preroll_ms`` of audio from before the press."""
        with self._lock:
            self._button_down = True

    def release(self) -> None:
        """The talk button came up: the utterance ends ``tail_ms`` later (people let go as they finish the last
        word). Without a press this does nothing."""
        with self._lock:
            self._button_down = False

    @property
    def is_held(self) -> bool:
        """True from the press until the held utterance has been closed."""
        return self._hold_state in ("held", "tail")

    @property
    def is_listening(self) -> bool:
        """Held, or listening after a tap: what the microphone button shows."""
        return self.is_held or self._once_left > 0

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        """Mute for the duration of a ``with`` block (nests: muted until the outermost block ends)."""
        self.mute()
        try:
            yield
        finally:
            self.unmute()

    # -- running -------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="listener", daemon=True)
        self._thread.start()

    @property
    def is_running(self) -> bool:
        """True while the thread started by :meth:`start` is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self.source.close()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Consume the source until it ends or :meth:`stop` is called; an utterance running at the end is
        closed."""
        try:
            for block in self.source.blocks():
                if self._stop.is_set():
                    break
                self.feed(block)
        except (MicrophoneUnavailable, OSError) as exc:
            log.warning("voice input stopped: %s", exc)
            self._emit(AudioLost(str(exc)))
            return
        if not self._stop.is_set() and not self.is_muted:
            if self.is_held:
                self._close_held(forced=False)
            for event in self.endpointer.flush():
                self._handle(event)

    def feed(self, block: np.ndarray) -> None:
        """Process one block (what :meth:`run` does per block; tests and simulations may call it directly)."""
        if self.is_muted:
            if not self._was_muted:
                self._was_muted = True
                self.endpointer.reset()
                self._stream = None
                self._pending = np.zeros(0, dtype=np.int16)
                # The kiosk's own voice must not be heard: a held utterance is forgotten too, and if the
                # button is still down when the prompt ends, a new one starts then.
                self._held, self._hold_state, self._once_left = [], "idle", 0
                self._recent.clear()
            return
        if self._was_muted:
            self._was_muted = False
            self.endpointer.reset()
        # Whole frames only, so a stream gets exactly the audio of its utterance whatever the block size.
        data = np.concatenate([self._pending, np.asarray(block, dtype=np.int16)])
        n_full = len(data) // self._frame * self._frame
        self._pending = data[n_full:]
        for frame in split_blocks(data[:n_full], self._frame):
            self._follow_button()
            if self._hold_state in ("held", "tail"):
                self._held_frame(frame)
            else:
                self._vad_frame(frame)
            self._recent.append(frame)

    def _vad_frame(self, frame: np.ndarray) -> None:
        before = self._stream
        for event in self.endpointer.process(frame):
            self._handle(event)
        if self._stream is not None and self._stream is before:
            self._feed_stream(frame)
        if self._stream is not None and not self.endpointer.in_speech:
            self._stream = None  # the end-pointer dropped a too-short sound
        if self._once_left > 0 and not self.endpointer.in_speech:
            self._once_left -= 1  # nobody started talking after the tap (yet)

    def _follow_button(self) -> None:
        with self._lock:
            down = self._button_down
        state = self._hold_state
        if down and state == "idle":
            # Whatever the end-pointer had open is dropped: the button says where this utterance is.
            self.endpointer.reset()
            self._stream = None
            self._held, self._hold_state, self._once_left = list(self._recent), "held", 0
            self._pressed_at = len(self._held)
            preroll = np.concatenate(self._held) if self._held else np.zeros(0, dtype=np.int16)
            self._emit(SpeechStart(preroll))
            self._open_stream(preroll)
        elif down and state == "tail":
            self._hold_state = "held"  # pressed again before the tail ran out: the same utterance goes on
        elif not down and state == "held" and len(self._held) - self._pressed_at < self._tap_n:
            self._listen_once()
        elif not down and state == "held":
            self._hold_state, self._tail_left = "tail", self._tail_n
        elif not down and state == "spent":
            self._hold_state = "idle"

    def _listen_once(self) -> None:
        """A tap: the end-pointer takes over from the press (its pre-roll included) and its next utterance is
        heard even with hands-free listening off."""
        frames, self._held, self._hold_state = self._held, [], "idle"
        self._stream = None
        self.endpointer.reset()
        self._once_left = self.endpointer.config.frames(LISTEN_ONCE_S * 1000) + len(frames)
        for f in frames:
            self._vad_frame(f)

    def _held_frame(self, frame: np.ndarray) -> None:
        for event in self.endpointer.process(frame):
            if isinstance(event, Level):  # the meter goes on; the end-pointer's decisions do not count
                self._emit(event)
        self._held.append(frame)
        if self._stream is not None:
            self._feed_stream(frame)
        if self._hold_state == "tail":
            self._tail_left -= 1
            if self._tail_left <= 0:
                self._close_held(forced=False)
                return
        if len(self._held) >= self._max_n:
            log.info("held utterance cut at the %.1f s limit", self.endpointer.config.max_utterance_s)
            self._close_held(forced=True)

    def _close_held(self, forced: bool) -> None:
        samples = np.concatenate(self._held) if self._held else np.zeros(0, dtype=np.int16)
        self._held = []
        self._hold_state = "spent" if forced and self._hold_state == "held" else "idle"
        self.endpointer.reset()
        self._emit_transcript(Utterance(samples, forced), held=True, asked=True)

    def _emit(self, event: ListenerEvent) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken UI callback must not stop listening
            log.exception("listener callback failed on %s", type(event).__name__)

    def _handle(self, event: Level | SpeechStart | Utterance) -> None:
        if isinstance(event, Level):
            self._emit(event)
        elif not (self.hands_free or self._once_left > 0):
            return
        elif isinstance(event, SpeechStart):
            self._emit(event)
            self._open_stream(event.preroll)
        else:
            asked = self._once_left > 0  # the utterance a tap asked for
            self._once_left = 0
            self._emit_transcript(event, asked=asked)

    def _open_stream(self, preroll: np.ndarray) -> None:
        if not isinstance(self.recognizer, StreamingRecognizer):
            return
        with self._lock:
            vocab = self._vocabulary
        try:
            self._stream = self.recognizer.open_stream(vocab)
        except Exception as exc:
            log.warning("could not open a recognition stream (%s); falling back to whole utterances", exc)
            self._stream = None
            return
        self._feed_stream(preroll)

    def _feed_stream(self, samples: np.ndarray) -> None:
        assert self._stream is not None
        try:
            partial = self._stream.accept(samples)
        except Exception as exc:
            log.warning("streaming recognition failed (%s); the utterance is decoded whole", exc)
            self._stream = None
            return
        if partial is not None:
            self._emit(Partial(partial))

    def _emit_transcript(self, utt: Utterance, held: bool = False, asked: bool = False) -> None:
        if self.recognizer is None:
            return
        with self._lock:
            vocab = self._vocabulary
        stream, self._stream = self._stream, None
        try:
            transcript = (
                stream.finish(utt.samples)
                if stream is not None
                else self.recognizer.recognize(utt.samples, vocab)
            )
        except Exception as exc:
            log.exception("recognition failed")
            self._emit(RecognitionFailed(f"{type(exc).__name__}: {exc}"))
            return
        self._emit(
            Heard(transcript, utt.duration_s, utt.forced_end, held, clipped_fraction(utt.samples), asked)
        )


class PressingSource:
    """A finite source that presses and releases the listener's talk button at given sample positions, between
    the blocks it yields (simulations and benchmarks of hold to talk)."""

    def __init__(self, source: AudioSource, holds: Iterable[tuple[float, float]]) -> None:
        self.source = source
        self.listener: Listener | None = None
        marks = [(int(a * SAMPLE_RATE), True) for a, _ in holds] + [
            (int(b * SAMPLE_RATE), False) for _, b in holds
        ]
        self.marks = sorted(marks)

    def blocks(self) -> Iterator[np.ndarray]:
        assert self.listener is not None
        marks, pos = list(self.marks), 0
        for block in self.source.blocks():
            while block.size:
                while marks and marks[0][0] <= pos:
                    self._press(marks.pop(0)[1])
                cut = len(block) if not marks else min(len(block), marks[0][0] - pos)
                yield block[:cut]
                pos, block = pos + cut, block[cut:]
        for _, down in marks:  # a release after the end of the audio
            self._press(down)

    def _press(self, down: bool) -> None:
        assert self.listener is not None
        if down:
            self.listener.hold()
        else:
            self.listener.release()

    def close(self) -> None:
        self.source.close()


def hear(
    source: AudioSource,
    recognizer: Recognizer,
    vocabulary: Sequence[str] | None = None,
    holds: Sequence[tuple[float, float]] = (),
    hands_free: bool = True,
) -> list[Transcript]:
    """Every utterance in a finite source (a WAV file in a ``kiosk simulate`` scenario), end-pointed and
    recognized exactly as the live kiosk does it. ``holds`` are (press, release) times in seconds of the talk
    button (hold to talk); with ``hands_free`` False only those are recognized. Recognition failures raise."""
    heard: list[Transcript] = []
    failures: list[str] = []

    def collect(event: ListenerEvent) -> None:
        if isinstance(event, Heard):
            heard.append(event.transcript)
        elif isinstance(event, RecognitionFailed):
            failures.append(event.reason)

    pressing = PressingSource(source, holds) if holds else None
    listener = Listener(pressing or source, recognizer, collect, vocabulary=vocabulary, hands_free=hands_free)
    if pressing is not None:
        pressing.listener = listener
    listener.run()
    if failures:
        raise RuntimeError(f"recognition failed: {failures[0]}")
    return heard


def capture_utterance(
    source: AudioSource, timeout_s: float = 10.0, config: VadConfig | None = None
) -> np.ndarray | None:
    """The first utterance on ``source``, int16 at 16 kHz with the end-pointer's pre-roll and tail, or None when
    nobody began speaking within ``timeout_s`` of audio (staff recording a prompt: ``kiosk prompts --record``).
    The source is closed either way."""
    endpointer = Endpointer(config or VadConfig())
    heard = 0
    try:
        for block in source.blocks():
            for event in endpointer.process(block):
                if isinstance(event, Utterance):
                    return event.samples
            heard += len(block)
            if not endpointer.in_speech and heard > timeout_s * SAMPLE_RATE:
                return None
        return next((e.samples for e in endpointer.flush() if isinstance(e, Utterance)), None)
    finally:
        source.close()
