"""Evaluate a LiteRT speech model on the validation speakers prepared by prepare.py.

    python models/training/evaluate.py --data /work/data/speech --model models/digits-id.tflite --json
    python models/training/evaluate.py --data /work/data/speech --model models/digits-id.tflite \
        --plots models --history /work/data/run1/history.json

Prints digit error rate clean and at 10 dB SNR (four-talker babble; fan/traffic-like noise), whole-utterance
accuracy, real-time factor on one thread, model size and peak memory. The work is done by
kiosk.speech.eval.evaluate (numpy + LiteRT only), which ``kiosk bench speech`` calls too. ``--plots`` writes
the model card's PNGs (training curves from --history, DER by SNR); that part needs matplotlib.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.speech.eval import der_by_snr, evaluate  # noqa: E402


def plots(model: Path, data: Path, out: Path, history: Path | None) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = der_by_snr(model, data)
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=90)
    for kind, points in curves.items():
        ax.plot(list(points), [100 * v for v in points.values()], marker="o", label=kind.replace("_", "/"))
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel("digit error rate (%)")
    ax.set_title("DER by SNR, validation speakers")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "digits-id-der-by-snr.png")
    if history and history.is_file():
        h = json.loads(history.read_text())
        fig, ax1 = plt.subplots(figsize=(5, 3.2), dpi=90)
        ep = [r["epoch"] for r in h]
        ax1.plot(ep, [r["loss"] for r in h], color="tab:gray", label="CTC loss (augmented train)")
        ax1.set_xlabel("epoch (150 steps)")
        ax1.set_ylabel("loss (log scale)")
        ax1.set_yscale("log")
        ax2 = ax1.twinx()
        ax2.plot(ep, [100 * r["der_clean"] for r in h], color="tab:green", label="DER clean")
        ax2.plot(ep, [100 * r["der_babble10"] for r in h], color="tab:red", label="DER babble 10 dB")
        ax2.set_ylabel("validation DER (%)")
        ax2.set_ylim(0, 30)
        fig.legend(loc="upper right", fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "digits-id-training.png")
    return curves


def update_manifest(manifest: Path, **fields: object) -> None:
    """Write decoder settings chosen here into the model's manifest, keeping everything else."""
    doc = json.loads(manifest.read_text())
    doc.update(fields)
    manifest.write_text(json.dumps(doc, indent=1) + "\n")


def tune_blank_penalty(model: Path, data: Path, manifest: Path, n: int = 160) -> dict:
    """Choose the decoder blank penalty on TRAINING speakers (clean, 10 dB babble); never on validation."""
    import dataclasses

    import numpy as np

    from kiosk.speech import augment
    from kiosk.speech.eval import _read, digits_of, edit_distance
    from kiosk.speech.litert import LiteRTRecognizer, ModelManifest

    rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["split"] == "train" and r["corpus"] == "digit_cdsr"]
    train = train[:: max(1, len(train) // n)][:n]
    rng = np.random.default_rng(4)
    clips = []
    for r in train:
        x = _read(data / r["path"]).astype(np.float32) / 32768
        others = [o for o in train if o["speaker"] != r["speaker"]]
        picks = [_read(data / others[int(rng.integers(len(others)))]["path"]) / 32768 for _ in range(4)]
        noisy = augment.mix_at_snr(x, augment.babble(picks, len(x), rng), 10.0)
        clips += [
            (augment.to_int16(x), r["words"]),
            (augment.to_int16(noisy * 0.5 / np.abs(noisy).max()), r["words"]),
        ]
    base = ModelManifest.load(manifest)
    scores = {}
    for pen in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0):
        rec = LiteRTRecognizer(model, dataclasses.replace(base, blank_penalty=pen))
        err = sum(edit_distance(digits_of(w), rec.recognize(x).digits) for x, w in clips)
        scores[pen] = err / sum(len(digits_of(w)) for _, w in clips)
        print(f"blank penalty {pen}: DER on training speakers {scores[pen]:.4f}", file=sys.stderr)
    best = min(scores, key=lambda k: scores[k])
    update_manifest(manifest, blank_penalty=best)
    return {"blank_penalty": best, "der_by_penalty_training_speakers": scores}


def tune_padding(model: Path, data: Path, manifest: Path, n: int = 300) -> dict:
    """Choose the room tone put around each utterance (``pad_lead_s``/``pad_tail_s``) on TRAINING speakers,
    through the kiosk's live path exactly as ``kiosk bench speech`` measures it (``vad_bench.live_path``: each
    recording between room tone, end-pointed by the ``Listener``, every utterance decoded). Ties go to the
    least padding."""
    import dataclasses

    from kiosk.speech.eval import load_validation
    from kiosk.speech.litert import LiteRTRecognizer, ModelManifest
    from kiosk.speech.vad_bench import live_path

    items = load_validation(data, split="train")
    items = [(audio, words) for audio, words, _ in items[:: max(1, len(items) // n)][:n]]
    base = ModelManifest.load(manifest)
    scores = {}
    for lead, tail in ((0.0, 0.0), (0.3, 0.3), (0.6, 0.0), (0.6, 0.3), (0.6, 0.6), (1.0, 0.3), (1.0, 0.6)):
        rec = LiteRTRecognizer(model, dataclasses.replace(base, pad_lead_s=lead, pad_tail_s=tail))
        scores[(lead, tail)] = live_path(items, rec, None)["der_live_path"]
        print(
            f"padding {lead} s + {tail} s: live-path DER on training speakers {scores[(lead, tail)]:.4f}",
            file=sys.stderr,
        )
    lead, tail = min(scores, key=lambda k: (scores[k], k[0] + k[1]))
    update_manifest(manifest, pad_lead_s=lead, pad_tail_s=tail)
    return {
        "pad_lead_s": lead,
        "pad_tail_s": tail,
        "der_by_padding_training_speakers": {f"{a}+{b}": v for (a, b), v in scores.items()},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="prepare.py output folder")
    p.add_argument("--model", type=Path, default=ROOT / "models" / "digits-id.tflite")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=None, help="score at most this many utterances")
    p.add_argument("--snr", type=float, default=10.0)
    p.add_argument("--plots", type=Path, default=None, help="write the model card PNGs into this folder")
    p.add_argument("--history", type=Path, default=None, help="train.py history.json for the training plot")
    p.add_argument(
        "--tune-blank",
        action="store_true",
        help="choose the blank penalty on training speakers and write it into the manifest first",
    )
    p.add_argument(
        "--tune-pad",
        action="store_true",
        help="then choose the room tone around each utterance on training speakers (live path) and write it",
    )
    args = p.parse_args(argv)
    if args.tune_blank:
        print(json.dumps(tune_blank_penalty(args.model, args.data, args.model.with_name("manifest.json"))))
    if args.tune_pad:
        print(json.dumps(tune_padding(args.model, args.data, args.model.with_name("manifest.json"))))
    res = evaluate(
        args.model, args.data, snr_db=args.snr, limit=args.limit, progress=lambda m: print(m, file=sys.stderr)
    )
    if args.plots:
        res["der_by_snr"] = plots(args.model, args.data, args.plots, args.history)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            if k != "conditions":
                print(f"{k:28} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
