"""Train the small Indonesian digit/command CTC model and export it as int8 LiteRT (.tflite) with a manifest.

    pip install -e '.[train]'
    python models/training/prepare.py --corpus-dir /work/.mirror --out /work/data/speech
    python models/training/train.py --data /work/data/speech --minutes 35 --out models

Model: normalised log-mel (kiosk/speech/features.py, the runtime's own code) -> Conv1D stride 2 ->
depthwise-separable Conv1D blocks (one more stride 2: 40 ms per output frame) -> word tokens + blank, CTC.
Augmentation on the fly: four-talker babble of non-reserved training speakers from both corpora, synthetic
fan/traffic noise, SNR 0-20 dB, synthetic room reverb, gain, SpecAugment masks. The learning rate follows a
cosine over the wall-time budget, so the run ends on time on a 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import queue as queues
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.speech.features import FeatureParams, features  # noqa: E402
from layanan.domain.words import COMMANDS, DIGITS  # noqa: E402
from models.training.prepare import Utterance, is_reserved  # noqa: E402
from tools.speech import augment  # noqa: E402
from tools.speech.eval import edit_distance  # noqa: E402

log = logging.getLogger("train")

TOKENS = ["<blank>", *DIGITS, *COMMANDS, "<other>"]
"""Output classes; index 0 is the CTC blank, the last is any word outside the vocabulary."""
WORD_ID = {w: i for i, w in enumerate(TOKENS)}
DIGIT_OF = DIGITS
PARAMS = FeatureParams()
"""The front end; main() sets it from --level-channel before anything is built."""


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


def labels_of(words: list[str]) -> list[int]:
    return [WORD_ID.get(w, WORD_ID["<other>"]) for w in words]


def load(
    data: Path,
) -> tuple[list[tuple[np.ndarray, list[int], str, str]], list[tuple[np.ndarray, list[int], str, str]]]:
    train, valid = [], []
    for line in (data / "manifest.jsonl").read_text().splitlines():
        u = Utterance.from_json(line)
        if u.corpus != "synth" and is_reserved(u.speaker):
            raise SystemExit(f"reserved speaker {u.speaker} in the manifest: re-run prepare.py")
        item = (read_wav(data / u.path), labels_of(u.words), u.speaker, u.corpus)
        (train if u.split == "train" else valid).append(item)
    return train, valid


class Augmenter:
    """Builds noisy, reverberant versions of training utterances; babble comes from training speakers only."""

    def __init__(
        self,
        train: list[tuple[np.ndarray, list[int], str, str]],
        seed: int,
        noise_p: float = 0.85,
        snr: tuple[float, float] = (-2.0, 22.0),
        speed_p: float = 0.0,
        babble_share: float = 0.5,
        trim_p: float = 0.0,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.noise_p, self.snr, self.speed_p = noise_p, snr, speed_p
        self.babble_share, self.trim_p = babble_share, trim_p
        self.talkers = [(a, spk) for a, _, spk, corpus in train if corpus != "synth"]
        # Synthesizing noise per example costs more than the training step: draw crops from a bank instead.
        n = 1 << 17
        self.fans = [augment.fan_noise(n, self.rng) for _ in range(64)]
        self.traffic = [augment.traffic_noise(n, self.rng) for _ in range(64)]

    def fan(self, n: int) -> np.ndarray:
        clip = self.fans[int(self.rng.integers(len(self.fans)))]
        return augment.fit_length(clip, n, self.rng) * (1 if self.rng.random() < 0.5 else -1)

    def traffic_noise(self, n: int) -> np.ndarray:
        clip = self.traffic[int(self.rng.integers(len(self.traffic)))]
        return augment.fit_length(clip, n, self.rng)

    def babble_for(self, speaker: str, n: int) -> np.ndarray:
        picks: list[np.ndarray] = []
        while len(picks) < 4:
            a, spk = self.talkers[int(self.rng.integers(len(self.talkers)))]
            if spk != speaker:
                picks.append(a)
        return augment.babble(picks, n, self.rng)

    def __call__(self, audio: np.ndarray, speaker: str, corpus: str) -> np.ndarray:
        rng = self.rng
        if rng.random() < self.speed_p:
            audio = augment.change_speed(audio, float(rng.uniform(0.88, 1.12)))
        pre, post = int(rng.integers(0, 6000)), int(rng.integers(0, 6000))
        if corpus != "synth" and rng.random() < self.trim_p:
            # What an end-pointer hands over: less of the room's own silence, rarely any digital silence.
            audio = augment.trim_silence(audio, float(rng.uniform(0.05, 0.8)), float(rng.uniform(0.05, 0.7)))
            if rng.random() < 0.7:
                pre = post = 0
        x = np.concatenate([np.zeros(pre, np.float32), audio, np.zeros(post, np.float32)])
        x = x + rng.standard_normal(len(x)).astype(np.float32) * 1e-4  # recording floor
        if rng.random() < 0.35:
            x = augment.reverberate(x, augment.room_impulse(rng))
        r = rng.random()
        noise_p = self.noise_p if corpus != "synth" else 0.95
        if r < noise_p:
            kind = rng.random()
            if kind < self.babble_share:
                noise = self.babble_for(speaker, len(x))
            elif kind < (1 + self.babble_share) / 2:
                noise = self.fan(len(x))
            else:
                noise = self.traffic_noise(len(x))
            x = augment.mix_at_snr(x, noise, float(rng.uniform(*self.snr)))
            if rng.random() < 0.3:  # a second, weaker noise on top
                x = augment.mix_at_snr(x, self.fan(len(x)), float(rng.uniform(10, 30)))
        peak = float(np.max(np.abs(x)) + 1e-9)
        target = float(rng.uniform(0.05, 0.9)) if rng.random() < 0.9 else float(rng.uniform(1.0, 3.0))
        return np.clip(x * (target / peak), -1.0, 1.0)  # the last branch clips, like an overdriven mic


def spec_augment(f: np.ndarray, rng: np.random.Generator, n_mels: int) -> np.ndarray:
    """Frequency and time masks over the mel bands (the level column, if any, is left whole)."""
    f = f.copy()
    for _ in range(2):
        w = int(rng.integers(0, 7))
        s = int(rng.integers(0, max(1, n_mels - w)))
        f[:, s : s + w] = 0.0
    for _ in range(int(rng.integers(0, 3))):
        w = int(rng.integers(0, 10))
        s = int(rng.integers(0, max(1, f.shape[0] - w)))
        f[s : s + w, :n_mels] = 0.0
    return f


def length_buckets(order: np.ndarray, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Endless batches of the items in ``order`` (sorted by length, so a batch pads little), the batches of
    each pass in random order."""
    while True:
        chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        rng.shuffle(chunks)
        yield from chunks


