"""Score the detector on real photographs that come with a mask of the document: ``NAME.jpg`` beside
``NAME-mask.png`` (white = document) in a folder given on the command line; nothing is copied into the project.

    python -m tools.vision.real_photos DIR [--kind letter] [--detector learned --model M.tflite]

The only openly licensed set found reachable from here is the three photos in ``data/doc`` of the GitHub
repository tony-xlh/SynthDocs (Apache-2.0): an A4 text page and an A4 table page on a dark desk and a receipt on a
white desk, 2600x4624 phone photos. The true corners are the mask's outline simplified to four points. Each photo
is scored as the kiosk would see it (scaled to 720x1280, then to 360x640 for the live analysis) and at full size.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from kiosk.vision.detect import find_document, order_corners
from tools.vision.evaluate import Detector, learned_detector


def mask_corners(mask: np.ndarray) -> np.ndarray | None:
    contours, _ = cv2.findContours((mask > 127).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    for eps in (0.01, 0.02, 0.03, 0.05):
        approx = cv2.approxPolyDP(hull, eps * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            return order_corners(approx.reshape(4, 2).astype(np.float32))
    return None


def score(image: np.ndarray, truth: np.ndarray, kind: str | None, detect: Detector) -> dict[str, object]:
    found = detect(image, kind)
    h, w = image.shape[:2]
    err = None
    if found.corners is not None:
        err = float(np.linalg.norm(np.array(found.corners) - truth, axis=1).max() / np.hypot(w, h))
    return {
        "size": f"{w}x{h}",
        "found": found.corners is not None and not found.unsure,
        "confidence": round(found.confidence, 3),
        "error_pct_diag": None if err is None else round(100 * err, 2),
        "within_2pct": err is not None and err <= 0.02 and not found.unsure,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder")
    parser.add_argument("--kind", default=None, help="document kind for A4 photos (default: any proportions)")
    parser.add_argument("--detector", default="classical", choices=("classical", "learned"))
    parser.add_argument("--model", help="the mask model (.tflite) for --detector learned")
    args = parser.parse_args()
    detect = find_document if args.detector == "classical" else learned_detector(args.model)
    rows = []
    for mask_path in sorted(Path(args.folder).glob("*-mask.png")):
        photo = mask_path.with_name(mask_path.name.removesuffix("-mask.png") + ".jpg")
        image, mask = cv2.imread(str(photo)), cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        if image is None or mask is None:
            continue
        truth = mask_corners(mask)
        if truth is None:
            continue
        h, w = image.shape[:2]
        kind = args.kind if abs(max(h, w) / min(h, w) - 1.414) < 0.5 else None
        row: dict[str, object] = {"photo": photo.name}
        for long_side in (1280, 640, max(h, w)):
            k = long_side / max(h, w)
            small = cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
            row[str(long_side)] = score(small, (truth + 0.5) * k - 0.5, kind, detect)
        rows.append(row)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
