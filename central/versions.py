"""A kiosk's telemetry ``versions`` as a person reads them in ``kiosk-central devices``.

The kiosk sends ``{"sw": "0.1.0", "catalog": "2026.12.1 3f2a9c1b", "model.digits-id": "6 d07629a39136"}``
(kiosk/outbox/versions.py); the one-line list shows ``sw 0.1.0  catalog 2026.12.1  digits-id 6`` and ``--json``
keeps everything, checksums included."""

from __future__ import annotations

from collections.abc import Mapping

MODEL = "model."


def versions_text(versions: Mapping[str, str]) -> str:
    """``sw 0.1.0  catalog 2026.12.1  digits-id 6``; what an older kiosk does not report is said to be missing."""
    parts = [f"sw {versions.get('sw') or 'unknown'}"]
    catalog = versions.get("catalog")
    models = [(k.removeprefix(MODEL), v) for k, v in versions.items() if k.startswith(MODEL)]
    if catalog is None and not models:
        return parts[0] + " (catalog and models not reported: older software)"
    parts.append(f"catalog {catalog.split()[0] if catalog else 'unknown'}")
    parts += [f"{name} {value.split()[0] if value else '?'}" for name, value in models]
    return "  ".join(parts)