def batches(train: list, aug: Augmenter, batch_size: int, seed: int, vtlp_p: float = 0.0) -> Iterator[tuple]:
    """Endless length-bucketed batches of (features, feature lengths, labels, label lengths); ``vtlp_p`` of
    the examples get their mel bands warped by 0.9-1.1 (a talker with a longer or shorter vocal tract)."""
    rng = np.random.default_rng(seed)
    for chunk in length_buckets(np.argsort([len(a) for a, *_ in train]), batch_size, rng):
        feats, labs = [], []
        for i in chunk:
            audio, lab, spk, corpus = train[i]
            if rng.random() < 0.04:  # noise alone: the model must stay silent
                n = int(rng.integers(16000, 48000))
                kind = rng.random()
                x = (
                    aug.babble_for(spk, n)
                    if kind < 0.4
                    else aug.fan(n)
                    if kind < 0.7
                    else aug.traffic_noise(n)
                )
                x = x / (np.max(np.abs(x)) + 1e-9) * float(rng.uniform(0.02, 0.5))
                lab = []
            else:
                x = aug(audio, spk, corpus)
            # in steps of 0.01, so the 21 warped filterbanks stay in mel_filterbank's cache
            warp = round(float(rng.uniform(0.9, 1.1)), 2) if rng.random() < vtlp_p else 1.0
            feats.append(spec_augment(features(x, PARAMS, warp), rng, PARAMS.n_mels))
            labs.append(lab)
        yield pad(feats, labs)


def _worker(
    pool: list, train: list, args: argparse.Namespace, seed: int, out: multiprocessing.Queue, bank=None
) -> None:
    # The time-domain augmenter (its noise bank takes seconds to build) is needed only for the share it builds.
    aug = (
        Augmenter(train, seed, args.noise_p, tuple(args.snr), args.speed_p, args.babble_share, args.trim_p)
        if bank is None or args.exact_p > 0
        else None
    )
    if bank is None:
        assert aug is not None
        source = batches(pool, aug, args.batch, seed, args.vtlp_p)
    else:
        from models.training import melaug

        fast = melaug.MelAugmenter(
            bank,
            train,
            seed + 7,
            noise_p=args.noise_p,
            snr=tuple(args.snr),
            speed_p=args.speed_p,
            babble_share=args.babble_share,
            trim_p=args.trim_p,
            tempo_p=args.tempo_p,
            tempo=tuple(args.tempo),
        )
        source = melaug.batches(
            pool, train, fast, aug, args.batch, seed, args.exact_p, twins=args.teacher is not None
        )
    for b in source:
        out.put(b)


