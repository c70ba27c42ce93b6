"""Voice input for the kiosk app: the microphone listener, following the screen's language and vocabulary.

It wraps :class:`~kiosk.speech.listener.Listener` with what the app needs: start with callbacks (words heard,
level 0..1, words heard so far, voice unavailable), switch the recognizer when the citizen picks another
language, restrict it to the screen's words, mute it while a prompt plays, and hold to talk with the microphone
button. A missing microphone or model leaves the kiosk working by touch, and :meth:`VoiceInput.unavailable` says
which, so the screen can tell the citizen.

Models load off the screen's thread: the greeting language's when :meth:`VoiceInput.start` is called (at boot,
before the first screen), the other offered languages' on a thread right after, so picking a language never
freezes the screen. A microphone that is missing at start or unplugged later is looked for again every
``retry_s`` seconds for a minute, then every 30 s (PortAudio's device list read again, see
:mod:`kiosk.speech.portaudio`); when it is back, voice works again without a restart.

Hold to talk: once a citizen has held the button to speak, only what they say while holding it counts until the
next citizen (:meth:`VoiceInput.next_citizen`): someone who reaches for the button is usually in a noisy room,
and the talk behind them would otherwise be heard as theirs. A tap on the button means "listen to me now": the
next utterance is heard, hands-free or not.

A busy room (:mod:`kiosk.speech.room`: people talking in 40 % of the last 20 s between citizens) switches
hands-free listening off too, so chatter neither starts sessions on the attract screen nor types digits; the
next citizen is asked once to hold the talk button (``on_busy``). When the room is quiet again, hands-free
listening comes back between citizens.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kiosk.speech.room import WINDOW_S, RoomMeter
from layanan.config import Settings

log = logging.getLogger(__name__)

CLIPPED = 0.01
"""More than this share of an utterance at full scale: the microphone's gain is too high."""

RETRY_S = 5.0
"""How often a missing or unplugged microphone is looked for again, for the first minute; then every
``RETRY_LATER_S`` (a kiosk set up without one should not restart PortAudio all day)."""
RETRY_LATER_S = 30.0
CLOSE_WAIT_S = 2.0
"""How long the microphone search waits for what is left of a lost microphone to close. A driver that hangs
in it must not stop the search for a new one."""


