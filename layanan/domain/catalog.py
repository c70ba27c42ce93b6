"""The service catalog: categories, services, fields and documents, loaded from TOML and checked at start.

A bad catalog is refused with a :class:`CatalogError` naming the file, the entry and the reason, so a technician
can fix it; the kiosk never starts on half a catalog.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

FIELD_KINDS = ("nik", "kk", "phone", "digits", "date", "choice")
MAX_CHOICES = 6
"""At most about six choices on a screen (low-literacy rule)."""
ACTION_ICONS = (
    "ulang", "kembali", "batal", "bantuan", "ya", "tidak", "next", "speaker", "mic", "mic_off", "camera",
    "keypad_del", "home", "start", "staff", "staff_key",
)  # fmt: skip
"""Pictograms of the buttons every screen has (repeat, back, cancel, help, yes, no, skip, start, microphone,
staff...): a choice drawn with one of them would say two things, so the catalog may not use them."""


class CatalogError(ValueError):
    """The catalog file is not usable; the message names file, entry and reason."""


@dataclass(frozen=True)
class Text:
    """One text per language code."""

    by_lang: Mapping[str, str]

    def get(self, lang: str, fallback: str = "id") -> str:
        return self.by_lang.get(lang) or self.by_lang.get(fallback) or next(iter(self.by_lang.values()))


@dataclass(frozen=True)
class Option:
    id: str
    icon: str
    title: Text


@dataclass(frozen=True)
class FieldSpec:
    id: str
    kind: str
    icon: str
    title: Text
    prompt: Text
    optional: bool = False
    min_len: int = 1
    max_len: int = 16
    options: tuple[Option, ...] = ()


DOCUMENT_KINDS = ("ktp", "card", "kk", "letter")
"""What a document is, for the camera: ``ktp`` or ``card`` (an ID-1 card), ``kk`` or ``letter`` (an A4 page)."""


@dataclass(frozen=True)
class DocumentSpec:
    id: str
    icon: str
    title: Text
    kind: str = "letter"
    """Its document kind (one of :data:`DOCUMENT_KINDS`): how a photo of it is straightened."""


@dataclass(frozen=True)
class Category:
    id: str
    icon: str
    title: Text
    prompt: Text


@dataclass(frozen=True)
class Service:
    id: str
    category: str
    icon: str
    ticket_letter: str
    office: str
    title: Text
    prompt: Text
    fields: tuple[str, ...]
    documents: tuple[str, ...]
    done: Text
    sla_days: int = 5
    """Working days the office has to finish it (SLA; the console sorts and flags by the due date)."""
    supplies: Mapping[str, float] = field(default_factory=dict)
    """Supplies (ids from [supplies]) one request uses, and how many: the office's orders follow the forecast."""
    staff_minutes: int = 0
    """Staff time one request takes at the office (the plan page turns forecasts into staff days)."""
    free: bool = False
    """The service costs nothing: the ticket slip says "gratis"."""


@dataclass(frozen=True)
class SupplySpec:
    """Something the office stocks and a service uses up (KTP-el blanks, KK forms, akta paper)."""

    id: str
    title: Text
    unit: Text


@dataclass(frozen=True)
class Catalog:
    categories: tuple[Category, ...]
    services: Mapping[str, Service]
    fields: Mapping[str, FieldSpec]
    documents: Mapping[str, DocumentSpec]
    languages: tuple[str, ...]
    supplies: Mapping[str, SupplySpec] = field(default_factory=dict)

    def services_in(self, category_id: str) -> tuple[Service, ...]:
        return tuple(s for s in self.services.values() if s.category == category_id)

    def category(self, category_id: str) -> Category:
        return next(c for c in self.categories if c.id == category_id)


