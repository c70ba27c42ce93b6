"""Voice input for the kiosk app: the microphone listener, following the screen's language and vocabulary.

It wraps :class:`~kiosk.speech.listener.Listener` with what the app needs: start with callbacks (words heard,
level 0..1, words heard so far, voice unavailable), switch the recognizer when the citizen picks another
language, restrict it to the screen's words, mute it while a prompt plays, and hold to talk with the microphone
button. A missing microphone or model leaves the kiosk working by touch, and :meth:`VoiceInput.unavailable` says
which, so the screen can tell the citizen.

Hold to talk: once a citizen has held the button to speak, only what they say while holding it counts until the
next citizen (:meth:`VoiceInput.next_citizen`): someone who reaches for the button is usually in a noisy room,
and the talk behind them would otherwise be heard as theirs. A tap on the button means "listen to me now": the
next utterance is heard, hands-free or not.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kiosk.config import Settings

log = logging.getLogger(__name__)

CLIPPED = 0.01
"""More than this share of an utterance at full scale: the microphone's gain is too high."""


class VoiceInput:
    def __init__(
        self, settings: Settings, recognizer_for: Callable[[str], Any], make_source: Callable[[], Any]
    ):
        self.settings = settings
        self._recognizer_for = recognizer_for
        self._make_source = make_source
        self._recognizers: dict[str, Any] = {}
        self.listener: Any = None
        self.lang = settings.kiosk.lang
        self.too_loud = False
        """The last utterance was clipped: the staff panel says to lower the microphone's gain."""
        self.problem = ""
        """Why the microphone is off (the staff panel shows it, see :meth:`status`), or empty."""

    def _recognizer(self, lang: str) -> Any:
        if lang not in self._recognizers:
            self._recognizers[lang] = self._recognizer_for(lang)
        return self._recognizers[lang]

    def start(
        self,
        on_heard: Callable[[str], None],
        on_level: Callable[[float], None],
        on_partial: Callable[[str], None] | None = None,
        on_unavailable: Callable[[str], None] | None = None,
    ) -> None:
        """Listen on a thread. ``on_partial`` gets the words heard so far while the citizen speaks (for the
        screen; never logged: they may be a NIK). ``on_unavailable`` gets "model" when the citizen starts
        talking in a language with no working speech model, and "microphone" when the microphone is lost."""
        from kiosk.speech.audio import MicrophoneUnavailable
        from kiosk.speech.listener import AudioLost, Heard, Listener, Partial
        from kiosk.speech.vad import Level, SpeechStart

        def on_event(event: Any) -> None:
            if isinstance(event, Level):
                on_level(float(event.value))
            elif isinstance(event, SpeechStart):
                if (
                    on_unavailable is not None
                    and self.listener is not None
                    and self.listener.recognizer is None
                ):
                    on_unavailable("model")
            elif isinstance(event, Partial):
                if on_partial is not None:
                    on_partial(event.text)
            elif isinstance(event, Heard):
                if event.clipped > CLIPPED and not self.too_loud:
                    log.warning(
                        "the microphone is too loud: %.0f%% of an utterance clipped; lower its gain (alsamixer)",
                        100 * event.clipped,
                    )
                self.too_loud = event.clipped > CLIPPED
                if event.held and self.listener is not None:
                    self.listener.hands_free = False  # this citizen holds the button: only that counts now
                if event.transcript.text:
                    on_heard(event.transcript.text)
            elif isinstance(event, AudioLost):
                self.problem = f"microphone lost: {event.reason}"
                log.warning("voice input stopped (%s); the kiosk goes on by touch", event.reason)
                on_level(0.0)
                if on_unavailable is not None:
                    on_unavailable("microphone")

        try:
            source = self._make_source()
        except (MicrophoneUnavailable, OSError, RuntimeError) as exc:
            self.problem = str(exc)
            log.warning("no microphone (%s); the kiosk works by touch", exc)
            return
        self.listener = Listener(
            source, self._recognizer(self.lang), on_event, hands_free=self.settings.speech.hands_free
        )
        self.listener.start()

    def follow(self, lang: str, vocabulary: Sequence[str]) -> None:
        """The screen changed: listen for its words, in its language."""
        if self.listener is None:
            return
        if lang != self.lang:
            self.lang = lang
            self.listener.recognizer = self._recognizer(lang)
        self.listener.set_vocabulary(vocabulary)

    def unavailable(self, lang: str) -> str | None:
        """Why the citizen cannot talk in ``lang`` now: "microphone" (none, or lost), "model" (no speech model
        for it, or it did not load), or None when voice input works."""
        if self.listener is None or not self.listener.is_running:
            return "microphone"
        return "model" if self._recognizer(lang) is None else None

    def status(self, lang: str) -> str:
        """One line for the staff panel: the engine listening in ``lang``, or why voice is off there."""
        problem = self.unavailable(lang)
        if problem == "microphone":
            return f"voice off: {self.problem or 'no microphone'}"
        if problem == "model":
            return f"voice off in '{lang}': no speech model (see the log: journalctl -u kiosk)"
        engine = getattr(self._recognizer(lang), "name", "?")
        if self.too_loud:
            return f"voice on: {engine}; the microphone is too loud (clipping): lower its gain with alsamixer"
        return f"voice on: {engine}"

    def hold(self) -> None:
        """The microphone button went down: listen to the citizen until :meth:`release`. After a hold (not a
        tap, see :data:`~kiosk.speech.listener.TAP_S`) only held words count until :meth:`next_citizen`."""
        if self.listener is not None:
            self.listener.hold()

    def release(self) -> None:
        if self.listener is not None:
            self.listener.release()

    @property
    def is_held(self) -> bool:
        return self.listener is not None and bool(self.listener.is_held)

    @property
    def is_listening(self) -> bool:
        """Held, or listening once after a tap: the microphone button lights up."""
        return self.listener is not None and bool(self.listener.is_listening)

    def next_citizen(self) -> None:
        """Back to the attract screen: hands-free listening as the settings say."""
        if self.listener is not None:
            self.listener.release()
            self.listener.hands_free = self.settings.speech.hands_free

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        if self.listener is None:
            yield
            return
        with self.listener.muted():
            yield

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
