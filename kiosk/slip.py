"""The ticket to take home: a slip printed on an ESC/POS thermal printer, or shown on screen to photograph.

The slip holds no personal data: the ticket code (large, and as a QR code), the service's pictogram and name, the
date, what to bring, the office hours, "gratis" where the service is free and the date it should be ready (the
service's ``sla_days`` in working days: Monday to Friday less public holidays and the office's own days,
counted by the same :class:`layanan.calendar.Calendar` as the office's SLA). It is drawn once as a picture (:func:`render_slip`)
and sent to the printer as a raster image (``GS v 0``): Indonesian text, pictograms and the QR code print the
same on every ESC/POS printer, whatever its code pages and fonts. :func:`raster_to_image` reads such bytes back
into a picture (the tests, and ``kiosk screenshots``).

Printers (``kiosk.printer``): ``""`` none (the screen shows the slip), ``auto`` the device ``/dev/kiosk-printer``
when the udev rule (firmware_config/udev/99-kiosk-printer.rules) made it, a device path (``/dev/usb/lp0``),
``usb:VENDOR:PRODUCT`` through pyusb, or ``dummy`` (kept in memory: tests and screenshots).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw, ImageFont, ImageOps

from layanan.calendar import Calendar
from layanan.domain.catalog import Catalog
from layanan.domain.prompts import PromptBook
from layanan.domain.request import format_ticket

log = logging.getLogger(__name__)
ICON_DIR = Path(__file__).parent / "ui" / "icons"
AUTO_DEVICE = Path("/dev/kiosk-printer")
"""Where the udev rule links a USB printer's usblp device."""


@dataclass(frozen=True)
class Slip:
    """What the slip says, in the citizen's language."""

    ticket: str
    service_title: str
    icon: str
    date: dt.date
    ready_by: dt.date
    bring: tuple[str, ...]
    hours: str
    free: bool
    labels: dict[str, str]
    """``slip.*`` words of the language pack (date, ready, bring, hours, free, title)."""


def make_slip(
    catalog: Catalog,
    book: PromptBook,
    service_id: str,
    ticket: str,
    today: dt.date,
    hours: str,
    calendar: Calendar | None = None,
) -> Slip:
    service = catalog.services[service_id]
    labels = {k[5:]: v for k, v in book.pack.prompts.items() if k.startswith("slip.")}
    return Slip(
        ticket=ticket,
        service_title=book.text(f"svc:{service_id}:title"),
        icon=service.icon,
        date=today,
        ready_by=(calendar or Calendar()).add_working_days(today, service.sla_days),
        bring=tuple(book.text(f"doc:{d}") for d in service.documents),
        hours=hours or labels.get("hours_default", ""),
        free=service.free,
        labels=labels,
    )


# ---------------------------------------------------------------------- drawing

INK, PAPER = 0, 255


def _font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Roboto (shipped with Kivy) when it is there; Pillow's own font otherwise."""
    spec = importlib.util.find_spec("kivy")
    for base in (spec.submodule_search_locations or []) if spec else []:
        path = Path(base) / "data" / "fonts" / ("Roboto-Bold.ttf" if bold else "Roboto-Regular.ttf")
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Drawn:
    """The slip as a picture, and where its parts are (the tests look there)."""

    image: Image.Image
    boxes: dict[str, tuple[int, int, int, int]]
    """Part name -> (left, top, right, bottom) in pixels: ticket, icon, qr, free."""


