"""``kiosk run``: the touchscreen app. It renders the session's state and forwards taps; the flow decides.

Import this module only after :func:`kiosk.ui.display.prepare_kivy_env` and Kivy's window config are set
(``kiosk run`` and ``kiosk screenshots`` do that through :func:`configure_window`).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from typing import Any

from layanan.config import Settings

log = logging.getLogger(__name__)
STAFF_HOLD_S = 3.0
"""How long the staff badge is held to open the staff view."""


def configure_window(settings: Settings, width: int | None = None, height: int | None = None) -> None:
    """Set Kivy's window before the first Kivy window import."""
    from kiosk.ui.display import ensure_display, prepare_kivy_env

    prepare_kivy_env(settings.data_dir / "kivy")
    ensure_display()
    from kivy.config import Config

    Config.set("graphics", "width", str(width or settings.kiosk.width))
    Config.set("graphics", "height", str(height or settings.kiosk.height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "fullscreen", "auto" if settings.kiosk.fullscreen else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0" if settings.kiosk.fullscreen else "1")


def build_app_class() -> type:
    """Define the App class (needs Kivy imported, hence a function)."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.progressbar import ProgressBar
    from kivy.uix.widget import Widget

    from kiosk.staff_pin import StaffPinGuard
    from kiosk.ui import theme, views
    from kiosk.ui.staff import StaffPanel
    from kiosk.ui.widgets import Panel, PictoButton, big_label
    from layanan.domain.events import Idle, Tap, VoiceUnavailable
    from layanan.domain.flow import Step
    from layanan.domain.words import heard_so_far

    class KioskApp(App):  # type: ignore[misc]
        """Binds the session to widgets; Clock triggers coalesce redraws."""

        title = "Layanan Desa"

        def __init__(
            self,
            session: Any,
            books: dict[str, Any],
            queue: Any,
            settings: Settings,
            listener: Any = None,
            presence: Any = None,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            self.session, self.books, self.queue, self.settings = session, books, queue, settings
            self.listener = listener
            self.last_input = time.monotonic()
            self.level = 0.0
            self.talk_held = False
            self._render_trigger = Clock.create_trigger(lambda dt: self.render())
            self._prompt_back = Clock.create_trigger(lambda dt: self._put_prompt_back(), 2.5)
            previous: Callable[[Step], None] = session.on_change
            session.on_change = lambda step: (previous(step), self._render_trigger(), self._follow(step))
            self.presence = presence
            self.staff: StaffPanel | None = None
            self._staff_hold = Clock.schedule_once(lambda dt: None, 0)
            # one guard for the app's life, so waits and locks add up across openings of the staff view
            self.staff_guard = StaffPinGuard.from_settings(settings.kiosk)
            from kivy.uix.image import Image

            self.preview = Image(fit_mode="contain")

        # -------------------------------------------------------------- building

        def build(self) -> Widget:
            Window.clearcolor = theme.BACKGROUND
            self.root_box = BoxLayout(orientation="vertical", padding=6, spacing=6)
            # a fixed height: a banner must not squeeze the talk button under a fingertip (9 mm)
            top_height = max(Window.height * 0.16, 72)
            self.top = BoxLayout(orientation="horizontal", size_hint_y=None, height=top_height, spacing=8)
            self.banner = BoxLayout(size_hint_y=None, height=0)
            self.content = BoxLayout()
            self.bottom = BoxLayout(size_hint_y=0.2 if Window.width >= Window.height else 0.13)
            for part in (self.top, self.banner, self.content, self.bottom):
                self.root_box.add_widget(part)
            self.session.start()
            Clock.schedule_interval(self._tick, 1.0)
            Clock.schedule_interval(self._show_preview, 1 / 10)
            # systemd's WatchdogSec restarts a frozen kiosk: ping from the Kivy main loop, not a thread,
            # so a hung UI really stops the pings
            from kiosk.watchdog import Watchdog

            self.watchdog = Watchdog()
            if self.watchdog.enabled:
                Clock.schedule_once(lambda dt: self.watchdog.ready(), 0)
                Clock.schedule_interval(lambda dt: self.watchdog.ping(), self.watchdog.interval_s)
            if self.listener is not None:
                self.listener.start(
                    self._on_heard,
                    self._on_level,
                    self._on_partial,
                    self._on_unavailable,
                    self._on_missed,
                    self._on_busy,
                )
            Window.bind(on_touch_up=lambda window, touch: self.release_talk())
            self.render()
            return self.root_box

        def render(self) -> None:
            state = self.session.state
            self.rendered_state, self.rendered_frame = state, Clock.frames
            landscape = Window.width >= Window.height
            ctx = views.ViewContext(
                self.session.flow,
                self.books[state.lang],
                landscape,
                self.tap,
                self.preview,
                state.armed,
                getattr(self.session.slips, "last_png", None),
            )
            self.top.clear_widgets()
            speaker = ctx.button("ulang", "speaker", "", size_hint_x=None, width=max(Window.width * 0.1, 64))
            self.top.add_widget(speaker)
            self.top_prompt = views.top_text(ctx, state)
            self.top_label = big_label(self.top_prompt, font_size=19, bold=True)  # 32 while it shows partials
            self.top.add_widget(self.top_label)
            meter = BoxLayout(orientation="vertical", size_hint_x=None, width=max(Window.width * 0.12, 72))
            # Hold to talk: press and hold the microphone while speaking, as in a voice message. Bound to
            # touches, not to this widget's release: a re-render while it is held replaces the widget.
            voice_off = self.listener is not None and self.listener.unavailable(state.lang) is not None
            self.drawn_voice_off = voice_off
            self.mic = PictoButton(
                "talk", "mic_off" if voice_off else "mic", "", size_hint_y=0.84, highlighted=self.talk_held
            )
            self.mic.bind(on_press=lambda b: self.hold_to_talk())
            meter.add_widget(self.mic)
            self.meter_bar = ProgressBar(max=1.0, value=self.level, size_hint_y=0.16)
            meter.add_widget(self.meter_bar)
            self.top.add_widget(meter)
            # staff only: held 3 s (a citizen's tap just hears what it is), never the person of "petugas"
            staff = PictoButton(
                "staff", "staff_key", "", size_hint_x=None, width=max(Window.width * 0.09, 64)
            )
            staff.bind(on_press=lambda b: self.staff_pressed(), on_release=lambda b: self.staff_released())
            self.top.add_widget(staff)
            self._render_banner(ctx, state)
            self.content.clear_widgets()
            self.content.add_widget(views.BUILDERS[state.screen](ctx, state))
            self.bottom.clear_widgets()
            self.bottom.add_widget(views.bottom_bar(ctx, state))

        def _render_banner(self, ctx: Any, state: Any) -> None:
            self.banner.clear_widgets()
            message, colour, icon = None, theme.WARNING, "bantuan"
            if state.armed:
                message, icon = (
                    ctx.book.text(ctx.flow.confirm_text(state, state.armed)[0]),
                    views.GLOBAL_ICONS[state.armed],
                )
            elif state.warning:
                message = ctx.book.text("screen.still_there")
            elif state.staff_called:
                message, icon = ctx.book.text("screen.staff_called"), "staff"
            elif state.error:  # on every screen with the cross, number errors too
                message, icon = ctx.book.text(f"err.{state.error}"), "tidak"
            elif state.hold_to_talk:
                message, icon = ctx.book.text("hint.hold_to_talk"), "mic"
            if message is None:
                self.banner.height = 0
                return
            self.banner.height = Window.height * 0.12
            panel = Panel(orientation="horizontal", bg_color=colour, padding=4)
            panel.add_widget(PictoButton("", icon, "", size_hint_x=0.12, colour=colour))
            panel.add_widget(big_label(message, font_size=20, bold=True))
            self.banner.add_widget(panel)

        # -------------------------------------------------------------- events

        def tap(self, target: str) -> None:
            self.last_input = time.monotonic()
            if self.staff is not None:
                return
            self.session.dispatch(Tap(target))

        def hold_to_talk(self) -> None:
            """The microphone button went down: cut the prompt playing and listen until the finger lifts."""
            self.last_input = time.monotonic()
            if self.talk_held:
                return
            problem = self.listener.unavailable(self.session.state.lang) if self.listener else "microphone"
            if problem is not None:  # say why, and that touch works
                self.session.dispatch(VoiceUnavailable(problem, asked=True))
                return
            self.talk_held = True
            self.session.speaker.hush()
            self.listener.hold()
            self._light_mic()

        def release_talk(self) -> None:
            if not self.talk_held:
                return
            self.talk_held = False
            self.last_input = time.monotonic()
            self.listener.release()

        def _on_heard(self, text: str) -> None:
            from layanan.domain.events import Spoken

            self.last_input = time.monotonic()
            Clock.schedule_once(lambda dt: self.session.dispatch(Spoken(text)))

        def _on_missed(self) -> None:
            """The citizen pressed the talk button to be heard, but no word was recognized: ask again."""
            from layanan.domain.events import Spoken

            self.last_input = time.monotonic()
            Clock.schedule_once(lambda dt: self.session.dispatch(Spoken("", asked=True)))

        def _on_unavailable(self, what: str) -> None:
            """Someone talked but voice cannot work (no model for the language, microphone lost): the flow
            says so unless the screen already does."""
            Clock.schedule_once(lambda dt: self.session.dispatch(VoiceUnavailable(what)))

        def _on_busy(self) -> None:
            """People are talking around the kiosk: ask the citizen to hold the talk button."""
            from layanan.domain.events import RoomBusy

            Clock.schedule_once(lambda dt: self.session.dispatch(RoomBusy()))

        def _on_partial(self, text: str) -> None:
            Clock.schedule_once(lambda dt: self.show_heard_so_far(text))

        def show_heard_so_far(self, text: str) -> None:
            """While the citizen speaks, the words heard so far replace the prompt at the top (digits as
            numerals); the prompt comes back when the screen changes, or 2.5 s after the last word."""
            if not text:
                return
            self.top_label.text = "... " + heard_so_far(text)
            self.top_label.color, self.top_label.font_size = theme.HELP, 32
            self._prompt_back()

        def _put_prompt_back(self) -> None:
            self.top_label.text, self.top_label.color, self.top_label.font_size = (
                self.top_prompt,
                theme.INK,
                19,
            )

        def _on_level(self, level: float) -> None:
            self.level = level  # about 50 a second; the meter reads it ten times a second (_show_preview)

        def _follow(self, step: Step) -> None:
            """Keep the edges in step with the screen: the microphone listens for this screen's words in its
            language; faces are looked for only on the attract screen (elsewhere the camera is the documents
            step's)."""
            state = step.state
            if self.listener is not None:
                self.listener.follow(state.lang, self.session.flow.vocabulary(state))
                if state.screen == "attract":
                    self.talk_held = False
                    self.listener.next_citizen()
                else:
                    self.listener.citizen_arrived()
            if self.presence is not None:
                if state.screen == "attract":
                    self.presence.start()
                else:
                    self.presence.stop()

        def _show_preview(self, dt: float) -> None:
            """Blit the camera's latest frame (only on the camera screen; frames are never stored)."""
            self.meter_bar.value = self.level
            self._light_mic()
            camera = self.session.camera
            frame = getattr(camera, "latest", None)
            if self.session.state.screen != "camera" or frame is None:
                return
            from kivy.graphics.texture import Texture

            from kiosk.vision.camera import frame_to_rgb_bytes

            width, height, data = frame_to_rgb_bytes(frame)
            texture = self.preview.texture
            if texture is None or texture.size != (width, height):
                texture = Texture.create(size=(width, height), colorfmt="rgb")
            texture.blit_buffer(data, colorfmt="rgb", bufferfmt="ubyte")
            self.preview.texture = texture
            self.preview.canvas.ask_update()

        def _light_mic(self) -> None:
            """The talk button is lit while held, and while listening once after a tap; grey when voice cannot
            work here (a press then says why)."""
            if self.listener is None:  # voice input left out (--no-voice, screenshots): the button as drawn
                return
            voice_off = self.listener.unavailable(self.session.state.lang) is not None
            if voice_off != self.drawn_voice_off:  # microphone lost or back: redraw with the other pictogram
                self._render_trigger()
            if voice_off:
                self.mic.bg_color = theme.MUTED
            else:
                lit = self.talk_held or self.listener.is_listening
                self.mic.bg_color = theme.HIGHLIGHT if lit else theme.CARD

        def _tick(self, dt: float) -> None:
            busy = getattr(self.session.speaker, "busy", None)
            if busy is not None and busy():  # a long read-back is not inactivity: count from its end
                self.last_input = time.monotonic()
                return
            # the staff view does not stop the clock: a citizen's half-typed number is wiped all the same
            if self.session.state.screen != "attract":
                self.session.dispatch(Idle(time.monotonic() - self.last_input))
                if self.session.state.screen == "attract" and self.staff is not None:
                    self.staff.close()

        def staff_pressed(self) -> None:
            """The staff badge went down: say what it is; held STAFF_HOLD_S, it opens the staff view."""
            self.last_input = time.monotonic()
            if self.staff is not None:
                return
            self.session.speaker.say(("staff.hold",), self.session.state.lang)
            self._staff_hold.cancel()
            self._staff_hold = Clock.schedule_once(lambda dt: self._staff_held(), STAFF_HOLD_S)

        def staff_released(self) -> None:
            self._staff_hold.cancel()

        def _staff_held(self) -> None:
            self.session.speaker.say(("staff.pin",), self.session.state.lang)
            self.open_staff()

        def open_staff(self) -> None:
            self.staff = StaffPanel(
                self.queue,
                self.staff_guard,
                self.books[self.session.state.lang],
                on_close=self._close_staff,
                voice_status=self.listener.status(self.session.state.lang)
                if self.listener
                else "voice off (--no-voice)",
            )
            self.staff.open()

        def _close_staff(self) -> None:
            self.staff = None
            self.last_input = time.monotonic()

        def on_stop(self) -> None:
            if self.listener is not None:
                self.listener.stop()
            if self.presence is not None:
                self.presence.stop()
            self.watchdog.stopping()

    return KioskApp


NO_CONFIG_FLAGS = False


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-voice", action="store_true", help="touch only: do not open the microphone")
    parser.add_argument(
        "--with-uploader",
        action="store_true",
        help="also run the outbox uploader in this process (on a device, kiosk-uploader.service does)",
    )


def make_app(settings: Settings, voice: bool = True) -> Any:
    """Compose the real session (queue, speaker, listener) and return the App instance."""
    from kiosk import compose
    from kiosk.session import KioskSession

    cat = compose.catalog(settings)
    flow = compose.flow(settings, cat)
    books = compose.prompt_books(settings, cat)
    queue = compose.open_queue(settings)
    listener = compose.voice(settings) if voice and settings.speech.enabled else None
    session = KioskSession(flow, queue, compose.speaker(settings, listener), strict=False)
    session.slips = compose.slips(settings, cat, books)
    session.camera = compose.camera(settings, session)
    session.office = compose.office_asker(settings)  # tickets made at another kiosk
    session.post = compose.post_to_main_loop(session)
    presence = compose.presence(settings, session) if settings.vision.presence else None
    return build_app_class()(session, books, queue, settings, listener, presence)


def run(args: argparse.Namespace, settings: Settings) -> int:
    configure_window(settings)
    uploader = None
    try:
        app = make_app(settings, voice=not args.no_voice)
        if args.with_uploader:
            from kiosk import compose

            uploader = compose.uploader(settings).start()
    except (ValueError, RuntimeError) as exc:
        print(f"kiosk run: {exc}")
        return 2
    try:
        app.run()
    finally:
        if uploader is not None:
            uploader.stop()
    return 0
