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
        ax1.set_ylabel("loss")
        ax2 = ax1.twinx()
        ax2.plot(ep, [100 * r["der_clean"] for r in h], color="tab:green", label="DER clean")
        ax2.plot(ep, [100 * r["der_babble10"] for r in h], color="tab:red", label="DER babble 10 dB")
        ax2.set_ylabel("validation DER (%)")
        ax2.set_ylim(0, 30)
        fig.legend(loc="upper right", fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "digits-id-training.png")
    return curves


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="prepare.py output folder")
    p.add_argument("--model", type=Path, default=ROOT / "models" / "digits-id.tflite")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=None, help="score at most this many utterances")
    p.add_argument("--snr", type=float, default=10.0)
    p.add_argument("--plots", type=Path, default=None, help="write the model card PNGs into this folder")
    p.add_argument("--history", type=Path, default=None, help="train.py history.json for the training plot")
    args = p.parse_args(argv)
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
