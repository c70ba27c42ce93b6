"""Re-run the measurements the vision thresholds were tuned on (docs/vision.md).

Run ``python -m tests.vision.tune``.

Prints, on generated scenes: the focus measure under increasing blur, brightness under exposure changes, glare
share, and a detection sweep (corner error per background and document family, JPEG-compressed half of the
time).
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from kiosk.vision.detect import find_document, order_corners
from kiosk.vision.quality import assess
from tools.vision import synth


def quality_table() -> None:
    print("| scene | size | measure | sharp | blur 1.0 | blur 1.5 | blur 2.5 | blur 4 |")
    print("|---|---|---|---|---|---|---|---|")
    for doc in ("ktp", "letter"):
        for size in ((1280, 720), (640, 480)):
            fill = 0.4 if doc == "ktp" else 0.3
            img = synth.render(doc, size=size, bg="wood", fill=fill, angle=6, tilt=0.06, seed=5).image
            row = [assess(img, doc).measures["focus"]]
            row += [assess(synth.blur(img, s), doc).measures["focus"] for s in (1.0, 1.5, 2.5, 4.0)]
            cells = " | ".join(f"{v:.0f}" for v in row)
            print(f"| {doc} | {size[0]}x{size[1]} | focus | {cells} |")
    print()
    print("| scene | gain 0.3 | gain 0.5 | as shot | gain 1.8 + 40 | glare blob |")
    print("|---|---|---|---|---|---|")
    for doc in ("ktp", "letter"):
        fill = 0.4 if doc == "ktp" else 0.3
        img = synth.render(doc, size=(1280, 720), bg="wood", fill=fill, angle=6, tilt=0.06, seed=5).image
        m = [
            assess(synth.exposure(img, g, o), doc).measures
            for g, o in ((0.3, 0), (0.5, 0), (1, 0), (1.8, 40))
        ]
        gl = assess(synth.glare(img, (660, 360), 42), doc).measures
        means = " | ".join(f"mean {x['brightness']:.0f}" for x in m[:3])
        over = f"mean {m[3]['brightness']:.0f}, clipped {m[3]['clipped']:.2f}"
        print(f"| {doc} | {means} | {over} | glare {gl['glare']:.3f} |")


def detection_sweep(n: int) -> None:
    rng = np.random.default_rng(0)
    stats: dict[tuple[str, str], list] = {}
    for _ in range(n):
        doc = str(rng.choice(["ktp", "kk", "letter"]))
        bg = str(rng.choice(["wood", "cloth", "table", "white"]))
        size = [(640, 480), (1280, 720)][int(rng.integers(2))]
        fill = rng.uniform(0.2, 0.5) if doc == "ktp" else rng.uniform(0.18, 0.34)
        scene = synth.render(
            doc,
            size=size,
            bg=bg,
            fill=fill,
            angle=rng.uniform(-25, 25),
            tilt=rng.uniform(0, 0.15),
            shift=(rng.uniform(-0.08, 0.08), rng.uniform(-0.05, 0.05)),
            seed=int(rng.integers(1000)),
        )
        if scene.corners is None:
            continue
        img = scene.image
        if rng.random() < 0.5:
            _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 90))])
            img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        found = find_document(img, doc)
        st = stats.setdefault((bg, "card" if doc == "ktp" else "page"), [0, 0, 0, []])
        st[0] += 1
        if found.corners is None:
            st[1] += 1
            continue
        err = float(np.abs(np.array(found.corners) - order_corners(scene.corners)).max())
        st[3].append(err)
        st[2] += err > 3
    print("| background | family | scenes | no outline | error > 3 px | median error px | 95th pct px |")
    print("|---|---|---|---|---|---|---|")
    for (bg, fam), (count, miss, bad, errs) in sorted(stats.items()):
        med = f"{np.median(errs):.2f}" if errs else "-"
        p95 = f"{np.percentile(errs, 95):.2f}" if errs else "-"
        print(f"| {bg} | {fam} | {count} | {miss} | {bad} | {med} | {p95} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenes", type=int, default=400)
    args = parser.parse_args()
    quality_table()
    print()
    detection_sweep(args.scenes)
