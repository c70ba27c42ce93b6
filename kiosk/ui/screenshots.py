"""``kiosk screenshots OUTDIR``: render every screen in a real Kivy window (Xvfb when there is no display) to PNG,
and the ticket's printed slip as ``ticket-slip.png`` (from the bytes an ESC/POS printer would get).

Each window size runs in its own process (Kivy sets the window size once per process). The session is driven by
the same events a citizen would make; nothing is queued outside a throw-away data dir.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from layanan.config import Settings

NIK = "3201014507900001"
KK = "3201011203150004"
SIZES = ("800x480", "1024x600", "600x1024")

TO_NIK = ("start", "lang:id", "lang:id", "cat:ktp", "cat:ktp", "svc:ktp_new", "svc:ktp_new")
"""Taps from the attract screen to the NIK field of a new KTP (each choice tapped twice: see, then confirm)."""
TOUR: list[tuple[str, list[str]]] = [
    ("attract", []),
    ("language", ["start", "lang:id"]),
    ("category", ["lang:id"]),
    ("category-highlighted", ["cat:ktp"]),
    ("service", ["cat:ktp"]),
    ("field-nik", ["svc:ktp_new", "svc:ktp_new", *(f"key:{d}" for d in NIK[:9])]),
    ("field-nik-talking", ["@talk"]),
    ("field-nik-error", ["@untalk", "key:0", "ya"]),
    ("field-kk", [*["key:del"] * 10, *(f"key:{d}" for d in NIK), *(f"key:{d}" for d in KK[:11])]),
    ("field-phone", [*(f"key:{d}" for d in KK[11:]), *(f"key:{d}" for d in "0812345")]),
    ("documents", [*(f"key:{d}" for d in "67890"), "ya", "doc:kk_copy"]),
    ("camera", ["foto:kk_copy"]),
    ("review", ["kembali", "doc:kk_copy", "doc:kk_copy", "ya"]),
    ("ticket", ["ya"]),
    ("help-called", ["selesai", "start", "lang:en", "lang:en", "cat:kk", "bantuan"]),
    (
        "choice-field-en",
        [
            "cat:kk",
            "svc:kk_change",
            "svc:kk_change",
            *(f"key:{d}" for d in KK),
            *(f"key:{d}" for d in NIK),
            "opt:add_member",
        ],
    ),
    ("still-there", ["@idle"]),
    ("ticket-status", ["batal", "batal", "tiket", "key:0", "key:0", "key:0", "key:1", "ya"]),
    ("field-nik-voice-off", ["batal", *TO_NIK, "@voiceoff"]),
    ("field-nik-busy-room", ["batal", "batal", *TO_NIK, "@busy"]),
]
"""Screen name -> taps that lead to it from the previous one (``@idle`` simulates inactivity, ``@talk`` and
``@untalk`` a finger on the microphone button, the level it hears and the words heard so far, ``@voiceoff`` a
press on it on a kiosk whose microphone is missing, ``@busy`` a citizen arriving in a busy room)."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("outdir", help="directory for the PNG files")
    parser.add_argument("--size", action="append", help=f"WIDTHxHEIGHT (default: {', '.join(SIZES)})")
    parser.add_argument(
        "--widgets",
        action="store_true",
        help="also write NAME.widgets.json beside each PNG: every drawn text and touch target with its place "
        "(what the contrast and target-size check measures)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = args.size or list(SIZES)
    if len(sizes) > 1:
        failed = 0
        for size in sizes:
            cmd = [sys.executable, "-m", "kiosk", "screenshots", str(out), "--size", size]
            cmd += ["--widgets"] if args.widgets else []
            failed += subprocess.run(cmd, env=os.environ.copy()).returncode != 0
        return 1 if failed else 0
    width, height = (int(v) for v in sizes[0].split("x"))
    return _shoot(out, width, height, settings, args.widgets)


def drawn_widgets(window: Any) -> dict[str, list[dict[str, Any]]]:
    """Every text and touch target on screen, in window pixels (x, y from the bottom left, width, height)."""
    from kivy.uix.label import Label
    from kivy.uix.modalview import ModalView

    texts, targets = [], []
    covered = window.children and isinstance(window.children[0], ModalView)  # the staff view hides the rest
    for top in window.children[:1] if covered else window.children:
        for widget in top.walk():
            if widget.get_root_window() is None or widget.width <= 1 or widget.height <= 1:
                continue
            x, y = widget.to_window(widget.x, widget.y)
            rect = [round(x), round(y), round(widget.width), round(widget.height)]
            if isinstance(widget, Label) and widget.text.strip() and widget.opacity > 0:
                tw, th = widget.texture_size
                texts.append(
                    {
                        "text": widget.text,
                        "color": list(widget.color),
                        "font_size": float(widget.font_size),
                        "bold": bool(widget.bold),
                        "rect": rect,
                        "ink": [
                            round(x + (widget.width - tw) / 2),
                            round(y + (widget.height - th) / 2),
                            tw,
                            th,
                        ],
                    }
                )
            target = getattr(widget, "target", None)
            if isinstance(target, str) and target:
                targets.append({"target": target, "rect": rect})
    return {"size": list(window.size), "texts": texts, "targets": targets}


def _shoot(out: Path, width: int, height: int, settings: Settings, widgets: bool = False) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    still = data_dir / "camera.png"
    _draw_page_on_table(still)
    settings = dataclasses.replace(
        settings,
        kiosk=dataclasses.replace(settings.kiosk, data_dir=data_dir, printer=""),
        vision=dataclasses.replace(settings.vision, camera=str(still)),
    )
    from kiosk.ui.app import configure_window

    configure_window(settings, width, height)
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.session import SilentSpeaker
    from kiosk.speech.voice import VoiceInput
    from kiosk.ui.app import make_app
    from layanan.domain.events import Idle, RoomBusy, Tap, VoiceUnavailable

    app: Any = make_app(settings, voice=False)
    app.session.speaker = SilentSpeaker()
    written: list[Path] = []
    steps = list(enumerate(TOUR, start=1))

    def advance(dt: float) -> None:
        if not steps:
            _staff(app, out, width, height, written, widgets)
            return
        number, (name, taps) = steps.pop(0)
        for tap in taps:
            if tap in ("@talk", "@untalk"):
                app.talk_held, app.level = tap == "@talk", 0.7 if tap == "@talk" else 0.0
            elif tap == "@voiceoff":  # a kiosk whose microphone is missing: a voice input that never started
                app.listener = VoiceInput(settings, lambda lang: None, lambda: None)
                problem = app.listener.unavailable(app.session.state.lang)
                app.session.dispatch(VoiceUnavailable(problem, asked=True))
            elif tap == "@busy":  # people talking around the kiosk: the banner asks to hold the talk button
                app.listener = None
                app.session.dispatch(RoomBusy())
            else:
                app.session.dispatch(Idle(60) if tap == "@idle" else Tap(tap))
        app.render()
        if "@talk" in taps:  # the citizen goes on with the NIK: what is heard so far shows at the top
            app.show_heard_so_far("nol satu")
        Clock.schedule_once(lambda dt: _save(number, name), 0.4)

    def _save(number: int, name: str) -> None:
        path = out / f"{width}x{height}-{number:02d}-{name}.png"
        _screenshot(Window, path)
        written.append(path)
        if widgets:
            path.with_suffix(".widgets.json").write_text(json.dumps(drawn_widgets(Window)))
        if name == "ticket":
            _print_slip(app, out / "ticket-slip.png")
        Clock.schedule_once(advance, 0.05)

    Clock.schedule_once(advance, 0.5)
    app.run()
    print(f"wrote {len(written)} screenshots at {width}x{height} to {out}", file=sys.stderr)
    return 0 if len(written) == len(TOUR) + 2 else 1


def _print_slip(app: Any, path: Path) -> None:
    """The ticket's slip as a printer gets it: sent to an in-memory ESC/POS printer, read back from its bytes."""
    from kiosk.slip import open_printer, raster_to_image

    printer = open_printer("dummy")
    assert printer is not None and app.session.slips.last is not None
    printer.print_slip(app.session.slips.last.image)
    raster_to_image(printer.output).save(path)


def _draw_page_on_table(path: Path) -> None:
    """A slightly blurred family card on a wooden table: what the camera screen previews (and asks to steady)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(7)
    table = np.full((720, 1280, 3), (60, 105, 150), np.uint8)
    table = cv2.add(table, rng.integers(0, 25, table.shape, dtype=np.uint8))
    page = np.array([[420, 90], [880, 110], [900, 680], [400, 660]], np.int32)
    cv2.fillPoly(table, [page], (235, 238, 240), lineType=cv2.LINE_AA)
    for row in range(8):
        y = 170 + row * 55
        cv2.line(table, (450, y), (850, y + 8), (60, 60, 60), 6, cv2.LINE_AA)
    cv2.imwrite(str(path), cv2.GaussianBlur(table, (0, 0), 3))


def _staff(app: Any, out: Path, width: int, height: int, written: list[Path], widgets: bool = False) -> None:
    from kivy.clock import Clock
    from kivy.core.window import Window

    app.open_staff()

    def shoot_pin(dt: float) -> None:
        path = out / f"{width}x{height}-{len(TOUR) + 1:02d}-staff-pin.png"
        _screenshot(Window, path)
        if widgets:
            path.with_suffix(".widgets.json").write_text(json.dumps(drawn_widgets(Window)))
        written.append(path)
        app.staff.show_queue()  # a picture of the queue, whatever this kiosk's PIN: no PIN is tried
        Clock.schedule_once(shoot_queue, 0.4)

    def shoot_queue(dt: float) -> None:
        path = out / f"{width}x{height}-{len(TOUR) + 2:02d}-staff-queue.png"
        _screenshot(Window, path)
        if widgets:
            path.with_suffix(".widgets.json").write_text(json.dumps(drawn_widgets(Window)))
        written.append(path)
        app.stop()

    Clock.schedule_once(shoot_pin, 0.4)


def _screenshot(window: Any, path: Path) -> None:
    """Window.screenshot numbers its files; write to a temp name and move into place."""
    made = window.screenshot(name=str(path.with_suffix("")) + "-%(counter)s.png")
    Path(made).replace(path)
