"""What a kiosk runs, for telemetry's ``versions``: the software, the catalog and each model, each named by the
version its own manifest or file declares (never a file time, which says nothing about what is inside).

    {"sw": "0.1.0", "catalog": "2026.12.1 3f2a9c1b", "model.digits-id": "6 d07629a39136"}

The catalog's value is its ``version`` and the first 8 hex digits of its sha256 (a local edit shows up even when
nobody changed the version); a model's is its manifest's ``version`` and the first 12 hex digits of its ``sha256``
(or of the manifest, for a model folder).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path

import kiosk
from kiosk.speech.engines import language_packs
from layanan.config import Settings

MAX_MODELS = 8
"""Telemetry stays small: at most this many models are reported."""


def collect_versions(settings: Settings) -> dict[str, str]:
    versions = {"sw": kiosk.__version__, "catalog": catalog_version(settings.kiosk.catalog)}
    for name, value in model_versions(settings)[:MAX_MODELS]:
        versions[f"model.{name}"[:32]] = value
    return versions


def catalog_version(path: str | Path | None) -> str:
    """``VERSION SHA8`` of the catalog the kiosk loads (``kiosk.catalog``, else the packaged one)."""
    try:
        raw = (
            Path(path).read_bytes()
            if path
            else resources.files("layanan").joinpath("data/catalog.toml").read_bytes()
        )
    except OSError:
        return "unreadable"
    try:
        version = str(tomllib.loads(raw.decode("utf-8")).get("version", "none"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        version = "invalid"
    return f"{version[:16]} {hashlib.sha256(raw).hexdigest()[:8]}"


def model_versions(settings: Settings) -> list[tuple[str, str]]:
    """(name, ``VERSION SHA12``) of the speech model of each configured language, then of the other models
    installed under ``DATA_DIR/models`` (by ``kiosk-provision install-model``)."""
    manifests: list[Path] = []
    packs = language_packs(settings)
    for lang in settings.kiosk.languages:
        pack = packs.get(lang)
        if pack is None or pack.model is None:
            continue
        manifests.append(pack.manifest or pack.model / "manifest.json")
    installed = settings.data_dir / "models"
    if installed.is_dir():
        manifests += [
            link / "manifest.json"
            for link in sorted(installed.iterdir())
            if link.is_symlink() and not link.name.endswith(".previous")
        ]
    found: dict[str, str] = {}
    for manifest in manifests:
        entry = _describe(manifest)
        if entry is not None and entry[0] not in found:
            found[entry[0]] = entry[1]
    return list(found.items())


def _describe(manifest: Path) -> tuple[str, str] | None:
    try:
        raw = manifest.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("name"):
        return None
    sha = str(data.get("sha256") or hashlib.sha256(raw).hexdigest())[:12]
    return str(data["name"])[:24], f"{str(data.get('version', '?'))[:16]} {sha}"
