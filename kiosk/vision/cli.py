"""``kiosk capture IMAGE --document-kind ktp|card|kk|letter --out OUT [--lang en]``: the capture pipeline on a
still image, as JSON.

Prints the quality verdict and hints, the four corners (pixels, clockwise from top-left) or null, the encoded
size and the output path. Each hint carries its id, its prompt key and icon, and the sentence the language pack of
``--lang`` (default: ``kiosk.lang``) has for that key, as the kiosk would say it. Exit 0 when the picture was
captured (even with hints), 2 when the image cannot be read or the language has no pack. ``--doc`` is still
accepted for ``--document-kind`` (older notes and scripts use it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.vision.camera import CameraError, load_image
from kiosk.vision.detect import DOCUMENT_KINDS
from kiosk.vision.pipeline import capture_document
from layanan.config import Settings
from layanan.domain.catalog import CatalogError
from layanan.domain.prompts import load_pack


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", help="photo of the document (PNG, JPEG, WebP ...)")
    kinds = sorted(DOCUMENT_KINDS)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--document-kind", choices=kinds, help="which kind of document it is (the warp's proportions)"
    )
    which.add_argument("--doc", dest="document_kind", choices=kinds, help=argparse.SUPPRESS)  # the old name
    parser.add_argument("--out", required=True, help="where to write the encoded document (.webp or .jpg)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.kiosk.lang
    try:
        pack = load_pack(lang, settings.data_dir / "lang")
    except CatalogError as exc:
        print(f"kiosk capture: {exc}", file=sys.stderr)
        return 2
    try:
        image = load_image(args.image)
    except CameraError as exc:
        print(json.dumps({"error": exc.reason, "message": str(exc)}), file=sys.stdout)
        print(f"kiosk capture: {exc.what}", file=sys.stderr)
        return 2
    capture = capture_document(image, args.document_kind)
    out = Path(args.out)
    if out.suffix.lower() not in (".webp", ".jpg", ".jpeg"):
        out = out.with_suffix(capture.encoded.extension)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(capture.encoded.data)
    result = capture.to_dict(sentences=pack.prompts)
    result["lang"] = lang
    result["encoded_bytes"] = capture.encoded.size
    result["output"] = str(out)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
