"""Rebuild float Keras weights from a shipped digits-id .tflite, so that training can go on from the model the
kiosk ships (``train.py --init``) when the run's own checkpoints are gone. They are never committed, and a
fresh machine has none.

    python models/training/from_tflite.py --data /work/data/speech --out /work/data/v5.weights.h5
    python models/training/train.py --data /work/data/speech --init /work/data/v5.weights.h5 --lr 5e-4 ...

The int8 file keeps every convolution and dense weight (int8, one scale per output channel) and each
BatchNorm as a per-channel multiply and add. Dequantised, they give the same network in float. A BatchNorm
that is fine-tuned normalises by each batch's own statistics, though, so a bare multiply-and-add would be
applied to normalised activations it was never meant for. The script therefore measures each BatchNorm's
input mean and variance on training-speaker recordings and writes the multiply and add back as
``gamma``/``beta`` around those statistics. Inference is unchanged, and a training step starts from the
shipped model instead of from a different one.

It prints how closely the rebuilt float network follows the .tflite on validation recordings: frame-wise
agreement of the best token, and the largest difference of a token's probability.
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
from kiosk.speech.litert import interpreter_class  # noqa: E402
from models.training import train  # noqa: E402
from tools.speech.eval import load_validation  # noqa: E402

log = logging.getLogger("from_tflite")

BN_EPSILON = 1e-3
"""Keras' BatchNormalization default, which build_model uses."""