class _Reader:
    """Reads one entry and raises CatalogError that names file and entry."""

    def __init__(self, source: str, entry: str, data: Any) -> None:
        self.source, self.entry = source, entry
        if not isinstance(data, Mapping):
            self.fail("must be a table")
        self.data: Mapping[str, Any] = data

    def fail(self, reason: str) -> None:
        raise CatalogError(f"{self.source}: {self.entry}: {reason}")

    def str_(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or (default is None and not value):
            self.fail(f"'{key}' must be non-empty text")
        return str(value)

    def list_(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(f"'{key}' must be a list of ids")
        return tuple(value)

    def text(self, key: str, languages: tuple[str, ...]) -> Text:
        value = self.data.get(key)
        if not isinstance(value, Mapping) or not value:
            self.fail(f"'{key}' must be a table of language = text")
        assert isinstance(value, Mapping)
        for lang in languages:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.fail(f"'{key}' has no text for language '{lang}'")
        return Text(dict(value))


def _field(source: str, fid: str, data: Any, langs: tuple[str, ...]) -> FieldSpec:
    r = _Reader(source, f"fields.{fid}", data)
    kind = r.str_("kind")
    if kind not in FIELD_KINDS:
        r.fail(f"kind '{kind}' is unknown; use one of {', '.join(FIELD_KINDS)}")
    options: list[Option] = []
    if kind == "choice":
        raw = r.data.get("options")
        if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_CHOICES:
            r.fail(f"a choice field needs 2 to {MAX_CHOICES} options")
        assert isinstance(raw, list)
        for i, opt in enumerate(raw):
            o = _Reader(source, f"fields.{fid}.options[{i}]", opt)
            options.append(Option(o.str_("id"), o.str_("icon"), o.text("title", langs)))
    lo, hi = r.data.get("min", 1), r.data.get("max", 16)
    if not isinstance(lo, int) or not isinstance(hi, int) or not 1 <= lo <= hi <= 16:
        r.fail("'min' and 'max' must be whole numbers with 1 <= min <= max <= 16")
    optional = r.data.get("optional", False)
    if not isinstance(optional, bool):
        r.fail("'optional' must be true or false")
    return FieldSpec(
        fid,
        kind,
        r.str_("icon"),
        r.text("title", langs),
        r.text("prompt", langs),
        optional,
        lo,
        hi,
        tuple(options),
    )


def _sla_days(r: _Reader) -> int:
    value = r.data.get("sla_days", 5)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
        r.fail("'sla_days' must be a whole number of working days from 1 to 365")
    return int(value)


def _service_supplies(r: _Reader, supplies: Mapping[str, SupplySpec]) -> dict[str, float]:
    value = r.data.get("supplies", {})
    if not isinstance(value, Mapping):
        r.fail("'supplies' must be a table of supply id = units per request")
    out = {}
    for sid, n in value.items():
        if sid not in supplies:
            r.fail(f"supply '{sid}' is not defined under [supplies]")
        if isinstance(n, bool) or not isinstance(n, int | float) or not 0 < n <= 100:
            r.fail(f"supply '{sid}': units per request must be a number above 0 and at most 100")
        out[str(sid)] = float(n)
    return out


def _staff_minutes(r: _Reader) -> int:
    value = r.data.get("staff_minutes", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 480:
        r.fail("'staff_minutes' must be a whole number of minutes from 0 to 480")
    return int(value)


def _free(r: _Reader) -> bool:
    value = r.data.get("free", False)
    if not isinstance(value, bool):
        r.fail("'free' must be true or false")
    return bool(value)


def _document_kind(r: _Reader) -> str:
    """A document's ``kind``; catalogs written before it had that name say ``capture``, which still reads."""
    if "kind" in r.data and "capture" in r.data and r.data["kind"] != r.data["capture"]:
        r.fail("'kind' and 'capture' (its old name) disagree; keep 'kind' only")
    kind = r.str_("kind" if "kind" in r.data else "capture", "letter")
    if kind not in DOCUMENT_KINDS:
        r.fail(f"kind '{kind}' is unknown; use ktp, card (ID-1 cards), kk or letter (A4 pages)")
    return kind


def parse_catalog(data: Mapping[str, Any], source: str, languages: tuple[str, ...] = ("id", "en")) -> Catalog:
    """Check and build a catalog from parsed TOML; ``languages`` must all have texts."""
    if data.get("schema") != 1:
        raise CatalogError(f"{source}: schema: expected 'schema = 1', found {data.get('schema')!r}")
    fields = {fid: _field(source, fid, d, languages) for fid, d in dict(data.get("fields", {})).items()}
    documents = {}
    for did, d in dict(data.get("documents", {})).items():
        r = _Reader(source, f"documents.{did}", d)
        documents[did] = DocumentSpec(did, r.str_("icon"), r.text("title", languages), _document_kind(r))
    supplies = {}
    for sid, d in dict(data.get("supplies", {})).items():
        r = _Reader(source, f"supplies.{sid}", d)
        supplies[sid] = SupplySpec(sid, r.text("title", languages), r.text("unit", languages))
    categories = []
    for i, d in enumerate(data.get("categories", [])):
        r = _Reader(source, f"categories[{i}]", d)
        categories.append(
            Category(r.str_("id"), r.str_("icon"), r.text("title", languages), r.text("prompt", languages))
        )
    if not 1 <= len(categories) <= MAX_CHOICES:
        raise CatalogError(
            f"{source}: categories: need 1 to {MAX_CHOICES} categories, found {len(categories)}"
        )
    category_ids = {c.id for c in categories}
    services: dict[str, Service] = {}
    for i, d in enumerate(data.get("services", [])):
        r = _Reader(source, f"services[{i}]", d)
        sid = r.str_("id")
        r.entry = f"services[{i}] ({sid})"
        if sid in services:
            r.fail("duplicate service id")
        category = r.str_("category", "")
        if category and category not in category_ids:
            r.fail(f"category '{category}' is not one of the categories ({', '.join(sorted(category_ids))})")
        svc = Service(
            sid,
            category,
            r.str_("icon"),
            r.str_("ticket_letter"),
            r.str_("office"),
            r.text("title", languages),
            r.text("prompt", languages),
            r.list_("fields"),
            r.list_("documents"),
            r.text("done", languages),
            _sla_days(r),
            _service_supplies(r, supplies),
            _staff_minutes(r),
            free=_free(r),
        )
        for f in svc.fields:
            if f not in fields:
                r.fail(f"field '{f}' is not defined under [fields]")
        for doc in svc.documents:
            if doc not in documents:
                r.fail(f"document '{doc}' is not defined under [documents]")
        services[sid] = svc
    for c in categories:
        n = sum(1 for s in services.values() if s.category == c.id)
        if not 1 <= n <= MAX_CHOICES:
            raise CatalogError(f"{source}: category '{c.id}': needs 1 to {MAX_CHOICES} services, has {n}")
    catalog = Catalog(tuple(categories), services, fields, documents, languages, supplies)
    _check_pictograms(catalog, source)
    return catalog


def _check_document_pictograms(catalog: Catalog, source: str) -> None:
    """No two documents share a picture anywhere in the catalog: a citizen who cannot read tells the documents
    to bring apart by their picture alone, whichever service lists them."""
    owner: dict[str, str] = {}
    for doc in catalog.documents.values():
        if doc.icon in owner:
            raise CatalogError(
                f"{source}: documents.{doc.id}: icon '{doc.icon}' is already documents.{owner[doc.icon]}'s; "
                "a citizen tells documents apart by their picture: give each its own (docs/icons.md)"
            )
        owner[doc.icon] = doc.id


def _check_pictograms(catalog: Catalog, source: str) -> None:
    """Every choice has its own picture: none is an action button's, an option never borrows a category's or
    service's, no two choices on one screen look the same, and no two documents anywhere."""
    _check_document_pictograms(catalog, source)
    screens: dict[str, list[tuple[str, str]]] = {
        "categories": [(f"categories.{c.id}", c.icon) for c in catalog.categories]
    }
    for c in catalog.categories:
        screens[f"services of '{c.id}'"] = [(f"services.{s.id}", s.icon) for s in catalog.services_in(c.id)]
    for f in catalog.fields.values():
        if f.options:
            screens[f"options of '{f.id}'"] = [(f"fields.{f.id}.options.{o.id}", o.icon) for o in f.options]
    for s in catalog.services.values():
        screens[f"documents of '{s.id}'"] = [
            (f"documents.{d}", catalog.documents[d].icon) for d in s.documents
        ]
    chosen = {c.icon for c in catalog.categories} | {s.icon for s in catalog.services.values()}
    for screen, entries in screens.items():
        seen: dict[str, str] = {}
        for entry, icon in entries:
            if icon in ACTION_ICONS:
                raise CatalogError(
                    f"{source}: {entry}: icon '{icon}' is an action button's; draw the choice its own pictogram"
                )
            if ".options." in entry and icon in chosen:
                raise CatalogError(
                    f"{source}: {entry}: icon '{icon}' belongs to a category or service; draw the option its own"
                )
            if icon in seen:
                raise CatalogError(
                    f"{source}: {entry}: icon '{icon}' is already {seen[icon]}'s on the same screen ({screen})"
                )
            seen[icon] = entry


def load_catalog(path: str | Path | None = None, languages: tuple[str, ...] = ("id", "en")) -> Catalog:
    """Load the catalog from ``path``, or the one shipped with the package."""
    if path:
        source = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CatalogError(
                f"{source}: cannot read the catalog ({exc.strerror}); check kiosk.catalog"
            ) from None
    else:
        source = "layanan/data/catalog.toml"
        raw = resources.files("layanan").joinpath("data/catalog.toml").read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{source}: not valid TOML: {exc}") from None
    return parse_catalog(data, source, languages)
