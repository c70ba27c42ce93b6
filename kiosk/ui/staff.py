"""The staff view behind a PIN: the local queue and today's tickets, never any personal data."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.popup import Popup
from kivy.uix.scrollview import ScrollView

from kiosk.ui import theme
from kiosk.ui.widgets import PictoButton, big_label


def todays_tickets(queue: Any, now: float | None = None) -> list[Any]:
    """Requests queued since local midnight, newest first (ticket, service, state, status only)."""
    today = dt.datetime.fromtimestamp(now or dt.datetime.now().timestamp()).replace(
        hour=0, minute=0, second=0
    )
    return [r for r in queue.list(limit=500) if r.created_at >= today.timestamp()]


class StaffPanel(Popup):  # type: ignore[misc]
    def __init__(
        self, queue: Any, pin: str, book: Any, on_close: Callable[[], None], voice_status: str = ""
    ) -> None:
        super().__init__(title=book.pack.label("staff_pin"), size_hint=(0.9, 0.9), auto_dismiss=False)
        self.queue, self.pin, self.book, self._on_close = queue, pin, book, on_close
        self.voice_status = voice_status
        self.entry = ""
        self.show_pin()

    def _button(
        self, target: str, icon: str, text: str, action: Callable[[], None], **kw: Any
    ) -> PictoButton:
        btn = PictoButton(target, icon, text, **kw)
        btn.bind(on_release=lambda b: action())
        return btn

    def show_pin(self, message: str = "") -> None:
        box = BoxLayout(orientation="vertical", spacing=6)
        self.display = big_label(
            ("*" * len(self.entry)) or message or "_", font_size=36, colour=(1, 1, 1, 1), size_hint_y=0.2
        )
        box.add_widget(self.display)
        pad = GridLayout(cols=3, spacing=6)
        for key in "1234567890":
            pad.add_widget(self._button(f"pin:{key}", "", key, lambda k=key: self.key(k), font_size=30))
        pad.add_widget(self._button("pin:ok", "ya", "", self.submit, colour=theme.GO))
        pad.add_widget(self._button("pin:close", "batal", "", self.close, colour=theme.STOP))
        box.add_widget(pad)
        self.content = box

    def key(self, digit: str) -> None:
        if len(self.entry) < 8:
            self.entry += digit
        self.display.text = "*" * len(self.entry)

    def submit(self) -> None:
        ok = hmac.compare_digest(self.entry.encode(), self.pin.encode())
        self.entry = ""
        if ok:
            self.show_queue()
        else:
            self.show_pin("PIN?")

    def show_queue(self) -> None:
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
            for cell in (r.ticket, self._title(r.service_id), r.state, r.status or "-"):
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
        self.dismiss()
        self._on_close()