def render_slip(slip: Slip, width: int = 576) -> Drawn:
    """Draw the slip, black on white, ``width`` dots wide (576 for 80 mm paper, 384 for 58 mm)."""
    import qrcode

    margin = width // 24
    inner = width - 2 * margin
    canvas = Image.new("L", (width, 3000), PAPER)
    draw = ImageDraw.Draw(canvas)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    y = margin

    def text(line: str, size: int, bold: bool = True, centre: bool = True) -> None:
        nonlocal y
        font = _font(size, bold)
        for part in _wrap(draw, line, font, inner):
            w = draw.textlength(part, font=font)
            x = margin + (inner - w) / 2 if centre else margin
            draw.text((x, y), part, font=font, fill=INK)
            y += int(size * 1.25)

    text(slip.labels.get("title", ""), width // 18)
    # the service's pictogram, beside nothing: large enough to recognise on paper
    side = width * 5 // 12
    icon_path = ICON_DIR / f"{slip.icon}.png"
    if icon_path.exists():
        icon = Image.open(icon_path).convert("RGBA").resize((side, side))
        flat = Image.new("RGBA", icon.size, (255, 255, 255, 255))
        flat.alpha_composite(icon)
        grey = ImageOps.autocontrast(flat.convert("L"))
        left = (width - side) // 2
        canvas.paste(grey, (left, y))
        boxes["icon"] = (left, y, left + side, y + side)
        y += side + margin // 2
    text(slip.service_title, width // 16)
    # the ticket code: the largest thing on the slip
    shown = format_ticket(slip.ticket)  # in its two groups, as it is said; the QR code holds the digits alone
    size = width // 4
    font = _font(size)
    left_top = draw.textbbox((0, 0), shown, font=font)
    while left_top[2] - left_top[0] > inner and size > width // 12:  # 7 digits: fit the paper, margins kept
        size -= 2
        font = _font(size)
        left_top = draw.textbbox((0, 0), shown, font=font)
    w, h = left_top[2] - left_top[0], left_top[3] - left_top[1]
    x = (width - w) // 2 - left_top[0]
    draw.text((x, y - left_top[1]), shown, font=font, fill=INK)
    boxes["ticket"] = (x + left_top[0], y, x + left_top[2], y + h)
    y += h + margin
    if slip.free:
        size = width // 9
        label = slip.labels.get("free", "GRATIS")
        font = _font(size)
        w = int(draw.textlength(label, font=font))
        box = ((width - w) // 2 - 12, y, (width + w) // 2 + 12, y + int(size * 1.35))
        draw.rectangle(box, fill=INK)
        draw.text((box[0] + 12, y + size * 0.1), label, font=font, fill=PAPER)
        boxes["free"] = box
        y = box[3] + margin // 2
    small = width // 22
    text(f"{slip.labels.get('date', '')} {slip.date:%d-%m-%Y}", small, bold=False)
    text(f"{slip.labels.get('ready', '')} {slip.ready_by:%d-%m-%Y}", small)
    if slip.bring:
        y += margin // 3
        text(slip.labels.get("bring", ""), small)
        for doc in slip.bring:
            text(f"- {doc}", small, bold=False, centre=False)
    y += margin // 3
    text(f"{slip.labels.get('hours', '')} {slip.hours}", small, bold=False)
    y += margin // 2
    qr = qrcode.QRCode(border=2, box_size=max(4, width // 64))
    qr.add_data(slip.ticket)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    left = (width - code.width) // 2
    canvas.paste(code, (left, y))
    boxes["qr"] = (left, y, left + code.width, y + code.height)
    y += code.height + margin
    # dots are black or white on paper: dither the grey pictogram here, so the screen shows what prints
    return Drawn(canvas.crop((0, 0, width, y)).convert("1").convert("L"), boxes)


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# ---------------------------------------------------------------------- printers


class SlipPrinter(Protocol):
    def print_slip(self, image: Image.Image) -> None:
        """Print the picture and cut; raises when the printer is missing, off, or out of paper."""
        ...


class EscposPrinter:
    """A python-escpos printer: the slip as one raster image (``GS v 0``), then a cut."""

    def __init__(self, printer: Any, width: int = 576) -> None:
        self.printer = printer
        # the paper's dots across, for python-escpos's width check (a generic profile says "Unknown" and prints
        # a note to stdout for every image)
        media = printer.profile.profile_data.setdefault("media", {}).setdefault("width", {})
        if media.get("pixels") in (None, "Unknown"):
            media["pixels"] = width

    def print_slip(self, image: Image.Image) -> None:
        self.printer.image(image, impl="bitImageRaster", center=False)
        self.printer.cut()

    @property
    def output(self) -> bytes:
        """What a ``dummy`` printer was sent (tests, screenshots)."""
        return bytes(getattr(self.printer, "output", b""))


def open_printer(spec: str, width: int = 576) -> EscposPrinter | None:
    """The printer ``kiosk.printer`` names, or None (no printer: the screen shows the slip)."""
    from escpos import printer as escpos_printer

    spec = spec.strip()
    if spec == "auto":
        if not AUTO_DEVICE.exists():
            return None
        return EscposPrinter(escpos_printer.File(str(AUTO_DEVICE)), width)
    if not spec:
        return None
    if spec == "dummy":
        return EscposPrinter(escpos_printer.Dummy(), width)
    if spec.startswith("usb:"):
        _, vendor, product = spec.split(":")
        return EscposPrinter(escpos_printer.Usb(int(vendor, 16), int(product, 16)), width)
    return EscposPrinter(escpos_printer.File(spec), width)


def raster_to_image(data: bytes) -> Image.Image:
    """The pictures in ESC/POS bytes (``GS v 0`` raster blocks, stacked top to bottom) as one image; other
    commands (initialise, cut) are skipped. A set bit is a black dot."""
    blocks: list[Image.Image] = []
    at = 0
    while True:
        at = data.find(b"\x1dv0", at)
        if at < 0:
            break
        width_bytes = data[at + 4] + 256 * data[at + 5]
        height = data[at + 6] + 256 * data[at + 7]
        body = data[at + 8 : at + 8 + width_bytes * height]
        dots = Image.frombytes("1", (width_bytes * 8, height), body)
        blocks.append(ImageOps.invert(dots.convert("L")))
        at += 8 + len(body)
    if not blocks:
        raise ValueError("no raster image (GS v 0) in the printer's bytes")
    out = Image.new("L", (max(b.width for b in blocks), sum(b.height for b in blocks)), PAPER)
    y = 0
    for block in blocks:
        out.paste(block, (0, y))
        y += block.height
    return out


class TicketSlips:
    """Makes the slip of a queued request and prints it; ``printed`` False means: show it on screen."""

    def __init__(
        self,
        catalog: Catalog,
        books: dict[str, PromptBook],
        printer: Callable[[], SlipPrinter | None],
        hours: str = "",
        width: int = 576,
        today: Callable[[], dt.date] = dt.date.today,
        calendar: Calendar | None = None,
    ) -> None:
        self.catalog, self.books, self.printer, self.hours, self.width = catalog, books, printer, hours, width
        self.today = today
        self.calendar = calendar or Calendar()
        """Working days for the "ready by" date: public holidays and the office's days (``holidays.txt``)."""
        self.last: Drawn | None = None
        self.last_png: bytes | None = None
        """The last slip as PNG (the ticket screen shows it when it did not print)."""
        self.last_printer: SlipPrinter | None = None

    def issue(self, service_id: str, ticket: str, lang: str) -> bool:
        """Draw the slip and print it; True when it printed. A missing or failing printer never stops the
        citizen: the ticket screen then shows the same slip to photograph."""
        slip = make_slip(
            self.catalog, self.books[lang], service_id, ticket, self.today(), self.hours, self.calendar
        )
        self.last = render_slip(slip, self.width)
        self.last_png = png_bytes(self.last.image)
        try:
            printer = self.printer()
            self.last_printer = printer
            if printer is None:
                return False
            printer.print_slip(self.last.image)
        except Exception as exc:  # no paper, unplugged, no permission: the screen shows the slip
            log.warning("the ticket slip did not print (%s); the screen shows it instead", type(exc).__name__)
            return False
        return True

    def forget(self) -> None:
        self.last, self.last_png = None, None


def slip_lines(slip: Slip) -> Sequence[str]:
    """The slip's words, for logs and tests (no personal data)."""
    return (format_ticket(slip.ticket), slip.service_title, *slip.bring, slip.hours)
