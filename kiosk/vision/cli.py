"""``kiosk capture IMAGE --doc ktp|kk|letter --out OUT``: the capture pipeline on a still image, as JSON.

Prints the quality verdict and hints, the four corners (pixels, clockwise from top-left) or null, the encoded
size and the output path. Exit 0 when the picture was captured (even with hints), 2 when the image cannot be
read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.vision.camera import CameraError, load_image
from kiosk.vision.detect import DOC_KINDS
from kiosk.vision.pipeline import capture_document
from layanan.config import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", help="photo of the document (PNG, JPEG, WebP ...)")
    parser.add_argument("--doc", required=True, choices=sorted(DOC_KINDS), help="which document it is")
    parser.add_argument("--out", required=True, help="where to write the encoded document (.webp or .jpg)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        image = load_image(args.image)
    except CameraError as exc:
        print(json.dumps({"error": exc.reason, "message": str(exc)}), file=sys.stdout)
        print(f"kiosk capture: {exc.what}", file=sys.stderr)
        return 2
    capture = capture_document(image, args.doc)
    out = Path(args.out)
    if out.suffix.lower() not in (".webp", ".jpg", ".jpeg"):
        out = out.with_suffix(capture.encoded.extension)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(capture.encoded.data)
    result = capture.to_dict()
    result["encoded_bytes"] = capture.encoded.size
    result["output"] = str(out)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
