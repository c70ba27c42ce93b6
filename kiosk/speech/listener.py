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
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from kiosk.speech.audio import AudioSource, MicrophoneUnavailable, split_blocks
from kiosk.speech.base import SAMPLE_RATE, Recognizer, Transcript
from kiosk.speech.vad import Endpointer, Level, SpeechStart, Utterance

log = logging.getLogger(__name__)


class RecognitionStream(Protocol):
    """One utterance being decoded while it is spoken."""

    def accept(self, samples: np.ndarray) -> str | None:
        """Feed int16 16 kHz samples; return the partial text when it changed, else None."""
        ...

    def finish(self) -> Transcript:
        """No more audio: the final transcript."""
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
    ) -> None:
        self.source = source
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
        self._frame = SAMPLE_RATE * self.endpointer.config.frame_ms // 1000
        self._pending = np.zeros(0, dtype=np.int16)

    # -- screen and prompt control (any thread) --------------------------------------------------------------

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
            return
        if self._was_muted:
            self._was_muted = False
            self.endpointer.reset()
        # Whole frames only, so a stream gets exactly the audio of its utterance whatever the block size.
        data = np.concatenate([self._pending, np.asarray(block, dtype=np.int16)])
        n_full = len(data) // self._frame * self._frame
        self._pending = data[n_full:]
        for frame in split_blocks(data[:n_full], self._frame):
            before = self._stream
            for event in self.endpointer.process(frame):
                self._handle(event)
            if self._stream is not None and self._stream is before:
                self._feed_stream(frame)
            if self._stream is not None and not self.endpointer.in_speech:
                self._stream = None  # the end-pointer dropped a too-short sound

    def _emit(self, event: ListenerEvent) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken UI callback must not stop listening
            log.exception("listener callback failed on %s", type(event).__name__)

    def _handle(self, event: Level | SpeechStart | Utterance) -> None:
        if isinstance(event, Level):
            self._emit(event)
        elif isinstance(event, SpeechStart):
            self._emit(event)
            self._open_stream(event.preroll)
        else:
            self._emit_transcript(event)

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

    def _emit_transcript(self, utt: Utterance) -> None:
        if self.recognizer is None:
            return
        with self._lock:
            vocab = self._vocabulary
        stream, self._stream = self._stream, None
        try:
            transcript = (
                stream.finish() if stream is not None else self.recognizer.recognize(utt.samples, vocab)
            )
        except Exception as exc:
            log.exception("recognition failed")
            self._emit(RecognitionFailed(f"{type(exc).__name__}: {exc}"))
            return
        self._emit(Heard(transcript, utt.duration_s, utt.forced_end))


def hear(
    source: AudioSource, recognizer: Recognizer, vocabulary: Sequence[str] | None = None
) -> list[Transcript]:
    """Every utterance in a finite source (a WAV file in a ``kiosk simulate`` scenario), end-pointed and
    recognized exactly as the live kiosk does it. Recognition failures raise."""
    heard: list[Transcript] = []
    failures: list[str] = []

    def collect(event: ListenerEvent) -> None:
        if isinstance(event, Heard):
            heard.append(event.transcript)
        elif isinstance(event, RecognitionFailed):
            failures.append(event.reason)

    Listener(source, recognizer, collect, vocabulary=vocabulary).run()
    if failures:
        raise RuntimeError(f"recognition failed: {failures[0]}")
    return heard