def dequantize(interpreter, index: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The float value of a constant tensor (per-axis int8 scales as the converter wrote them)."""
    detail = next(t for t in interpreter.get_tensor_details() if t["index"] == index)
    value = interpreter.get_tensor(index)
    q = detail["quantization_parameters"]
    if value.dtype == np.float32 or not len(q["scales"]):
        return np.asarray(value, dtype=np.float32)
    shape = [1] * value.ndim
    if len(q["scales"]) > 1:
        shape[q["quantized_dimension"]] = len(q["scales"])
    scales = np.asarray(q["scales"], np.float32).reshape(shape)
    zeros = np.asarray(q["zero_points"], np.float32).reshape(shape)
    return (value.astype(np.float32) - zeros) * scales


def read_layers(path: Path) -> list[tuple[str, list[np.ndarray]]]:
    """The network's weights in graph order: ("conv", [kernel]), ("separable", [depthwise, pointwise]),
    ("bn", [multiply, add]) and ("dense", [kernel, bias]), in the layouts Keras uses."""
    interpreter = interpreter_class()(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    ops = interpreter._get_ops_details()  # the public API has no graph walk
    produced = {i for op in ops for i in op["outputs"]}
    inputs = {d["index"] for d in interpreter.get_input_details()}

    def constant(i: int) -> bool:
        return i >= 0 and i not in produced and i not in inputs

    layers: list[tuple[str, list[np.ndarray]]] = []
    pending_dw: np.ndarray | None = None
    pending_mul: np.ndarray | None = None
    for op in ops:
        name, ins = op["op_name"], list(op["inputs"])
        if name == "DEPTHWISE_CONV_2D":
            w = dequantize(interpreter, ins[1])  # (1, 1, k, c)
            pending_dw = np.transpose(w[0], (1, 2, 0))  # (k, c, 1)
        elif name == "CONV_2D":
            w = dequantize(interpreter, ins[1])  # (out, 1, k, in)
            kernel = np.transpose(w[:, 0], (1, 2, 0))  # (k, in, out)
            if pending_dw is not None:
                layers.append(("separable", [pending_dw, kernel]))
                pending_dw = None
            else:
                layers.append(("conv", [kernel]))
        elif name == "FULLY_CONNECTED":
            layers.append(("dense", [dequantize(interpreter, ins[1]).T]))
        elif name == "MUL" and any(constant(i) for i in ins):
            pending_mul = dequantize(interpreter, next(i for i in ins if constant(i))).reshape(-1)
        elif name == "ADD" and any(constant(i) for i in ins):
            add = dequantize(interpreter, next(i for i in ins if constant(i))).reshape(-1)
            if pending_mul is not None:
                layers.append(("bn", [pending_mul, add]))
                pending_mul = None
            elif layers and layers[-1][0] == "dense":
                layers[-1][1].append(add)
    return layers


def rebuild(path: Path, bn_momentum: float = 0.99, dropout: float = 0.0):  # type: ignore[no-untyped-def]
    """A Keras model of train.build_model's shape carrying the .tflite's weights (BatchNorm as a plain
    multiply and add: mean 0, variance 1 - epsilon)."""
    layers = read_layers(path)
    convs = [w for kind, w in layers if kind in ("conv", "separable")]
    channels = convs[0][0].shape[-1]
    blocks = sum(kind == "separable" for kind, _ in layers) - 1
    kernel = next(w for kind, w in layers if kind == "separable")[0].shape[0]
    if convs[0][0].shape[1] != train.PARAMS.n_inputs:
        raise ValueError(
            f"{path} takes {convs[0][0].shape[1]} features a frame, the training code {train.PARAMS.n_inputs}"
        )
    model = train.build_model(channels, blocks, kernel, bn_momentum, dropout)
    targets = [
        layer
        for layer in model.layers
        if layer.__class__.__name__ in ("Conv1D", "SeparableConv1D", "BatchNormalization", "Dense")
    ]
    if len(targets) != len(layers):
        raise ValueError(f"{path} has {len(layers)} weighted layers, the rebuilt network {len(targets)}")
    for layer, (kind, weights) in zip(targets, layers, strict=True):
        if kind == "bn":
            mul, add = weights
            layer.set_weights([mul, add, np.zeros_like(mul), np.full_like(mul, 1.0 - BN_EPSILON)])
        else:
            layer.set_weights(weights)
    return model


def batchnorms(model) -> list:  # type: ignore[no-untyped-def]
    return [layer for layer in model.layers if layer.__class__.__name__ == "BatchNormalization"]


def input_statistics(model, layers: list, feats: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:  # type: ignore[no-untyped-def]
    """Per-channel mean and variance of each of ``layers``' inputs over every frame of ``feats`` (inference
    mode)."""
    import tensorflow as tf

    probe = tf.keras.Model(model.input, [layer.input for layer in layers])
    sums = [np.zeros(layer.input.shape[-1]) for layer in layers]
    squares = [np.zeros(layer.input.shape[-1]) for layer in layers]
    frames = [0] * len(layers)
    for f in feats:
        outs = probe(f[None].astype(np.float32), training=False)
        for i, out in enumerate(outs if isinstance(outs, list | tuple) else [outs]):
            a = out.numpy().reshape(-1, out.shape[-1]).astype(np.float64)
            sums[i] += a.sum(axis=0)
            squares[i] += (a**2).sum(axis=0)
            frames[i] += len(a)
    means = [total / n for total, n in zip(sums, frames, strict=True)]
    return [
        (mean, np.maximum(sq / n - mean**2, 1e-6)) for mean, sq, n in zip(means, squares, frames, strict=True)
    ]


def restate_batchnorm(model, feats: list[np.ndarray]) -> None:  # type: ignore[no-untyped-def]
    """Measure each BatchNorm's input statistics on ``feats`` and restate its multiply-and-add around them
    (inference unchanged; a training step's batch statistics now land near the shipped behaviour)."""
    bns = batchnorms(model)
    for bn, (mean, var) in zip(bns, input_statistics(model, bns, feats), strict=True):
        mul, add, _, _ = bn.get_weights()
        # old: mul * x + add; new: gamma * (x - mean) / sqrt(var + eps) + beta, equal for every x
        gamma = mul * np.sqrt(var + BN_EPSILON)
        beta = add + mul * mean
        bn.set_weights([gamma, beta, mean, var])


def agreement(model, path: Path, feats: list[np.ndarray]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """How closely the float model follows the .tflite: best-token agreement per frame, largest difference."""
    interpreter = interpreter_class()(model_path=str(path), num_threads=1)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    same = total = 0
    worst = 0.0
    for f in feats:
        x = f[None].astype(np.float32)
        interpreter.resize_tensor_input(inp["index"], x.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        lite = interpreter.get_tensor(out["index"])[0]
        logits = model(x, training=False).numpy()[0]
        mine = logits - logits.max(-1, keepdims=True)
        mine -= np.log(np.exp(mine).sum(-1, keepdims=True))  # log-softmax, as the .tflite ends
        n = min(len(lite), len(mine))
        same += int((lite[:n].argmax(-1) == mine[:n].argmax(-1)).sum())
        total += n
        worst = max(worst, float(np.abs(np.exp(lite[:n]) - np.exp(mine[:n])).max()))
    return {"frames": total, "best_token_agreement": same / max(1, total), "largest_probability_gap": worst}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=ROOT / "models" / "digits-id.tflite")
    p.add_argument("--data", type=Path, required=True, help="prepare.py output folder")
    p.add_argument(
        "--out", type=Path, required=True, help="the .weights.h5 to write (outside the repository)"
    )
    p.add_argument("--recordings", type=int, default=300, help="training recordings for the statistics")
    p.add_argument("--bn-momentum", type=float, default=0.99)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    params = FeatureParams()
    model = rebuild(args.model, args.bn_momentum)
    log.info("rebuilt %s: %d parameters", args.model, model.count_params())
    training = load_validation(args.data, split="train")
    step = max(1, len(training) // args.recordings)
    restate_batchnorm(model, [features(a, params) for a, _, _ in training[::step][: args.recordings]])
    valid = load_validation(args.data)[::10]
    report = agreement(model, args.model, [features(a, params) for a, _, _ in valid])
    log.info(
        "float against .tflite on %d validation frames: best token the same in %.2f%%, largest gap %.3f",
        report["frames"],
        100 * report["best_token_agreement"],
        report["largest_probability_gap"],
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(args.out))
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
