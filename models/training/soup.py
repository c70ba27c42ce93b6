"""Average the weights of two or more runs of one network (a "model soup"), then measure its BatchNorm statistics
again, for ``train.py --export-only``.

    python models/training/soup.py --data /work/data/speech --out /work/data/soup.weights.h5 \\
        /work/data/v6.weights.h5 /work/data/run19/work/final.weights.h5
    python models/training/train.py --data /work/data/speech --export-only /work/data/soup.weights.h5 \\
        --channels 192 --blocks 6 --out /work/data/soup ...

Only runs that went on from one another (or from one starting point) average well: two networks trained apart
put the same features in different channels. Every weight is averaged, and so are BatchNorm's scale and
offset; its moving mean and variance belong to the weights before it, so they are measured again on training
recordings, one BatchNorm after the other (each one's input depends on those before it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.speech.features import FeatureParams, features  # noqa: E402
from models.training import from_tflite, train  # noqa: E402
from tools.speech.eval import load_validation  # noqa: E402

log = logging.getLogger("soup")


def average(weight_sets: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Element-wise mean of several models' weight lists (``model.get_weights()`` order)."""
    if len({len(ws) for ws in weight_sets}) != 1:
        raise ValueError("the models have different numbers of weight arrays: not one network")
    out = []
    for arrays in zip(*weight_sets, strict=True):
        if len({a.shape for a in arrays}) != 1:
            raise ValueError(f"weight shapes differ ({[a.shape for a in arrays]}): not one network")
        out.append(np.mean(np.stack(arrays), axis=0).astype(arrays[0].dtype))
    return out


def remeasure_batchnorm(model, feats: list[np.ndarray]) -> None:  # type: ignore[no-untyped-def]
    """Set each BatchNorm's moving mean and variance to what its input has on ``feats``, in network order
    (each one's input depends on the statistics of those before it)."""
    bns = from_tflite.batchnorms(model)
    for i, bn in enumerate(bns, 1):
        ((mean, var),) = from_tflite.input_statistics(model, [bn], feats)
        gamma, beta, _, _ = bn.get_weights()
        bn.set_weights([gamma, beta, mean, var])
        log.info("BatchNorm %d of %d measured", i, len(bns))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("weights", type=Path, nargs="+", help="two or more .weights.h5 of the same network")
    p.add_argument("--data", type=Path, required=True, help="prepare.py output folder")
    p.add_argument(
        "--out", type=Path, required=True, help="the .weights.h5 to write (outside the repository)"
    )
    p.add_argument("--channels", type=int, default=192)
    p.add_argument("--blocks", type=int, default=6)
    p.add_argument("--kernel", type=int, default=9)
    p.add_argument("--bn-momentum", type=float, default=0.99)
    p.add_argument("--recordings", type=int, default=300, help="training recordings for the statistics")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if len(args.weights) < 2:
        p.error("give two or more .weights.h5 files")
    model = train.build_model(args.channels, args.blocks, args.kernel, args.bn_momentum)
    sets = []
    for path in args.weights:
        model.load_weights(str(path))
        sets.append(model.get_weights())
    model.set_weights(average(sets))
    training = load_validation(args.data, split="train")
    step = max(1, len(training) // args.recordings)
    params = FeatureParams()
    remeasure_batchnorm(model, [features(a, params) for a, _, _ in training[::step][: args.recordings]])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(args.out))
    log.info("wrote %s, the mean of %d models", args.out, len(args.weights))
    return 0


if __name__ == "__main__":
    sys.exit(main())
