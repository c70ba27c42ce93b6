"""Score a document detector on the scene families (families.py), per family.

``python -m tools.vision.evaluate --split tune --scenes 100 [--detector learned --model M.tflite]`` prints a
table; ``kiosk bench vision --json`` reports the held-out families with the same function. Tune on
``--split tune`` only.

Per family: a scene is *found* when the detector returns four corners it is sure of (its confidence reaches
``kiosk.vision.detect.CONFIDENCE_MIN``; an unsure detection is sent as the whole frame, flagged for the clerk);
*within 2 %* when, in addition, each corner lies within 2 % of the frame's diagonal of the truth; *wrong and sure*
when it is sure and a corner is further off (the case that sends a card with its top cut off). Every fourth
scene is also blurred, and counts as *refused* when the quality check does not pass it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from kiosk.vision.detect import Detection, find_document, order_corners
from kiosk.vision.quality import assess
from tools.vision import families as F

Detector = Callable[[np.ndarray, str], Detection]

TOLERANCE = 0.02
"""Largest corner error, as a fraction of the frame's diagonal, for a detection to count as right."""


def corner_error(found: Detection, truth: np.ndarray, shape: tuple[int, ...]) -> float:
    """Largest corner distance over the frame's diagonal (inf when nothing was found)."""
    if found.corners is None:
        return float("inf")
    diag = float(np.hypot(shape[0], shape[1]))
    err = np.linalg.norm(np.array(found.corners) - order_corners(truth), axis=1).max()
    return float(err / diag)


def _sure(found: Detection) -> bool:
    return found.corners is not None and not getattr(found, "unsure", False)


def score_family(
    fam: F.Family, scenes: int, detect: Detector = find_document, blur_every: int = 4
) -> dict[str, Any]:
    errors: list[float] = []
    found = within = wrong_sure = unsure = 0
    blurred = refused = 0
    ms: list[float] = []
    failures: list[dict[str, Any]] = []
    for i in range(scenes):
        scene = F.family_scene(fam, i)
        t = time.process_time()
        det = detect(scene.image, scene.document_kind)
        ms.append((time.process_time() - t) * 1000)
        err = corner_error(det, scene.corners, scene.image.shape)
        errors.append(err)
        sure = _sure(det)
        unsure += det.corners is not None and not sure
        found += sure
        within += sure and err <= TOLERANCE
        wrong_sure += sure and err > TOLERANCE
        if not (sure and err <= TOLERANCE):
            failures.append({"index": i, "error": None if err == float("inf") else round(err, 4)})
        if blur_every and i % blur_every == 0:
            blurred += 1
            refused += not assess(F.blurred(scene), scene.document_kind).ok
    finite = [e for e in errors if np.isfinite(e)]
    return {
        "family": fam.name,
        "split": fam.split,
        "scenes": scenes,
        "found": round(found / scenes, 4),
        "within_2pct": round(within / scenes, 4),
        "wrong_but_sure": wrong_sure,
        "unsure": unsure,
        "not_found": scenes - found - unsure,
        "median_error_pct_diag": round(100 * float(np.median(finite)), 3) if finite else None,
        "blurred": blurred,
        "blurred_refused": round(refused / blurred, 4) if blurred else None,
        "cpu_ms_median": round(float(np.median(ms)), 2),
        "failures": failures,
    }


def evaluate(
    fams: Iterable[F.Family], scenes: int, detect: Detector = find_document, blur_every: int = 4
) -> list[dict[str, Any]]:
    return [score_family(f, scenes, detect, blur_every) for f in fams]


def learned_detector(model_path: str) -> Detector:
    """The learned detector of tools/vision/learned.py with the mask model at ``model_path``."""
    from tools.vision.learned import find_with_mask
    from tools.vision.outline_model import MaskModel

    model = MaskModel(model_path)
    return lambda image, kind: find_with_mask(image, kind, model)


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| family | split | scenes | found | within 2 % | wrong but sure | unsure | median error % diag "
        "| blurred refused | CPU ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['family']} | {r['split']} | {r['scenes']} | {100 * r['found']:.1f} % "
            f"| {100 * r['within_2pct']:.1f} % | {r['wrong_but_sure']} | {r['unsure']} "
            f"| {r['median_error_pct_diag']} | {r['blurred_refused']} | {r['cpu_ms_median']} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="tune", choices=("tune", "held_out"))
    parser.add_argument("--family", action="append", help="only these families (repeatable)")
    parser.add_argument("--scenes", type=int, default=100)
    parser.add_argument("--blur-every", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--detector", default="classical", choices=("classical", "learned"))
    parser.add_argument("--model", help="the mask model (.tflite) for --detector learned (train_outline.py)")
    args = parser.parse_args()
    fams = [F.BY_NAME[n] for n in args.family] if args.family else list(F.split(args.split))
    detect = find_document if args.detector == "classical" else learned_detector(args.model)
    rows = evaluate(fams, args.scenes, detect, blur_every=args.blur_every)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(table(rows))
        for r in rows:
            print(r["family"], "failures:", r["failures"][:30])


if __name__ == "__main__":
    main()