class VoiceInput:
    def __init__(
        self,
        settings: Settings,
        recognizer_for: Callable[[str], Any],
        make_source: Callable[[], Any],
        retry_s: float = RETRY_S,
    ):
        self.settings = settings
        self._recognizer_for = recognizer_for
        self._make_source = make_source
        self.retry_s = retry_s
        self._recognizers: dict[str, Any] = {}
        self._models_lock = threading.Lock()
        self._preload: threading.Thread | None = None
        self.listener: Any = None
        self.lang = settings.kiosk.lang
        self._vocabulary: Sequence[str] | None = None
        self._on_event: Callable[[Any], None] = lambda event: None
        self._stopping = threading.Event()
        self._swap = threading.Lock()  # the screen's thread follows, the retry thread opens a new listener
        self._retry: threading.Thread | None = None
        self.too_loud = False
        """The last utterance was clipped: the staff panel says to lower the microphone's gain."""
        self.problem = ""
        """Why the microphone is off (the staff panel shows it, see :meth:`status`), or empty."""
        self.room = RoomMeter()
        self._between_citizens = True  # the kiosk starts on the attract screen
        self._told_busy = False
        self._on_busy: Callable[[], None] | None = None

    def _recognizer(self, lang: str) -> Any:
        if lang in self._recognizers:  # no lock: the screen's thread never waits for another model loading
            return self._recognizers[lang]
        preload = self._preload
        if preload is not None and preload is not threading.current_thread():
            preload.join()  # only in the first seconds after start: the language is probably being loaded
        with self._models_lock:
            if lang not in self._recognizers:
                self._recognizers[lang] = self._recognizer_for(lang)
            return self._recognizers[lang]

    def _load_the_others(self) -> None:
        for lang in self.settings.kiosk.languages:
            if self._stopping.is_set():
                return
            self._recognizer(lang)

    def start(
        self,
        on_heard: Callable[[str], None],
        on_level: Callable[[float], None],
        on_partial: Callable[[str], None] | None = None,
        on_unavailable: Callable[[str], None] | None = None,
        on_missed: Callable[[], None] | None = None,
        on_busy: Callable[[], None] | None = None,
    ) -> None:
        """Listen on a thread. ``on_partial`` gets the words heard so far while the citizen speaks (for the
        screen; never logged: they may be a NIK). ``on_unavailable`` gets "model" when the citizen starts
        talking in a language with no working speech model, and "microphone" when the microphone is lost.
        ``on_missed`` is called when the citizen pressed the talk button to be heard (held it, or tapped it and
        spoke) but no word was recognized: the screen asks again. Hands-free, such an utterance is noise and is
        dropped. ``on_busy`` is called once per citizen when the room is busy while they use the kiosk: the
        screen asks them to hold the talk button."""
        from kiosk.speech.listener import AudioLost, Heard, Partial
        from kiosk.speech.vad import Level, SpeechStart

        def on_event(event: Any) -> None:
            if isinstance(event, Level):
                on_level(float(event.value))
                change = self.room.feed(event.speech) if self._between_citizens else None
                if change is not None:
                    self._room_changed(change)
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
                elif event.asked and on_missed is not None:
                    on_missed()
            elif isinstance(event, AudioLost):
                self.problem = f"microphone lost: {event.reason}"
                log.warning("voice input stopped (%s); the kiosk goes on by touch", event.reason)
                on_level(0.0)
                if on_unavailable is not None:
                    on_unavailable("microphone")
                self._look_for_microphone()

        self._on_event = on_event
        self._on_busy = on_busy
        self._recognizer(self.lang)
        self._preload = threading.Thread(target=self._load_the_others, name="voice-models", daemon=True)
        self._preload.start()
        if not self._open_microphone():
            self._look_for_microphone()

    def _open_microphone(self) -> bool:
        """Open the microphone and listen; False (the reason in :attr:`problem`) when there is none."""
        from kiosk.speech.audio import MicrophoneUnavailable
        from kiosk.speech.listener import Listener

        try:
            source = self._make_source()
        except (MicrophoneUnavailable, OSError, RuntimeError) as exc:
            if str(exc) != self.problem:  # once per reason, not every retry
                log.warning("no microphone (%s); the kiosk works by touch", exc)
            self.problem = str(exc)
            return False
        with self._swap:
            old = self.listener
            hands_free = self.settings.speech.hands_free if old is None else old.hands_free
            listener = Listener(source, self._recognizer(self.lang), self._on_event, hands_free=hands_free)
            if self._vocabulary is not None:
                listener.set_vocabulary(self._vocabulary)
            self.listener = listener
            self.problem = ""
        listener.start()
        return True

    def _look_for_microphone(self) -> None:
        """Close what is left of the lost microphone; then every ``retry_s`` seconds for a minute (every
        ``RETRY_LATER_S`` after that) read PortAudio's device list again and try to open it, until it works or
        :meth:`stop`."""
        if self._retry is not None and self._retry.is_alive():
            return

        def retry() -> None:
            from kiosk.speech import portaudio

            lost = self.listener
            if lost is not None:
                closing = threading.Thread(target=self._close_lost, args=(lost.source,), name="voice-close")
                closing.daemon = True
                closing.start()
                closing.join(CLOSE_WAIT_S)
                if closing.is_alive():
                    log.warning(
                        "the lost microphone did not close within %.0f s; looking for one anyway (PortAudio's "
                        "device list is not read again until it closes)",
                        CLOSE_WAIT_S,
                    )
            tries = 0
            while not self._stopping.wait(self.retry_s if tries * self.retry_s < 60 else RETRY_LATER_S):
                tries += 1
                portaudio.refresh_devices()  # skipped while a prompt plays; the next round does it
                if self._open_microphone():
                    log.info("microphone back: voice input works again")
                    return

        self._retry = threading.Thread(target=retry, name="voice-retry", daemon=True)
        self._retry.start()

    @staticmethod
    def _close_lost(source: Any) -> None:
        with contextlib.suppress(Exception):  # a dead device may refuse to stop: it is gone anyway
            source.close()

    def follow(self, lang: str, vocabulary: Sequence[str]) -> None:
        """The screen changed: listen for its words, in its language."""
        with self._swap:
            self._vocabulary = vocabulary
            changed, self.lang = lang != self.lang, lang
            if self.listener is None:
                return
            if changed:
                self.listener.recognizer = self._recognizer(lang)
            self.listener.set_vocabulary(vocabulary)

    def unavailable(self, lang: str) -> str | None:
        """Why the citizen cannot talk in ``lang`` now: "microphone" (none, or lost), "model" (no speech model
        for it, or it did not load), or None when voice input works."""
        if self.listener is None or self.problem or not self.listener.is_running:
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
        notes = []
        if self.too_loud:
            notes.append("the microphone is too loud (clipping): lower its gain with alsamixer")
        if self.room.busy:
            notes.append("the room is busy: only words said while the talk button is held count")
        return "; ".join([f"voice on: {engine}", *notes])

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

    def _room_changed(self, busy: bool) -> None:
        log.info(
            "the room is %s (speech in %.0f%% of the last %.0f s): %s",
            "busy" if busy else "quiet again",
            100 * self.room.share,
            WINDOW_S,
            "only words said while the talk button is held count"
            if busy
            else "hands-free listening comes back between citizens",
        )
        with self._swap:
            if self.listener is not None and busy:
                self.listener.hands_free = False
            elif self.listener is not None and self._between_citizens:
                self.listener.hands_free = self.settings.speech.hands_free
        self._tell_if_busy()  # a citizen may have arrived while the verdict was being reached

    def citizen_arrived(self) -> None:
        """A citizen is using the kiosk (any screen but attract): in a busy room, ask them once to hold the talk
        button."""
        with self._swap:
            self._between_citizens = False
        self._tell_if_busy()

    def _tell_if_busy(self) -> None:
        """Ask the citizen at the kiosk, once, to hold the talk button, if the room is busy."""
        with self._swap:
            tell = (
                self.room.busy
                and self.listener is not None
                and not (self._between_citizens or self._told_busy)
            )
            self._told_busy |= tell
        if tell and self._on_busy is not None:
            self._on_busy()

    def next_citizen(self) -> None:
        """Back to the attract screen: hands-free listening as the settings say, unless the room is busy."""
        with self._swap:
            self._between_citizens, self._told_busy = True, False
            if self.listener is not None:
                self.listener.release()
                self.listener.hands_free = self.settings.speech.hands_free and not self.room.busy

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        if self.listener is None:
            yield
            return
        with self.listener.muted():
            yield

    def stop(self) -> None:
        self._stopping.set()
        if self.listener is not None:
            self.listener.stop()
