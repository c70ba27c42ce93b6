"""Training data for the document-mask model (train_outline.py): scenes of the *tuning* families only.

``python -m tools.vision.outline_data OUT.npz --scenes 4000`` writes ``x`` (n, 120, 160, 3) uint8 BGR frames
scaled to the model's input, ``y`` (n, 60, 80) uint8 masks of the document (255 inside, anti-aliased edge), and
the family of each. Scene indices start at ``FIRST_INDEX``, far from the 0..999 that evaluate.py scores, so no
picture is both trained on and measured. Frames are 640x480 and 640x360 (the 1280x720 camera's analysis copy):
the model only ever sees 160x120.
"""

from __future__ import annotations

import argparse
import sys
import time

import cv2
import numpy as np

from tools.vision import families as F
from tools.vision.outline_model import INPUT_SIZE, MASK_SIZE

FIRST_INDEX = 1_000_000


def sample(fam: F.Family, index: int) -> tuple[np.ndarray, np.ndarray]:
    size = ((640, 480), (640, 360))[index % 2]
    scene = F.family_scene(fam, index, size=size)
    x = cv2.resize(scene.image, INPUT_SIZE, interpolation=cv2.INTER_AREA)
    k = np.array([MASK_SIZE[0] / size[0], MASK_SIZE[1] / size[1]], np.float32)
    mask = np.zeros((MASK_SIZE[1] * 4, MASK_SIZE[0] * 4), np.uint8)
    pts = ((scene.corners + 0.5) * k * 4 - 0.5) * 16  # 4x supersampled, 4 fractional bits
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    y = cv2.resize(mask, MASK_SIZE, interpolation=cv2.INTER_AREA)
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--scenes", type=int, default=4000)
    parser.add_argument("--start", type=int, default=0, help="offset within the training indices")
    args = parser.parse_args()
    fams = F.split("tune")
    xs, ys, names = [], [], []
    t = time.time()
    for i in range(args.scenes):
        fam = fams[i % len(fams)]
        x, y = sample(fam, FIRST_INDEX + args.start + i)
        xs.append(x)
        ys.append(y)
        names.append(fam.name)
        if i % 500 == 0:
            print(f"{i} scenes, {time.time() - t:.0f} s", file=sys.stderr)
    np.savez_compressed(args.out, x=np.stack(xs), y=np.stack(ys), family=np.array(names))


if __name__ == "__main__":
    main()
