"""What the kiosk's speech needs of a model ``install-model`` installs: it must load with the kiosk's own loader
(kiosk/speech/engines.py) before it is made current, and the device config must point speech at it."""

from __future__ import annotations

from pathlib import Path

from layanan.config import Settings
from provisioning.common import ProvisionError, replace_section
from provisioning.models import MANIFEST, Manifest

LITERT_FILE = "digits-id.tflite"
"""The file name the kiosk's speech loads from ``speech.models_dir`` (kiosk/speech/engines.py)."""


def check_speech(content: Path, manifest: Manifest, source: Path) -> None:
    """Load the staged copy with the kiosk's own speech loader (kiosk/speech/engines.py), as the kiosk will:
    a model speech cannot use is never made current."""
    try:
        from kiosk.speech.engines import EngineUnavailable, LanguagePack, load_recognizer
    except ImportError as exc:
        raise ProvisionError(
            f"the kiosk's speech software cannot be imported ({exc}); install the kiosk first "
            "(pip install 'layanan_desa-...whl[kiosk,provision]', docs/provisioning.md step 1)"
        ) from None
    if manifest.kind == "tflite":
        pack = LanguagePack(manifest.lang or "id", "litert", content / manifest.file, content / MANIFEST)
    else:
        pack = LanguagePack(manifest.lang, "vosk", content)
    try:
        load_recognizer(pack)
    except EngineUnavailable as exc:
        raise ProvisionError(
            f"{source} passed its checksums but the kiosk's speech cannot load it ({exc}); nothing was changed: "
            "get the model and its manifest.json from the same release"
        ) from None


def point_speech(settings: Settings, link: Path, manifest: Manifest) -> tuple[Settings, str]:
    """The settings with the kiosk's speech pointed at an installed speech model, and what that means."""
    if manifest.kind == "tflite":
        if manifest.file != LITERT_FILE or (manifest.lang or "id") != "id":
            return settings, (
                f"note: the kiosk's Indonesian speech loads {LITERT_FILE} only; {manifest.name} is installed "
                "but not used by speech"
            )
        if settings.speech.models_dir == str(link):
            return settings, f"Indonesian speech uses {link}"
        return replace_section(settings, "speech", models_dir=str(link)), (
            f"Indonesian speech now uses {link} (speech.models_dir)"
        )
    entry = f"{manifest.lang}={link}"
    others = tuple(v for v in settings.speech.vosk_models if v.split("=", 1)[0].strip() != manifest.lang)
    if entry in settings.speech.vosk_models:
        return settings, f"speech in '{manifest.lang}' uses {link}"
    return replace_section(settings, "speech", vosk_models=(*others, entry)), (
        f"speech in '{manifest.lang}' now uses {link} (speech.vosk_models)"
    )
