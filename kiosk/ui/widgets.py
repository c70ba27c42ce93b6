"""Kivy widgets: a pictogram button with a spoken label, and a rounded panel. They only render and forward taps."""

from __future__ import annotations

from pathlib import Path

from kivy.graphics import Color, Line, RoundedRectangle
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.label import Label

from kiosk.ui import theme

ICON_DIR = Path(__file__).parent / "icons"
SYMBOL_FONT = "DejaVuSans"
"""Roboto lacks the check mark; DejaVu Sans ships with Kivy and has it."""


def icon_file(icon_id: str) -> str:
    """The pictogram's PNG, or the generic one while a pack lacks it."""
    path = ICON_DIR / f"{icon_id}.png"
    if path.exists():
        return str(path)
    fallback = ICON_DIR / "choice.png"
    return str(fallback) if fallback.exists() else ""


class Panel(BoxLayout):
    """A rounded card."""

    bg_color = ColorProperty(theme.CARD)
    border_color = ColorProperty(theme.INK)
    border = BooleanProperty(False)
    line_width = NumericProperty(2)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        with self.canvas.before:
            self._bg = Color(*self.bg_color)
            self._rect = RoundedRectangle(radius=[14])
            self._line_color = Color(*self.border_color)
            self._line = Line(width=self.line_width)
        self.bind(
            pos=self._redraw,
            size=self._redraw,
            bg_color=self._redraw,
            border=self._redraw,
            border_color=self._redraw,
            line_width=self._redraw,
        )

    def _redraw(self, *_: object) -> None:
        self._bg.rgba = self.bg_color
        self._rect.pos, self._rect.size = self.pos, self.size
        self._line_color.rgba = self.border_color if self.border else (0, 0, 0, 0)
        self._line.width = self.line_width
        self._line.rounded_rectangle = (self.x, self.y, self.width, self.height, 14)


class PictoButton(ButtonBehavior, Panel):
    """A large pictogram with its label; ``target`` is the flow's element id it forwards."""

    target = StringProperty("")
    icon = StringProperty("")
    text = StringProperty("")
    badge = StringProperty("")
    highlighted = BooleanProperty(False)
    marked = BooleanProperty(False)

    def __init__(
        self,
        target: str,
        icon: str,
        text: str,
        colour: tuple[float, ...] = theme.CARD,
        badge: str = "",
        highlighted: bool = False,
        font_size: float = 20,
        accent: tuple[float, ...] | None = None,
        marked: bool = False,
        **kwargs: object,
    ) -> None:
        kwargs.setdefault("orientation", "vertical")
        kwargs.setdefault("padding", 6)
        kwargs.setdefault("spacing", 2)
        super().__init__(**kwargs)
        self.target, self.icon, self.text, self.badge = target, icon, text, badge
        self.bg_color = theme.HIGHLIGHT if highlighted else colour
        self.border = True
        self.highlighted, self.marked = highlighted, marked
        light_text = colour in (theme.GO, theme.STOP, theme.HELP) and not highlighted
        ink = (1, 1, 1, 1) if light_text else (accent or theme.INK)
        if accent is not None:
            self.border_color, self.line_width = accent, 3
        if marked:  # chosen for good (a document to bring): a thick green frame and a tick
            self.border_color, self.line_width = theme.GO, theme.THICK
            text = "\u2714 " + text
        if highlighted:  # heard, waiting for the second tap: a thick dark frame and a tick, not colour alone
            self.border_color, self.line_width, ink = theme.INK, theme.THICK, theme.INK
            text = "\u2714 " + text if not marked else text
        self.text = text  # as drawn, with its tick
        label = f"{badge}. {text}" if badge else text
        source = icon_file(icon) if icon else ""
        across = self.orientation == "horizontal"
        if source:
            share = 0.32 if across else (0.68 if text else 1.0)
            image = Image(source=source, fit_mode="contain")
            image.size_hint = (share, 1) if across else (1, share)
            self.add_widget(image)
        if not text and source:
            if highlighted:
                self.add_widget(
                    Label(
                        text="\u2714",
                        color=theme.INK,
                        font_size=28,
                        bold=True,
                        font_name=SYMBOL_FONT,
                        size_hint=(0.3, 0.3),
                    )
                )
            return
        lbl = Label(
            text=label,
            color=ink,
            font_size=font_size,
            bold=True,
            halign="center",
            valign="middle",
            font_name=SYMBOL_FONT if "\u2714" in label else "Roboto",
        )
        lbl.size_hint = (0.68 if source else 1, 1) if across else (1, 0.32 if source else 1)
        lbl.bind(size=lambda w, s: setattr(w, "text_size", (s[0] - 8, s[1])))
        self.add_widget(lbl)


def big_label(
    text: str, font_size: float = 28, colour: tuple[float, ...] = theme.INK, **kwargs: object
) -> Label:
    """A wrapped label that fills its width."""
    lbl = Label(text=text, font_size=font_size, color=colour, halign="center", valign="middle", **kwargs)
    lbl.bind(size=lambda w, s: setattr(w, "text_size", (s[0] - 12, s[1])))
    return lbl