def start_workers(train: list, args: argparse.Namespace) -> tuple:
    """Processes that build augmented batches (the augmentation, not the network, is what takes the time:
    one Python thread cannot keep up with a training step). Forked before TensorFlow is imported; each has
    its own seed. With ``--mel-aug`` every utterance is analysed first (melaug.MelBank) and the workers
    share that analysis."""
    digits = [i for i, t in enumerate(train) if t[3] == "digit_cdsr"]
    pool: list = list(range(len(train))) + digits * (args.digit_repeat - 1)
    bank = None
    if args.mel_aug:
        from models.training import melaug

        bank = melaug.MelBank(train, PARAMS, seed=args.seed, cache=args.bank_cache)
    else:
        pool = [train[i] for i in pool]
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = ctx.Queue(maxsize=8)
    procs = [
        ctx.Process(target=_worker, args=(pool, train, args, args.seed + 1000 * k, out, bank), daemon=True)
        for k in range(args.workers)
    ]
    for proc in procs:
        proc.start()
    return out, procs


def pad(feats: list[np.ndarray], labs: list[list[int]]) -> tuple:
    t = max(len(f) for f in feats)
    t += (-t) % 4
    x = np.zeros((len(feats), t, PARAMS.n_inputs), np.float32)
    for i, f in enumerate(feats):
        x[i, : len(f)] = f
    lmax = max(1, max(len(lab) for lab in labs))
    y = np.zeros((len(labs), lmax), np.int32)
    for i, lab in enumerate(labs):
        y[i, : len(lab)] = lab
    return x, np.array([len(f) for f in feats], np.int32), y, np.array([len(lab) for lab in labs], np.int32)


CONTEXT_PREFIX = "ctx_"
"""Names of the context gate's layers (``build_model(context=...)``), which a model without it lacks."""


def _frame_mean_layer():  # type: ignore[no-untyped-def]
    import tensorflow as tf

    class FrameMean(tf.keras.layers.Layer):
        """Mean of each channel over the utterance's real frames. A training or scoring batch pads its shorter
        utterances with all-zero feature frames (``pad``); a plain mean would count them, so the gate would
        hear a different utterance in a batch than alone on the kiosk. Output frame k covers input frames
        4k..4k+3 and is real when input frame 4k is. ``masked = False`` (set by ``export``) is the plain mean:
        the kiosk runs one utterance at a time, padded by at most 3 frames, and the plain mean needs no
        division, which int8 TFLite lacks."""

        masked = True

        def call(self, inputs):  # type: ignore[no-untyped-def]
            x, feats = inputs
            if not self.masked:
                return tf.reduce_mean(x, axis=1)
            real = tf.cast(tf.reduce_max(tf.abs(feats), axis=-1) > 0, x.dtype)[:, ::4]
            real = real[:, : tf.shape(x)[1], None]
            return tf.reduce_sum(x * real, axis=1) / tf.maximum(tf.reduce_sum(real, axis=1), 1.0)

    return FrameMean


