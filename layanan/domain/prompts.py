"""Language packs and prompt keys: what each key the flow says means, in text, for one language.

Keys: ``screen.*``, ``hint.*``, ``err.*``, ``camera.*``, ``digit:N`` and ``lang:X:name`` come from the pack's
``[prompts]`` (``camera.<hint>`` is what the camera step says for a photo hint: :func:`camera_hint_key`);
``cat:ID:title|prompt``, ``svc:ID:title|prompt|done``, ``field:ID:title|prompt``, ``opt:FIELD:OPTION`` and
``doc:ID`` come from the catalog; ``letter:X`` is the letter itself. Every key is finite, so the whole audio pack can
be rendered ahead of time (:func:`all_keys`).
"""

from __future__ import annotations

import dataclasses
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from layanan.domain.catalog import Catalog, CatalogError


def camera_hint_key(hint: str) -> str:
    """The prompt key of a camera hint's sentence (``too_small`` -> ``camera.too_small``). The sentences live only in
    the language packs; code passes hint ids and keys around, and whoever shows or speaks one looks it up."""
    return f"camera.{hint}"


@dataclass(frozen=True)
class LanguagePack:
    code: str
    name: str
    tts_voice: str
    prompts: Mapping[str, str]
    ui: Mapping[str, str]
    office: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """The office console's words (states, reasons): what a ticket's status says, read back by the kiosk."""

    def label(self, key: str) -> str:
        return self.ui.get(key, key)


def load_pack(code: str, directory: Path | None = None) -> LanguagePack:
    """Load ``<code>.toml`` from ``directory`` (a provisioned pack) or from the package."""
    if directory is not None and (directory / f"{code}.toml").exists():
        source, raw = str(directory / f"{code}.toml"), (directory / f"{code}.toml").read_bytes()
    else:
        ref = resources.files("layanan").joinpath(f"data/lang/{code}.toml")
        if not ref.is_file():
            where = f"{directory}/{code}.toml" if directory is not None else f"a folder's {code}.toml"
            raise CatalogError(
                f"language pack '{code}' is neither shipped nor provisioned: put {where} (the [prompts] of"
                f" layanan/data/lang/id.toml translated), or remove '{code}' from kiosk.languages"
            )
        source, raw = f"layanan/data/lang/{code}.toml", ref.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{source}: not valid TOML: {exc}") from None
    prompts, ui = data.get("prompts"), data.get("ui", {})
    if not isinstance(prompts, dict) or not all(isinstance(v, str) for v in prompts.values()):
        raise CatalogError(f"{source}: [prompts] must be a table of key = text")
    office = data.get("office", {})
    if not isinstance(office, dict):
        raise CatalogError(f"{source}: [office] must be a table of key = text")
    return LanguagePack(
        code, str(data.get("name", code)), str(data.get("tts_voice", code)), prompts, ui, office
    )


class PromptBook:
    """Resolves prompt keys to text for one language from its pack and the catalog."""

    def __init__(self, catalog: Catalog, pack: LanguagePack) -> None:
        self.catalog, self.pack = catalog, pack

    def text(self, key: str) -> str:
        """The key's text; a key said in another language (``KEY@LANG``, :func:`~layanan.domain.flow.in_language`)
        is not shown in this one: its text is empty."""
        if "@" in key:
            key, _, lang = key.partition("@")
            if lang != self.pack.code:
                return ""
        if key in self.pack.prompts:
            return self.pack.prompts[key]
        kind, _, rest = key.partition(":")
        lang = self.pack.code
        try:
            if kind == "letter":
                return rest
            if kind == "cat":
                cid, _, part = rest.partition(":")
                return getattr(self.catalog.category(cid), part).get(lang)  # type: ignore[no-any-return]
            if kind == "svc":
                sid, _, part = rest.partition(":")
                return getattr(self.catalog.services[sid], part).get(lang)  # type: ignore[no-any-return]
            if kind == "field":
                fid, _, part = rest.partition(":")
                return getattr(self.catalog.fields[fid], part).get(lang)  # type: ignore[no-any-return]
            if kind == "opt":
                fid, _, oid = rest.partition(":")
                return next(o.title.get(lang) for o in self.catalog.fields[fid].options if o.id == oid)
            if kind == "doc":
                return self.catalog.documents[rest].title.get(lang)
        except (KeyError, StopIteration, AttributeError):
            pass
        raise KeyError(f"prompt key '{key}' has no text in language pack '{lang}'")

    def sentence(self, keys: tuple[str, ...]) -> str:
        """Keys joined into what is shown under the pictograms (digits close together)."""
        parts: list[str] = []
        for key in keys:
            text = self.text(key)
            if not text:
                continue
            if key.startswith(("digit:", "letter:")) and parts and parts[-1].endswith(" "):
                parts[-1] += text + " "
            else:
                parts.append(text + " ")
        return " ".join(p.strip() for p in parts)


def all_keys(catalog: Catalog, pack: LanguagePack) -> Iterator[str]:
    """Every key the flow can say, for rendering the audio pack."""
    yield from pack.prompts
    yield from (f"letter:{c}" for c in string.ascii_uppercase)
    for c in catalog.categories:
        yield from (f"cat:{c.id}:title", f"cat:{c.id}:prompt")
    for s in catalog.services.values():
        yield from (f"svc:{s.id}:title", f"svc:{s.id}:prompt", f"svc:{s.id}:done")
    for f in catalog.fields.values():
        yield from (f"field:{f.id}:title", f"field:{f.id}:prompt")
        yield from (f"opt:{f.id}:{o.id}" for o in f.options)
    yield from (f"doc:{d}" for d in catalog.documents)
