"""What every page of the console needs, built once: the database, settings, catalog, language packs, keys,
the working-day calendar, the status link to the kiosks; and the page helpers (render, translate, redirect)."""

from __future__ import annotations

import datetime as dt
import logging
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from nacl.public import PrivateKey
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from central import office_keys
from central.db import Database
from central.updates import StatusLink
from layanan.calendar import Calendar
from layanan.config import Settings
from layanan.domain.catalog import Catalog
from layanan.domain.request import format_ticket
from layanan.security.crypto import KeyFileError

log = logging.getLogger(__name__)
LANGS = ("id", "en")


@dataclass
class Console:
    db: Database
    settings: Settings
    catalog: Catalog
    keys_dir: Path
    calendar: Calendar
    status_link: StatusLink | None = None
    words: dict[str, dict[str, str]] = field(default_factory=dict)
    nik_secret: bytes | None = None
    clock: Callable[[], float] | None = None

    def __post_init__(self) -> None:
        for code in LANGS:
            self.words[code] = office_words(code)
        self.tz = ZoneInfo(self.settings.site.time_zone)
        self.env = Environment(
            loader=PackageLoader("central.web", "templates"), autoescape=select_autoescape(["html"])
        )
        self.env.filters["when"] = self.when
        self.env.filters["ago"] = ago
        self.env.filters["ticket"] = format_ticket  # 1230427 -> 123 0427, as on the slip

    def word(self, lang: str, key: str, **kw: Any) -> str:
        text = self.words.get(lang, {}).get(key) or self.words["id"].get(key) or key
        return text.format(**kw) if kw else text

    def private_key(self) -> list[PrivateKey] | None:
        """The keys that open sealed data: the current one, then the retired ones (kiosk-central keys rotate)."""
        try:
            return office_keys.opening_keys(self.keys_dir)
        except KeyFileError:
            return None

    def key_problem(self) -> str:
        """'' when the office key is readable, else why not (for the log, never shown with data)."""
        try:
            office_keys.private_key(self.keys_dir)
        except KeyFileError as exc:
            return str(exc)
        return ""

    def now(self) -> float:
        """The console's clock (tests move it forward to expire a session)."""
        return self.clock() if self.clock is not None else time.time()

    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    def when(self, ts: float | None) -> str:
        if ts is None:
            return "-"
        return dt.datetime.fromtimestamp(float(ts), self.tz).strftime("%Y-%m-%d %H:%M")

    def nik_index(self) -> Callable[[str], str] | None:
        secret = self.nik_secret
        return None if secret is None else (lambda nik: office_keys.nik_index(secret, nik))


def office_words(code: str) -> dict[str, str]:
    """The ``[office]`` table of the language pack ``code`` (the console's words, state names included)."""
    raw = resources.files("layanan").joinpath(f"data/lang/{code}.toml").read_bytes()
    table = tomllib.loads(raw.decode("utf-8")).get("office", {})
    return {str(k): str(v) for k, v in table.items()}


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h"
    return f"{s // 86400} d"


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def lang_of(request: Request) -> str:
    lang = request.session.get("lang", "id") if "session" in request.scope else "id"
    return lang if lang in LANGS else "id"


def t(request: Request, key: str, **kw: Any) -> str:
    return console_of(request).word(lang_of(request), key, **kw)


def render(request: Request, template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    console = console_of(request)
    lang = lang_of(request)
    csrf = request.scope.get("csrftoken")
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    html = console.env.get_template(template).render(
        request=request,
        t=lambda key, **kw: console.word(lang, key, **kw),
        lang=lang,
        csrftoken=csrf() if callable(csrf) else "",
        user=request.scope.get("user"),
        catalog=console.catalog,
        flash=flash,
        console=console,
        **ctx,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    return response


def redirect(url: str, **query: str) -> RedirectResponse:
    return RedirectResponse(url + ("?" + urlencode(query) if query else ""), status_code=303)


def remote_of(request: Request) -> str:
    return request.client.host if request.client else ""


def flash(request: Request, key: str, **kw: Any) -> None:
    request.session["flash"] = t(request, key, **kw)