def build_model(  # type: ignore[no-untyped-def]
    channels: int, blocks: int, kernel: int, bn_momentum: float = 0.9, dropout: float = 0.0, context: int = 0
):
    """The CTC network. With ``context`` > 0, an utterance-level gate after the residual blocks: the mean of each
    channel over the whole utterance, squeezed to ``context`` units and back, scales each channel by 1 + tanh(.)
    on every frame. It lets the network condition on the utterance's main voice (the citizen, who talks most and
    loudest), which frame-local convolutions cannot see. Its last layer starts at zero, so a network given the
    gate starts as the same function as the one without it (``init_weights``)."""
    import tensorflow as tf

    inp = tf.keras.Input(shape=(None, PARAMS.n_inputs), name="features")
    x = tf.keras.layers.Conv1D(channels, 5, strides=2, padding="same", use_bias=False)(inp)
    x = tf.keras.layers.BatchNormalization(momentum=bn_momentum)(x)
    x = tf.keras.layers.ReLU(max_value=6.0)(x)
    x = tf.keras.layers.SeparableConv1D(channels, kernel, strides=2, padding="same", use_bias=False)(x)
    x = tf.keras.layers.BatchNormalization(momentum=bn_momentum)(x)
    x = tf.keras.layers.ReLU(max_value=6.0)(x)
    for _ in range(blocks):
        y = tf.keras.layers.SeparableConv1D(channels, kernel, padding="same", use_bias=False)(x)
        y = tf.keras.layers.BatchNormalization(momentum=bn_momentum)(y)
        y = tf.keras.layers.ReLU(max_value=6.0)(y)
        if dropout:
            # whole channels, so neighbouring frames cannot stand in for a dropped one (gone at inference)
            y = tf.keras.layers.SpatialDropout1D(dropout)(y)
        x = tf.keras.layers.Add()([x, y])
    if context:
        g = _frame_mean_layer()(name=CONTEXT_PREFIX + "mean")([x, inp])
        g = tf.keras.layers.Dense(context, activation="relu", name=CONTEXT_PREFIX + "squeeze")(g)
        g = tf.keras.layers.Dense(
            channels, activation="tanh", kernel_initializer="zeros", name=CONTEXT_PREFIX + "excite"
        )(g)
        g = tf.keras.layers.Reshape((1, channels), name=CONTEXT_PREFIX + "frames")(g)
        x = tf.keras.layers.Add(name=CONTEXT_PREFIX + "apply")(
            [x, tf.keras.layers.Multiply(name=CONTEXT_PREFIX + "scale")([x, g])]
        )
    x = tf.keras.layers.Conv1D(channels, 1, use_bias=False)(x)
    x = tf.keras.layers.BatchNormalization(momentum=bn_momentum)(x)
    x = tf.keras.layers.ReLU(max_value=6.0)(x)
    out = tf.keras.layers.Dense(len(TOKENS), name="logits")(x)
    return tf.keras.Model(inp, out)


