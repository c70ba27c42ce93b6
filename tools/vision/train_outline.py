"""Train the document-mask model (``models/document_mask.tflite``) on the tuning families; export int8 LiteRT.

Needs the ``train`` extra (TensorFlow); run it with the data from outline_data.py:

    python -m tools.vision.outline_data /tmp/a.npz --scenes 3000
    python -m tools.vision.outline_data /tmp/b.npz --scenes 3000 --start 3000
    python tools/vision/train_outline.py /tmp/a.npz /tmp/b.npz --out models/document_mask.tflite --minutes 15

The network: a 160x128 colour frame in (uint8), a 80x64 mask of the document out (uint8, 255 = document): a
small encoder (strided convolutions down to 10x8, separable convolutions) and a decoder with skip connections.
The training loss is binary cross-entropy plus soft Dice; frames are flipped and their colours (hue, saturation,
brightness, contrast) jittered, so the surfaces' colours of the tuning families are not learned by heart. The
int8 ranges come from training frames. The last 10 % of the data is validation (tuning families, other scenes).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

INPUT_SIZE = (160, 128)
MASK_SIZE = (80, 64)


def build() -> tf.keras.Model:
    layers = tf.keras.layers

    def sep(x, ch, stride=1, dilation=1):
        x = layers.DepthwiseConv2D(3, stride, "same", dilation_rate=dilation, use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU(6.0)(x)
        x = layers.Conv2D(ch, 1, use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.ReLU(6.0)(x)

    inp = layers.Input((INPUT_SIZE[1], INPUT_SIZE[0], 3), dtype="float32")
    x = layers.Rescaling(1 / 255.0)(inp)
    x = layers.Conv2D(16, 3, 2, "same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    c1 = layers.ReLU(6.0)(x)  # 64x80
    c2 = sep(sep(c1, 32, 2), 32)  # 32x40
    c3 = sep(sep(c2, 48, 2), 48)  # 16x20
    c4 = sep(c3, 64, 2)  # 8x10
    c4 = sep(c4, 64, dilation=2)
    c4 = sep(c4, 64, dilation=2)
    u = layers.UpSampling2D(interpolation="bilinear")(c4)
    u = sep(layers.Concatenate()([u, c3]), 48)
    u = layers.UpSampling2D(interpolation="bilinear")(u)
    u = sep(layers.Concatenate()([u, c2]), 32)
    u = layers.UpSampling2D(interpolation="bilinear")(u)
    u = sep(layers.Concatenate()([u, c1]), 16)
    out = layers.Conv2D(1, 1, activation="sigmoid")(u)
    return tf.keras.Model(inp, out)


def augment(x, y):
    flip_h = tf.random.uniform(()) < 0.5
    flip_v = tf.random.uniform(()) < 0.5
    x = tf.cond(flip_h, lambda: tf.image.flip_left_right(x), lambda: x)
    y = tf.cond(flip_h, lambda: tf.image.flip_left_right(y), lambda: y)
    x = tf.cond(flip_v, lambda: tf.image.flip_up_down(x), lambda: x)
    y = tf.cond(flip_v, lambda: tf.image.flip_up_down(y), lambda: y)
    x = x / 255.0
    x = tf.image.random_hue(x, 0.5)
    x = tf.image.random_saturation(x, 0.4, 1.6)
    x = tf.image.random_brightness(x, 0.15)
    x = tf.image.random_contrast(x, 0.6, 1.4)
    x = tf.image.rgb_to_grayscale(x) * tf.ones_like(x) if tf.random.uniform(()) < 0.05 else x
    x = x + tf.random.normal(tf.shape(x), 0, tf.random.uniform((), 0, 0.03))
    return tf.clip_by_value(x, 0, 1) * 255.0, y


def loss(y, p):
    bce = tf.keras.losses.binary_crossentropy(y, p)
    inter = tf.reduce_sum(y * p, axis=[1, 2, 3])
    dice = 1 - (2 * inter + 1) / (tf.reduce_sum(y + p, axis=[1, 2, 3]) + 1)
    return tf.reduce_mean(bce) + tf.reduce_mean(dice)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--minutes", type=float, default=15.0, help="stop training after this long")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tf.random.set_seed(args.seed)
    parts = [np.load(p) for p in args.data]
    x = np.concatenate([p["x"] for p in parts]).astype(np.float32)
    y = (np.concatenate([p["y"] for p in parts]).astype(np.float32) / 255.0)[..., None]
    n_val = len(x) // 10
    xt, yt, xv, yv = x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
    train = (
        tf.data.Dataset.from_tensor_slices((xt, yt))
        .shuffle(len(xt), seed=args.seed)
        .map(augment, num_parallel_calls=2)
        .batch(args.batch)
        .prefetch(2)
    )
    val = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(64)
    model = build()
    steps = args.epochs * (len(xt) // args.batch + 1)
    lr = tf.keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.05)
    model.compile(
        tf.keras.optimizers.Adam(lr), loss, metrics=[tf.keras.metrics.BinaryIoU(target_class_ids=[1])]
    )
    began = time.time()

    class Budget(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if time.time() - began > args.minutes * 60:
                self.model.stop_training = True

    hist = model.fit(train, validation_data=val, epochs=args.epochs, callbacks=[Budget()], verbose=2)
    minutes = (time.time() - began) / 60

    def representative():
        for i in range(0, min(len(xt), 400), 4):
            yield [xt[i : i + 1]]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.uint8
    conv.inference_output_type = tf.uint8
    Path(args.out).write_bytes(conv.convert())
    report = {
        "scenes": len(x),
        "validation_scenes": n_val,
        "epochs": len(hist.history["loss"]),
        "minutes": round(minutes, 1),
        "parameters": int(model.count_params()),
        "val_iou": [round(float(v), 4) for v in hist.history["val_binary_io_u"]],
        "bytes": Path(args.out).stat().st_size,
    }
    Path(args.out).with_suffix(".train.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
