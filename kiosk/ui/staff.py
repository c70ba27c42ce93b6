"""The staff view behind a PIN: the local queue and today's tickets, never any personal data.

Whether a PIN opens it, and how long a wrong one makes staff wait, is :class:`kiosk.staff_pin.StaffPinGuard`'s
decision; this view only shows the keypad, the wait or lock counting down, and the queue."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.popup import Popup
from kivy.uix.scrollview import ScrollView

from kiosk.staff_pin import StaffPinGuard
from kiosk.ui import theme
from kiosk.ui.widgets import PictoButton, big_label
from layanan.domain.request import format_ticket

STAFF_TIMEOUT_S = 20.0
"""The staff view closes itself after this long without a key."""


def todays_tickets(queue: Any, now: float | None = None) -> list[Any]:
    """Requests queued since local midnight, newest first (ticket, service, state, status only)."""
    today = dt.datetime.fromtimestamp(now or dt.datetime.now().timestamp()).replace(
        hour=0, minute=0, second=0
    )
    return [r for r in queue.list(limit=500) if r.created_at >= today.timestamp()]


class StaffPanel(Popup):  # type: ignore[misc]
    def __init__(
        self,
        queue: Any,
        guard: StaffPinGuard,
        book: Any,
        on_close: Callable[[], None],
        voice_status: str = "",
    ) -> None:
        super().__init__(title=book.pack.label("staff_pin"), size_hint=(0.9, 0.9), auto_dismiss=False)
        self.queue, self.guard, self.book, self._on_close = queue, guard, book, on_close
        self.voice_status = voice_status
        self.entry = ""
        self.status = ""
        """What the PIN view shows: ready, wait (after a wrong PIN), locked, unset (no PIN on this kiosk), open."""
        self.last_key = time.monotonic()
        self.closed = False
        self._countdown = Clock.schedule_interval(lambda dt: self._tick(), 0.5)
        self.show_pin()

    def _tick(self) -> None:
        """No key for STAFF_TIMEOUT_S: the view closes by itself (a citizen may have opened it)."""
        if time.monotonic() - self.last_key >= STAFF_TIMEOUT_S:
            self.close()
            return
        self._show_status()

    def _button(
        self, target: str, icon: str, text: str, action: Callable[[], None], **kw: Any
    ) -> PictoButton:
        btn = PictoButton(target, icon, text, **kw)
        btn.bind(on_release=lambda b: (setattr(self, "last_key", time.monotonic()), action()))
        return btn

    def show_pin(self) -> None:
        box = BoxLayout(orientation="vertical", spacing=6)
        self.display = big_label("_", font_size=36, colour=(1, 1, 1, 1), size_hint_y=0.2)
        box.add_widget(self.display)
        pad = GridLayout(cols=3, spacing=6)
        for key in "1234567890":
            pad.add_widget(self._button(f"pin:{key}", "", key, lambda k=key: self.key(k), font_size=30))
        pad.add_widget(self._button("pin:ok", "ya", "", self.submit, colour=theme.GO))
        # white, framed in red: the red cross stays visible (it was red on red)
        pad.add_widget(self._button("pin:close", "batal", "", self.close, accent=theme.STOP))
        box.add_widget(pad)
        self.content = box
        self._show_status()

    def _show_status(self) -> None:
        """The keypad's line: the stars typed, or how long staff must wait before the next try."""
        if self.status == "open":
            return
        label = self.book.pack.label
        wait = self.guard.wait_s()
        if not self.guard.has_pin:
            self.status, text = "unset", label("staff_pin_unset")
        elif wait > 0:
            self.status = "locked" if self.guard.locked else "wait"
            minutes, seconds = divmod(int(wait + 0.999), 60)
            text = label(f"staff_pin_{self.status}").format(time=f"{minutes}:{seconds:02d}")
        else:
            self.status, text = "ready", "*" * len(self.entry) or "_"
        self.display.text = text
        self.display.font_size = 36 if self.status == "ready" else 22  # a sentence must fit two lines

    def key(self, digit: str) -> None:
        if self.guard.wait_s() > 0:  # waiting or locked: typing would only be thrown away
            return
        if len(self.entry) < 8:
            self.entry += digit
        self._show_status()

    def submit(self) -> None:
        entry, self.entry = self.entry, ""
        if self.guard.try_pin(entry).opened:
            self.show_queue()
        else:
            self._show_status()

    def show_queue(self) -> None:
        self.status = "open"
        self.title = self.book.pack.label("queue_title")
        counts = self.queue.counts()
        box = BoxLayout(orientation="vertical", spacing=6)
        summary = "   ".join(f"{state}: {n}" for state, n in sorted(counts.items())) or "0"
        box.add_widget(Label(text=summary, font_size=22, bold=True, size_hint_y=0.12))
        if self.voice_status:  # for staff: is the kiosk listening, and if not, why
            box.add_widget(Label(text=self.voice_status, font_size=16, size_hint_y=0.08))
        grid = GridLayout(cols=4, size_hint_y=None, row_default_height=34, spacing=2)
        grid.bind(minimum_height=grid.setter("height"))
        for head in ("Tiket", "Layanan", "Antrean", "Status"):
            grid.add_widget(Label(text=f"[b]{head}[/b]", markup=True, font_size=18))
        for r in todays_tickets(self.queue):
            for cell in (format_ticket(r.ticket), self._title(r.service_id), r.state, r.status or "-"):
                grid.add_widget(Label(text=str(cell), font_size=18))
        scroll = ScrollView()
        scroll.add_widget(grid)
        box.add_widget(scroll)
        box.add_widget(self._button("staff:close", "kembali", "", self.close, size_hint_y=0.18))
        self.content = box

    def _title(self, service_id: str) -> str:
        try:
            return str(self.book.text(f"svc:{service_id}:title"))
        except KeyError:
            return service_id

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._countdown.cancel()
        self.dismiss()
        self._on_close()