def init_weights(model, path: Path, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """Load ``path`` into ``model``. Weights saved without the context gate go layer by layer into the layers
    outside it, and the gate keeps its starting values, so the network starts as the same function as the one
    it comes from. The file's arrays are counted to tell which kind it is (Keras 3.15 refuses a file without
    the gate with ValueError, but says no more than which layers it could not load)."""
    import h5py

    with h5py.File(path, "r") as f:
        saved: list[str] = []
        f.visititems(lambda name, obj: saved.append(name) if isinstance(obj, h5py.Dataset) else None)
    if len(saved) == len(model.weights):
        model.load_weights(str(path))
        return
    base = build_model(args.channels, args.blocks, args.kernel, args.bn_momentum, args.dropout)
    if len(saved) != len(base.weights):
        raise SystemExit(
            f"{path}: holds {len(saved)} weight arrays, this architecture has {len(model.weights)} "
            f"({len(base.weights)} without the context gate); check --channels/--blocks/--kernel/--context"
        )
    base.load_weights(str(path))
    src = [layer for layer in base.layers if layer.weights]
    dst = [layer for layer in model.layers if layer.weights and not layer.name.startswith(CONTEXT_PREFIX)]
    if [[w.shape for w in a.weights] for a in src] != [[w.shape for w in b.weights] for b in dst]:
        raise SystemExit(f"{path}: these weights are not of this architecture (--channels/--blocks/--kernel)")
    for a, b in zip(src, dst, strict=True):
        b.set_weights(a.get_weights())


class Averager:
    """Exponential moving average of a Keras model's trainable weights, swapped in for scoring and export."""

    def __init__(self, model, decay: float) -> None:  # type: ignore[no-untyped-def]
        import tensorflow as tf

        self.model, self.decay = model, decay
        self.shadow = [tf.Variable(v, trainable=False) for v in model.trainable_variables]

    def update(self) -> None:
        for s, v in zip(self.shadow, self.model.trainable_variables, strict=True):
            s.assign(self.decay * s + (1.0 - self.decay) * v)

    @contextlib.contextmanager
    def swapped(self) -> Iterator[None]:
        live = [v.numpy() for v in self.model.trainable_variables]
        for s, v in zip(self.shadow, self.model.trainable_variables, strict=True):
            v.assign(s)
        try:
            yield
        finally:
            for w, v in zip(live, self.model.trainable_variables, strict=True):
                v.assign(w)


def out_len(n: np.ndarray) -> np.ndarray:
    return (n + 3) // 4


def greedy(logits: np.ndarray) -> list[int]:
    best = logits.argmax(-1)
    out, prev = [], 0
    for k in best:
        if k != prev and k != 0:
            out.append(int(k))
        prev = int(k)
    return out


def digits_of(ids: list[int]) -> str:
    return "".join(DIGIT_OF[TOKENS[i]] for i in ids if TOKENS[i] in DIGIT_OF)


def score(model, valid: list, noise: str | None, seed: int = 1) -> dict:  # type: ignore[no-untyped-def]
    """Digit error rate and token error rate on the validation utterances (optionally at 10 dB SNR)."""
    rng = np.random.default_rng(seed)
    talkers = [(a, spk) for a, _, spk, c in valid if c != "synth"]
    errs = ref = utt_ok = n = tok_err = tok_ref = 0
    feats = []
    for audio, _lab, spk, _corpus in valid:
        x = audio
        if noise == "babble":
            others = [a for a, s in talkers if s != spk]
            picks = [others[int(rng.integers(len(others)))] for _ in range(4)]
            x = augment.mix_at_snr(x, augment.babble(picks, len(x), rng), 10.0)
        elif noise == "fan":
            x = augment.mix_at_snr(x, augment.fan_noise(len(x), rng), 10.0)
        feats.append(features(np.clip(x, -1, 1), PARAMS))
    order = np.argsort([len(f) for f in feats])
    hyps: dict[int, list[int]] = {}
    for i in range(0, len(order), 32):
        idx = order[i : i + 32]
        x, xl, _, _ = pad([feats[j] for j in idx], [[] for _ in idx])
        logits = model(x, training=False).numpy()
        for k, j in enumerate(idx):
            hyps[int(j)] = greedy(logits[k, : out_len(xl[k])])
    for j, (_audio, lab, _spk, corpus) in enumerate(valid):
        hyp = hyps[j]
        tok_err += edit_distance("".join(chr(65 + i) for i in hyp), "".join(chr(65 + i) for i in lab))
        tok_ref += len(lab)
        if corpus == "digit_cdsr":
            r, h = digits_of(lab), digits_of(hyp)
            errs += edit_distance(h, r)
            ref += len(r)
            utt_ok += h == r
            n += 1
    return {"der": errs / max(1, ref), "utt_acc": utt_ok / max(1, n), "ter": tok_err / max(1, tok_ref)}


def export(model, calibration: list, out_dir: Path, name: str, quant: str) -> Path:  # type: ignore[no-untyped-def]
    """The .tflite of ``model``. int8 takes its activation ranges from 200 of the ``calibration`` recordings:
    training speakers' (until 2026-12-03 it took them from the validation speakers, whose figures should
    not have set anything)."""
    import tensorflow as tf

    for layer in model.layers:
        if layer.name == CONTEXT_PREFIX + "mean":
            layer.masked = False  # see FrameMean
    x = tf.keras.layers.Activation(tf.nn.log_softmax, name="log_probs")(model.output)
    serving = tf.keras.Model(model.input, x)
    conv = tf.lite.TFLiteConverter.from_keras_model(serving)
    if quant == "int8":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        rng = np.random.default_rng(3)
        picks = [
            calibration[int(i)]
            for i in rng.choice(len(calibration), size=min(200, len(calibration)), replace=False)
        ]

        def rep():  # type: ignore[no-untyped-def]
            for audio, *_ in picks:
                yield [features(audio, PARAMS)[None]]

        conv.representative_dataset = rep
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.float32
        conv.inference_output_type = tf.float32
    elif quant == "float16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    path = out_dir / f"{name}.tflite"
    path.write_bytes(conv.convert())
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="prepare.py output folder")
    p.add_argument("--out", type=Path, default=ROOT / "models", help="where the .tflite and manifest go")
    p.add_argument("--work", type=Path, default=None, help="checkpoints and history (default DATA/run)")
    p.add_argument("--minutes", type=float, default=35.0, help="wall-time budget for training")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--channels", type=int, default=128)
    p.add_argument("--blocks", type=int, default=5)
    p.add_argument("--kernel", type=int, default=9)
    p.add_argument(
        "--context",
        type=int,
        default=0,
        help="units of the utterance-level context gate after the residual blocks (0: none; build_model)",
    )
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--steps-per-epoch", type=int, default=150)
    p.add_argument("--init", type=Path, default=None, help="start from these weights (continue a run)")
    p.add_argument(
        "--export-only",
        type=Path,
        default=None,
        metavar="WEIGHTS",
        help="do not train: export these saved weights (WORK/final.weights.h5 of a run) with the run's history "
        "and the same architecture flags",
    )
    p.add_argument("--warmup-steps", type=int, default=300)
    p.add_argument("--quant", choices=["int8", "float16", "float32"], default="int8")
    p.add_argument("--name", default="digits-id")
    p.add_argument("--version", default="1")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--noise-p", type=float, default=0.85, help="share of real utterances that get noise")
    p.add_argument("--snr", type=float, nargs=2, default=(-2.0, 22.0), metavar=("LOW", "HIGH"), help="dB")
    p.add_argument("--speed-p", type=float, default=0.0, help="share of utterances speed-perturbed 0.88-1.12")
    p.add_argument(
        "--vtlp-p",
        type=float,
        default=0.0,
        help="share of examples whose mel bands are warped 0.9-1.1 (vocal tract length perturbation: "
        "more talkers than the 54 there are)",
    )
    p.add_argument(
        "--babble-share", type=float, default=0.5, help="share of the noise that is four-talker babble"
    )
    p.add_argument(
        "--digit-repeat", type=int, default=1, help="times each connected-digit utterance is drawn"
    )
    p.add_argument("--bn-momentum", type=float, default=0.9)
    p.add_argument(
        "--dropout",
        type=float,
        default=0.0,
        help="share of channels dropped in each residual block while training (54 speakers are few)",
    )
    p.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: all cores)")
    p.add_argument("--workers", type=int, default=2, help="processes building augmented batches")
    p.add_argument(
        "--score-every",
        type=int,
        default=1,
        help="score the training-time subsets every this many epochs (and after the last); scoring "
        "takes a third of an epoch's time",
    )
    p.add_argument(
        "--trim-p",
        type=float,
        default=0.0,
        help="share of real utterances cut to 0.05-0.8 s of their own silence before and 0.05-0.7 s after",
    )
    p.add_argument(
        "--mel-aug",
        action="store_true",
        help="build most examples in the mel-power domain from a bank analysed once (models/training/"
        "melaug.py): several times cheaper than the time-domain augmentation, so more steps per minute",
    )
    p.add_argument(
        "--bank-cache",
        type=Path,
        help="with --mel-aug, keep the analysed bank in this folder (outside the repository; about 1.4 GiB) "
        "and load it on the next run with the same data and seed instead of analysing again (5 minutes)",
    )
    p.add_argument(
        "--exact-p",
        type=float,
        default=0.15,
        help="with --mel-aug, share of examples still built in the time domain (clipping, exact mixing)",
    )
    p.add_argument(
        "--tempo-p",
        type=float,
        default=0.0,
        help="with --mel-aug, share of real utterances whose frames are stretched to --tempo times as fast "
        "(same pitch): talkers faster than the training speakers",
    )
    p.add_argument("--tempo", type=float, nargs=2, default=(0.95, 1.35), metavar=("LOW", "HIGH"))
    p.add_argument(
        "--level-channel",
        action="store_true",
        help="give the model each frame's level relative to the utterance's speech level (one more input)",
    )
    p.add_argument(
        "--ema",
        type=float,
        default=0.0,
        help="decay of an exponential moving average of the weights "
        "(0: off); the average is what is scored, kept and exported",
    )
    p.add_argument(
        "--teacher",
        type=Path,
        default=None,
        help="weights of a network of the same shape that hears each example's clean twin (needs --mel-aug); "
        "the student also learns its per-frame posteriors (clean-teacher, noisy-student distillation)",
    )
    p.add_argument(
        "--kd-weight",
        type=float,
        default=0.5,
        help="with --teacher: weight of the KL divergence (summed over an utterance's frames) beside CTC "
        "(run 21 used 0.5)",
    )
    p.add_argument(
        "--export",
        choices=["best", "last"],
        default="best",
        help="which weights become the .tflite: the epoch with the lowest clean + babble DER on the "
        "training-time subset, or those after the last epoch (with --ema, the average at the end of the run)",
    )
    args = p.parse_args(argv)
    if args.mel_aug and (args.level_channel or args.vtlp_p):
        p.error("--mel-aug builds normalised log-mel only: leave out --level-channel and --vtlp-p")
    if args.tempo_p and not args.mel_aug:
        p.error("--tempo-p stretches mel frames: it needs --mel-aug")
    if args.teacher is not None and not args.mel_aug:
        p.error("--teacher hears clean twins of the mel-domain examples: it needs --mel-aug")
    if args.teacher is not None and not args.teacher.is_file():
        p.error(f"--teacher {args.teacher}: no such weights file (from_tflite.py writes one from a .tflite)")
    global PARAMS
    PARAMS = FeatureParams(level_channel=args.level_channel)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    work = args.work or args.data / "run"
    work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)  # before hours of training, not at the export
    train, valid = load(args.data)
    log.info("train %d utterances, valid %d", len(train), len(valid))
    if args.export_only:
        return export_saved(args, train, valid, work)
    batch_queue, workers = start_workers(train, args)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.random.set_seed(args.seed)
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    valid_real = [v for v in valid if v[3] == "digit_cdsr"]
    valid_cmd = [v for v in valid if v[3] != "digit_cdsr"]
    model = build_model(args.channels, args.blocks, args.kernel, args.bn_momentum, args.dropout, args.context)
    log.info("model parameters: %d", model.count_params())
    if args.init:
        init_weights(model, args.init, args)
        log.info("continuing from %s", args.init)
    opt = tf.keras.optimizers.Adam(args.lr)
    # Weight averaging smooths the epoch-to-epoch swings of a small model trained on few speakers.
    ema = Averager(model, args.ema) if args.ema > 0 else None

    teacher = None
    if args.teacher is not None:
        teacher = build_model(args.channels, args.blocks, args.kernel, args.bn_momentum)
        teacher.load_weights(str(args.teacher))
        teacher.trainable = False
        log.info("teacher %s hears the clean twins (KD weight %.2f)", args.teacher, args.kd_weight)

    @tf.function(reduce_retracing=True)
    def step(x, xl, y, yl, x_clean=None, has_twin=None):  # type: ignore[no-untyped-def]
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = tf.reduce_mean(
                tf.nn.ctc_loss(y, logits, yl, (xl + 3) // 4, logits_time_major=False, blank_index=0)
            )
            if teacher is not None:
                target = tf.nn.softmax(teacher(x_clean, training=False))
                kl = tf.reduce_sum(target * (tf.math.log(target + 1e-8) - tf.nn.log_softmax(logits)), axis=-1)
                frames = tf.sequence_mask((xl + 3) // 4, tf.shape(logits)[1], dtype=kl.dtype)
                per_utt = tf.reduce_sum(kl * frames, axis=1) * has_twin
                loss += args.kd_weight * tf.reduce_mean(per_utt)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        if ema is not None:
            ema.update()
        return loss

    budget = args.minutes * 60.0
    t0 = time.time()
    history: list[dict] = []
    best = (9.0, 0)
    epoch = 0
    while time.time() - t0 < budget:
        epoch += 1
        losses = []
        waited = 0.0
        for _ in range(args.steps_per_epoch):
            frac = min(1.0, (time.time() - t0) / budget)
            done = (epoch - 1) * args.steps_per_epoch + len(losses) + 1
            warm = min(1.0, done / max(1, args.warmup_steps))
            opt.learning_rate.assign(args.lr * warm * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * frac))))
            t_wait = time.time()
            try:
                b = batch_queue.get(timeout=300)
            except queues.Empty:
                raise SystemExit("no training batch for 5 minutes: a batch worker died (see above)") from None
            waited += time.time() - t_wait
            losses.append(float(step(*[tf.constant(v) for v in b])))
        last = time.time() - t0 >= budget
        if epoch % args.score_every and not last:
            log.info("epoch %d %.1f min loss %.3f", epoch, (time.time() - t0) / 60, float(np.mean(losses)))
            continue
        with ema.swapped() if ema is not None else contextlib.nullcontext():
            clean = score(model, valid_real[::2], None)
            babble = score(model, valid_real[::6], "babble")
            cmd = score(model, valid_cmd[::3], None)
            objective = clean["der"] + babble["der"]
            if objective <= best[0]:
                best = (objective, epoch)
                model.save_weights(str(work / "best.weights.h5"))
            model.save_weights(str(work / "last.weights.h5"))
        rec = {
            "epoch": epoch,
            "minutes": round((time.time() - t0) / 60, 2),
            "loss": float(np.mean(losses)),
            "lr": float(opt.learning_rate.numpy()),
            "der_clean": clean["der"],
            "utt_acc": clean["utt_acc"],
            "der_babble10": babble["der"],
            "ter_cmd": cmd["ter"],
            "waited_for_batches_s": round(waited, 1),
        }
        history.append(rec)
        log.info(
            "epoch %d %.1f min loss %.3f der clean %.4f babble@10dB %.4f utt %.3f cmd TER %.3f "
            "(%.0f s waiting for batches)",
            epoch,
            rec["minutes"],
            rec["loss"],
            rec["der_clean"],
            rec["der_babble10"],
            rec["utt_acc"],
            rec["ter_cmd"],
            waited,
        )
        (work / "history.json").write_text(json.dumps(history, indent=1))
    for proc in workers:
        proc.terminate()
    log.info("best epoch %d (clean+babble DER %.4f); exporting the %s weights", best[1], best[0], args.export)
    model.load_weights(str(work / f"{args.export}.weights.h5"))
    model.save_weights(str(work / "final.weights.h5"))
    path = export(model, [t for t in train if t[3] == "digit_cdsr"], args.out, args.name, args.quant)
    write_manifest(args, path, train, valid, history, best[1] if args.export == "best" else epoch)
    log.info("wrote %s (%d bytes)", path, path.stat().st_size)
    return 0


