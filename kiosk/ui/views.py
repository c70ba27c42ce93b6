"""One builder per screen: state in, widgets out. Every tappable widget carries the flow's element id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.ui import theme
from kiosk.ui.widgets import SYMBOL_FONT, Panel, PictoButton, big_label
from layanan.domain.catalog import Catalog
from layanan.domain.flow import NUMERIC_KINDS, TICKET_DIGITS, Flow, State
from layanan.domain.prompts import PromptBook, camera_hint_key
from layanan.domain.request import KIOSK_CODE_DIGITS, format_ticket
from layanan.domain.status import ICONS as STATUS_ICONS
from layanan.domain.status import TicketStatus
from layanan.domain.validation import faulty_groups

GLOBAL_ICONS = {
    "ulang": "ulang",
    "kembali": "kembali",
    "batal": "batal",
    "bantuan": "bantuan",
    "ya": "ya",
    "tidak": "tidak",
    "selesai": "ya",
    "lewati": "next",
    "start": "start",
}


@dataclass
class ViewContext:
    flow: Flow
    book: PromptBook
    landscape: bool
    tap: Callable[[str], None]
    preview: Widget | None = None
    """The camera preview image the app keeps updating (camera screen only)."""
    armed: str | None = None
    """The control tapped once that waits for its second tap (drawn highlighted)."""
    slip_png: bytes | None = None
    """The ticket slip as a picture, shown on the ticket screen when it did not print."""

    @property
    def catalog(self) -> Catalog:
        return self.flow.catalog

    def button(self, target: str, icon: str, text: str, **kwargs: object) -> PictoButton:
        btn = PictoButton(target, icon, text, **kwargs)  # type: ignore[arg-type]
        btn.bind(on_release=lambda b: self.tap(b.target))
        return btn

    def action(self, target: str, **kwargs: object) -> PictoButton:
        accent = theme.ACTION_COLOURS.get(target)
        # side by side where there is width; icon above label on a narrow portrait screen
        kwargs.setdefault("orientation", "horizontal" if self.landscape else "vertical")
        return self.button(
            target,
            GLOBAL_ICONS.get(target, target),
            self.book.pack.label(target),
            accent=accent,
            font_size=17,
            highlighted=self.armed == target,
            **kwargs,
        )


def grouped(digits: str, size: int = 4) -> str:
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


def choice_view(ctx: ViewContext, state: State) -> Widget:
    targets = ctx.flow.choices(state)
    cols = 3 if ctx.landscape else 2
    if len(targets) <= 2:
        cols = 2
    grid = GridLayout(cols=cols, spacing=10, padding=6)
    for number, target in enumerate(targets, start=1):
        kind, _, value = target.partition(":")
        if kind == "lang":
            icon, text = f"lang_{value}", ctx.book.text(f"lang:{value}:name")
        elif kind == "cat":
            icon, text = ctx.catalog.category(value).icon, ctx.book.text(f"cat:{value}:title")
        elif kind == "svc":
            icon, text = ctx.catalog.services[value].icon, ctx.book.text(f"svc:{value}:title")
        else:
            spec = ctx.flow.current_field(state)
            option = next(o for o in spec.options if o.id == value)
            icon, text = option.icon, ctx.book.text(f"opt:{spec.id}:{value}")
        grid.add_widget(
            ctx.button(target, icon, text, badge=str(number), highlighted=state.highlighted == target)
        )
    return grid


def field_view(ctx: ViewContext, state: State) -> Widget:
    spec = ctx.flow.current_field(state)
    if spec.kind not in NUMERIC_KINDS:
        return choice_view(ctx, state)
    root = BoxLayout(orientation="horizontal" if ctx.landscape else "vertical", spacing=10, padding=6)
    left = Panel(orientation="vertical", padding=10, spacing=6)
    left.add_widget(
        big_label(ctx.book.text(f"field:{spec.id}:title"), font_size=30, bold=True, size_hint_y=0.22)
    )
    if spec.kind in ("nik", "kk"):  # 16 slots in groups of four: what is missing, and which group is wrong
        left.add_widget(number_slots(state.entry, faulty_groups(state.error), size_hint_y=0.48))
    else:
        shown = grouped(state.entry) if spec.kind == "phone" else state.entry
        left.add_widget(big_label(shown or "_", font_size=46, bold=True, size_hint_y=0.38))
        length = f"{len(state.entry)} / {spec.max_len}" if spec.kind == "date" else ""
        left.add_widget(big_label(length, font_size=18, size_hint_y=0.1))
    # the error itself is on the banner, with its cross, and spoken
    if spec.optional:
        left.add_widget(ctx.action("lewati", size_hint_y=0.3))
    else:
        left.add_widget(Widget(size_hint_y=0.3))
    root.add_widget(left)
    root.add_widget(keypad(ctx))
    return root


def number_slots(entry: str, faulty: tuple[int, ...], **kwargs: object) -> Widget:
    """Four groups of four slots: typed digits, ``_`` where one is still missing, a wrong group framed in
    red with a cross under it (shape and colour, not colour alone)."""
    box = BoxLayout(orientation="vertical", spacing=2, **kwargs)  # type: ignore[arg-type]
    groups = GridLayout(cols=4, spacing=6, size_hint_y=0.7)
    marks = GridLayout(cols=4, spacing=6, size_hint_y=0.3)
    for g in range(4):
        part = entry[4 * g : 4 * g + 4]
        bad = g in faulty
        slot = Panel(
            bg_color=theme.FAULT_BG if bad else theme.CARD,
            border=True,
            border_color=theme.STOP if bad else theme.INK,
            line_width=theme.THICK if bad else 1.5,
        )
        slot.faulty = bad
        slot.add_widget(
            big_label(
                part + "_" * (4 - len(part)), font_size=30, bold=True, colour=theme.STOP if bad else theme.INK
            )
        )
        groups.add_widget(slot)
        marks.add_widget(
            Label(text="\u2716" if bad else "", color=theme.STOP, font_size=24, font_name=SYMBOL_FONT)
        )
    box.add_widget(groups)
    box.add_widget(marks)
    return box


def keypad(ctx: ViewContext) -> Widget:
    """Digits 1-9, delete and 0, in the same places on every number screen."""
    pad = GridLayout(cols=3, spacing=6)
    for key in "123456789":
        pad.add_widget(ctx.button(f"key:{key}", "", key, font_size=36))
    pad.add_widget(ctx.button("key:del", "keypad_del", "", colour=theme.MUTED))
    pad.add_widget(ctx.button("key:0", "", "0", font_size=36))
    pad.add_widget(Widget())  # the confirm stays at the bottom right, as on every screen
    return pad


def documents_view(ctx: ViewContext, state: State) -> Widget:
    service = ctx.catalog.services[state.service or ""]
    grid = GridLayout(cols=3 if ctx.landscape else 2, spacing=10, padding=6)
    for doc_id in service.documents:
        doc = ctx.catalog.documents[doc_id]
        marked = doc_id in state.documents
        photographed = doc_id in state.photos
        text = ctx.book.text(f"doc:{doc_id}")
        if marked:
            text += "\n" + ctx.book.pack.label("bring")
        tile = BoxLayout(orientation="vertical", spacing=4)
        tile.add_widget(
            ctx.button(
                f"doc:{doc_id}",
                doc.icon,
                text,
                colour=theme.CARD,
                highlighted=state.highlighted == f"doc:{doc_id}",
                marked=marked,
                font_size=16,
                size_hint_y=0.72,
            )
        )
        label = ctx.book.pack.label("foto") + (" \u2714" if photographed else "")
        tile.add_widget(
            ctx.button(
                f"foto:{doc_id}",
                "camera",
                label,
                orientation="horizontal",
                font_size=16,
                size_hint_y=0.28,
                accent=theme.GO if photographed else None,
            )
        )
        grid.add_widget(tile)
    if not service.documents:
        grid.add_widget(big_label(ctx.book.text("screen.documents")))
    return grid


def camera_view(ctx: ViewContext, state: State) -> Widget:
    root = BoxLayout(orientation="horizontal" if ctx.landscape else "vertical", spacing=10, padding=6)
    if ctx.preview is not None:
        if ctx.preview.parent is not None:
            ctx.preview.parent.remove_widget(ctx.preview)
        root.add_widget(ctx.preview)
    side = Panel(orientation="vertical", padding=8, spacing=6, size_hint_x=0.42 if ctx.landscape else 1)
    hint = state.hint or "no_document"
    side.add_widget(PictoButton("", hint_icon(hint), "", size_hint_y=0.35))
    side.add_widget(big_label(ctx.book.text(camera_hint_key(hint)), font_size=20, bold=True, size_hint_y=0.3))
    side.add_widget(
        ctx.button(
            "foto",
            "camera",
            ctx.book.pack.label("foto"),
            orientation="horizontal",
            accent=theme.GO,
            font_size=24,
            size_hint_y=0.35,
        )
    )
    root.add_widget(side)
    return root


def hint_icon(hint: str) -> str:
    from kiosk.vision.quality import HINTS

    return HINTS[hint].icon if hint in HINTS else "camera"


def review_view(ctx: ViewContext, state: State) -> Widget:
    """What will be sent, one line per field: tapping a line opens that field alone to change it."""
    service = ctx.catalog.services[state.service or ""]
    root = BoxLayout(orientation="horizontal" if ctx.landscape else "vertical", spacing=10, padding=6)
    root.add_widget(
        PictoButton(
            "",
            service.icon,
            ctx.book.text(f"svc:{service.id}:title"),
            size_hint=(0.3, 1) if ctx.landscape else (1, 0.22),
        )
    )
    lines = BoxLayout(orientation="vertical", spacing=6)
    for line in ctx.flow.review_lines(state):
        fid = line[5:]
        if fid == "documents":
            marked = [ctx.book.text(f"doc:{d}") for d in state.documents]
            icon, text = (
                "doc_bring",
                "\u2714 " + ", ".join(marked) if marked else ctx.book.text("review.no_docs"),
            )
        else:
            spec = ctx.catalog.fields[fid]
            value = state.values[fid]
            shown = ctx.book.text(f"opt:{fid}:{value}") if spec.kind == "choice" else grouped(value)
            icon, text = spec.icon, f"{ctx.book.text(f'field:{fid}:title')}:  {shown}"
        lines.add_widget(ctx.button(line, icon, text, orientation="horizontal", font_size=20))
    root.add_widget(lines)
    side = BoxLayout(orientation="vertical", spacing=8, size_hint=(0.2, 1) if ctx.landscape else (1, 0.16))
    side.add_widget(ctx.action("tidak"))
    root.add_widget(side)
    return root


def ticket_view(ctx: ViewContext, state: State) -> Widget:
    """The ticket code large; without a printer, the slip itself beside it, to photograph."""
    show_slip = not state.printed and ctx.slip_png is not None
    root = BoxLayout(orientation="horizontal" if ctx.landscape else "vertical", spacing=8)
    card = Panel(orientation="vertical", padding=12, spacing=4)
    card.add_widget(big_label(ctx.book.text("screen.ticket"), font_size=22, size_hint_y=0.16))
    card.add_widget(big_label(format_ticket(state.ticket or ""), font_size=84, bold=True, size_hint_y=0.34))
    card.add_widget(
        big_label(ctx.book.text(f"svc:{state.service}:title"), font_size=22, bold=True, size_hint_y=0.14)
    )
    take = "slip.printed" if state.printed else "slip.photo"
    card.add_widget(
        PictoButton(
            "",
            "ticket" if state.printed else "camera",
            ctx.book.text(take),
            orientation="horizontal",
            font_size=20,
            size_hint_y=0.2,
            colour=theme.WARNING,
        )
    )
    card.add_widget(big_label(ctx.book.text(f"svc:{state.service}:done"), font_size=18, size_hint_y=0.16))
    root.add_widget(card)
    if show_slip:
        import io

        from kivy.core.image import Image as CoreImage
        from kivy.uix.image import Image

        texture = CoreImage(io.BytesIO(ctx.slip_png or b""), ext="png").texture
        slip = Image(texture=texture, fit_mode="contain", size_hint=(0.55, 1) if ctx.landscape else (1, 0.9))
        slip.slip = True
        root.add_widget(slip)
    return root


def attract_view(ctx: ViewContext, state: State) -> Widget:
    root = BoxLayout(orientation="vertical", spacing=10, padding=20)
    root.add_widget(big_label(ctx.book.text("screen.attract"), font_size=30, bold=True, size_hint_y=0.3))
    root.add_widget(
        ctx.button(
            "start", "start", ctx.book.pack.label("start"), colour=theme.GO, font_size=34, size_hint_y=0.5
        )
    )
    root.add_widget(
        ctx.button(
            "tiket",
            "ticket",
            ctx.book.pack.label("tiket"),
            orientation="horizontal",
            font_size=22,
            size_hint_y=0.2,
        )
    )
    return root


def status_view(ctx: ViewContext, state: State) -> Widget:
    """Check a ticket: its 7 digits on the keypad (or the last 4 at the kiosk that made it), then what central
    last said about it; a ticket made elsewhere is asked of the office meanwhile ("status.asking")."""
    if not state.ticket:
        root = BoxLayout(orientation="horizontal" if ctx.landscape else "vertical", spacing=10, padding=6)
        left = Panel(orientation="vertical", padding=10)
        left.add_widget(big_label(ctx.book.pack.label("tiket"), font_size=28, bold=True, size_hint_y=0.3))
        padded = state.entry.ljust(TICKET_DIGITS, "_")  # shown in the slip's two groups: 123 0427
        typed = f"{padded[:KIOSK_CODE_DIGITS]} {padded[KIOSK_CODE_DIGITS:]}"
        left.add_widget(big_label(typed, font_size=56, bold=True, size_hint_y=0.4))
        if state.asking:
            left.add_widget(
                big_label(ctx.book.text("status.asking"), font_size=20, bold=True, size_hint_y=0.3)
            )
        else:
            error = ctx.book.text(f"err.{state.error}") if state.error else ""
            left.add_widget(big_label(error, font_size=20, colour=theme.STOP, bold=True, size_hint_y=0.3))
        root.add_widget(left)
        root.add_widget(keypad(ctx))
        return root
    root = Panel(orientation="vertical", padding=12, spacing=4)
    root.add_widget(big_label(format_ticket(state.ticket), font_size=72, bold=True, size_hint_y=0.35))
    root.add_widget(
        big_label(ctx.book.text(f"svc:{state.service}:title"), font_size=24, bold=True, size_hint_y=0.2)
    )
    news = state.status or ctx.book.text("status.no_news")
    key = TicketStatus(state.status_state, state.status_reason).key if state.status else None
    if key is None:
        root.add_widget(big_label(news, font_size=28, bold=bool(state.status), size_hint_y=0.45))
    else:  # the office's state with its pictogram (said aloud too)
        root.add_widget(
            PictoButton("", STATUS_ICONS[key], news, orientation="horizontal", font_size=28, size_hint_y=0.45)
        )
    return root


BUILDERS: dict[str, Callable[[ViewContext, State], Widget]] = {
    "attract": attract_view,
    "language": choice_view,
    "category": choice_view,
    "service": choice_view,
    "field": field_view,
    "documents": documents_view,
    "camera": camera_view,
    "review": review_view,
    "ticket": ticket_view,
    "status": status_view,
}


def bottom_bar(ctx: ViewContext, state: State) -> Widget:
    """The global actions, always in the same places; the right-most slot confirms (ya / selesai)."""
    bar = BoxLayout(orientation="horizontal", spacing=8, padding=(6, 4))
    if state.screen == "attract":
        return bar
    for target in ("ulang", "kembali", "bantuan", "batal"):
        bar.add_widget(ctx.action(target))
    targets = ctx.flow.targets(state)
    confirm = "selesai" if "selesai" in targets else "ya"
    if confirm in targets:
        bar.add_widget(ctx.action(confirm, size_hint_x=1.6))
    else:
        bar.add_widget(Widget(size_hint_x=1.6))
    return bar


def top_text(ctx: ViewContext, state: State) -> str:
    """The sentence under the speaker icon: the screen's prompt (not the read-back of personal data)."""
    if state.screen == "review":
        return ctx.book.text("screen.review")
    if state.screen in ("ticket", "status"):
        return ctx.book.pack.label("ticket")
    return ctx.book.sentence(ctx.flow.prompt(state))