def export_saved(args: argparse.Namespace, train: list, valid: list, work: Path) -> int:
    """``--export-only``: the .tflite and manifest of saved weights, as the end of a run writes them."""
    model = build_model(args.channels, args.blocks, args.kernel, args.bn_momentum, args.dropout, args.context)
    model.load_weights(str(args.export_only))
    history_file = work / "history.json"
    history = json.loads(history_file.read_text()) if history_file.exists() else []
    path = export(model, [t for t in train if t[3] == "digit_cdsr"], args.out, args.name, args.quant)
    write_manifest(args, path, train, valid, history, history[-1]["epoch"] if history else 0)
    log.info("wrote %s (%d bytes) from %s", path, path.stat().st_size, args.export_only)
    return 0


def write_manifest(
    args: argparse.Namespace, path: Path, train: list, valid: list, history: list, best_epoch: int
) -> None:
    data = path.read_bytes()
    summary = json.loads((args.data / "summary.json").read_text())
    manifest = {
        "name": args.name,
        "version": args.version,
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "engine": "litert",
        "lang": "id",
        "sample_rate": PARAMS.sample_rate,
        "features": {**PARAMS.to_dict(), "normalize": "per-utterance mean/variance per band"},
        "frame_stride": 4,
        "tokens": TOKENS,
        "blank": 0,
        "other_token": "<other>",
        "quantization": args.quant,
        "architecture": {
            "channels": args.channels,
            "blocks": args.blocks,
            "kernel": args.kernel,
            **({"context": args.context} if args.context else {}),
        },
        "training": {
            "corpora": [
                "INDspeech_DIGIT_CDSR (s-sakti/data_indsp_digit_cdsr)",
                "INDspeech_TELDIALOG_SVCSR (s-sakti/data_indsp_teldialog_svcsr)",
                "espeak-ng synthesis",
            ],
            "counts": summary["counts"],
            "speakers_train": summary["speakers_train"],
            "speakers_valid": summary["speakers_valid"],
            "reserved_excluded": "speaker ids with a second letter M..Z",
            "epochs": history[-1]["epoch"] if history else 0,
            "best_epoch": best_epoch,
            "exported": args.export,
            "minutes": history[-1]["minutes"] if history else 0,
            "augmentation": "4-talker babble (training speakers), synthetic fan/traffic noise, "
            f"SNR {args.snr[0]:g}..{args.snr[1]:g} dB on {args.noise_p:.0%} of real utterances "
            f"({args.babble_share:.0%} of it babble), "
            f"speed 0.88-1.12 on {args.speed_p:.0%}, "
            f"tempo {args.tempo[0]:g}-{args.tempo[1]:g} at the same pitch on {args.tempo_p:.0%}, "
            f"silence around the speech cut to 0.05-0.8 s on {args.trim_p:.0%}, "
            f"mel bands warped 0.9-1.1 on {args.vtlp_p:.0%}, "
            "synthetic room reverb, gain/clipping, SpecAugment",
            "recipe": {
                "lr": args.lr,
                "batch": args.batch,
                "digit_repeat": args.digit_repeat,
                "trim_p": args.trim_p,
                "vtlp_p": args.vtlp_p,
                "mel_aug": args.mel_aug,
                "exact_p": args.exact_p if args.mel_aug else 1.0,
                "tempo_p": args.tempo_p,
                "tempo": list(args.tempo),
                "dropout": args.dropout,
                "init": args.init.name if args.init else None,
                "level_channel": args.level_channel,
                "bn_momentum": args.bn_momentum,
                "weight_average_decay": args.ema,
                "seed": args.seed,
            },
        },
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
