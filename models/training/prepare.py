"""Prepare training data for the Indonesian digit/command model from local copies of the INDspeech corpora.

Reads the two corpora straight from bare git mirrors (no work tree needed)::

    python models/training/prepare.py --corpus-dir /work/.mirror --out /work/data/speech

``--corpus-dir`` holds ``s-sakti+data_indsp_digit_cdsr/repo`` and ``s-sakti+data_indsp_teldialog_svcsr/repo``
(bare git directories) or plain checkouts ``data_indsp_digit_cdsr/`` and ``data_indsp_teldialog_svcsr/``.
Archives missing from the copy are skipped and listed in ``summary.json``.

Writes under ``--out`` (never inside a repository: the corpora are CC BY-NC, no re-publishing):

- ``wav/<corpus>/<SPK>/<name>.wav`` 16 kHz mono int16, and ``manifest.jsonl``: one line per utterance with
  ``path``, ``corpus``, ``speaker``, ``split`` (train/valid), ``words`` (lower case);
- ``synth/`` espeak-ng renderings of digits and command words (ya, ulang, kembali, batal ... that no corpus
  holds), many voices, speeds and pitches, listed in the same manifest with corpus ``synth``;
- ``summary.json``: counts, speaker lists, missing archives.

Reserved speakers (second letter of the id from M to Z) are dropped here: they never reach training or
validation.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import wave
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from layanan.domain.words import COMMANDS, DIGITS

log = logging.getLogger("prepare")

DIGIT_CORPUS = "digit_cdsr"
DIALOG_CORPUS = "teldialog_svcsr"
CORPORA = {DIGIT_CORPUS: "data_indsp_digit_cdsr", DIALOG_CORPUS: "data_indsp_teldialog_svcsr"}

SYNTH_WORDS = [*DIGITS, *COMMANDS]
DIGITS = ("nol", "kosong", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


def is_reserved(speaker_id: str) -> bool:
    """True when the speaker is reserved for acceptance: the id's second letter is M..Z (FOC, MSA).

    Raises ValueError for anything that is not a three-letter speaker id, so a typo cannot slip through.
    """
    if len(speaker_id) != 3 or not speaker_id.isalpha() or not speaker_id.isascii():
        raise ValueError(f"speaker id must be three letters like 'FAL', got {speaker_id!r}")
    return "M" <= speaker_id[1].upper() <= "Z"


def validation_speakers(speakers: list[str], every: int = 5) -> set[str]:
    """Deterministic by-speaker split: every ``every``-th speaker of each gender (sorted) is held out."""
    out: set[str] = set()
    for gender in ("F", "M"):
        group = sorted(s for s in speakers if s.startswith(gender))
        out.update(group[every // 2 :: every])
    return out


@dataclass(frozen=True)
class Utterance:
    path: str
    corpus: str
    speaker: str
    split: str
    words: list[str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Utterance:
        return cls(**json.loads(line))


class Source:
    """Read files from a bare git mirror (``git show HEAD:path``) or from a plain directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bare = (root / "HEAD").exists() and (root / "objects").exists()

    def list(self) -> list[str]:
        if self.bare:
            out = subprocess.run(
                ["git", f"--git-dir={self.root}", "ls-tree", "-r", "--name-only", "HEAD"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            return out.split()
        return [str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file()]

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when this copy lacks it (missing large archive)."""
        if self.bare:
            res = subprocess.run(
                ["git", f"--git-dir={self.root}", "show", f"HEAD:{path}"], capture_output=True
            )
            return res.stdout if res.returncode == 0 and res.stdout else None
        p = self.root / path
        data = p.read_bytes() if p.exists() else b""
        return data or None


def find_source(corpus_dir: Path, name: str) -> Source:
    for cand in (corpus_dir / f"s-sakti+{name}" / "repo", corpus_dir / name, corpus_dir / f"s-sakti+{name}"):
        if (cand / "HEAD").exists() or (cand / "README.md").exists():
            return Source(cand)
    raise SystemExit(f"corpus {name} not found under {corpus_dir}: clone github.com/s-sakti/{name} there")


def parse_marked_words(text: str) -> list[list[str]]:
    """``|S|`` word lines ``|E|`` blocks (both corpora's transcript format) to lists of lower-case words."""
    out: list[list[str]] = []
    for block in text.replace("\r", "").split("|S|")[1:]:
        words = block.split("|E|")[0].split()
        out.append([w.lower() for w in words])
    return out


def unzip_texts(blob: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {Path(n).stem: z.read(n).decode("latin-1") for n in z.namelist() if not n.endswith("/")}


def unzip_wavs(blob: bytes) -> Iterator[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            for n in z.namelist():
                if n.lower().endswith(".wav"):
                    yield Path(n).stem, z.read(n)
    except zipfile.BadZipFile:
        return


def check_wav(data: bytes) -> bool:
    try:
        with wave.open(io.BytesIO(data)) as w:
            return w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
    except (wave.Error, EOFError):
        return False


def extract_corpus(src: Source, corpus: str, out: Path, summary: dict) -> list[tuple[str, str, list[str]]]:
    """Extract non-reserved speakers' WAVs; returns (path, speaker, words) and records what was missing."""
    files = src.list()
    zips = sorted(f for f in files if f.startswith("speech/") and f.endswith(".zip"))
    dialog_text: dict[str, list[str]] = {}
    if corpus == DIALOG_CORPUS:
        blob = src.read("text/text.zip")
        if blob is None:
            raise SystemExit("teldialog text/text.zip missing: cannot label the dialog corpus")
        for stem, txt in unzip_texts(blob).items():
            blocks = parse_marked_words(txt)
            if blocks:
                dialog_text[stem] = blocks[0]
    rows: list[tuple[str, str, list[str]]] = []
    missing, reserved = [], set()
    for z in zips:
        spk = Path(z).stem
        if is_reserved(spk):
            reserved.add(spk)
            continue
        blob = src.read(z)
        if blob is None:
            missing.append(z)
            continue
        texts: dict[str, str] = {}
        if corpus == DIGIT_CORPUS:
            tblob = src.read("text/" + z[len("speech/") :])
            if tblob is None:
                missing.append("text/" + z[len("speech/") :])
                continue
            texts = unzip_texts(tblob)
        dest = out / "wav" / corpus / spk
        dest.mkdir(parents=True, exist_ok=True)
        for stem, data in unzip_wavs(blob):
            if corpus == DIGIT_CORPUS:
                blocks = parse_marked_words(texts.get(stem, ""))
                words = blocks[0] if blocks else None
            else:
                words = dialog_text.get(stem.split("_")[-1])
            if not words or not check_wav(data):
                continue
            subset = Path(z).parent.name  # test1..test4 reuse file names
            path = dest / f"{subset}_{stem}.wav"
            path.write_bytes(data)
            rows.append((str(path.relative_to(out)), spk, words))
        log.info("%s %s: %d utterances so far", corpus, z, len(rows))
    summary[corpus] = {
        "archives_listed": len(zips),
        "archives_missing_in_copy": missing,
        "reserved_speakers_skipped": sorted(reserved),
    }
    return rows


def espeak_voices() -> list[str]:
    base = ["id"]
    variants = (
        [f"m{i}" for i in range(1, 8)]
        + [f"f{i}" for i in range(1, 5)]
        + ["klatt", "klatt2", "croak", "whisper", "Andy", "Annie"]
    )
    return base + [f"id+{v}" for v in variants]


def synthesize(out: Path, n_per_voice: int, seed: int) -> list[Utterance]:
    """espeak-ng renderings: single words (commands weighted up) and short digit/command sequences."""
    rng = random.Random(seed)
    dest = out / "synth"
    dest.mkdir(parents=True, exist_ok=True)
    rows: list[Utterance] = []
    voices = espeak_voices()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        for vi, voice in enumerate(voices):
            # Hold out two voices for a synthetic validation set of the command words.
            split = "valid" if voice in ("id+m3", "id+f2") else "train"
            for k in range(n_per_voice):
                r = rng.random()
                if r < 0.45:
                    words = [rng.choice(COMMANDS)]
                elif r < 0.6:
                    words = [rng.choice(SYNTH_WORDS)]
                elif r < 0.8:
                    words = [rng.choice(DIGITS) for _ in range(rng.randint(2, 7))]
                else:
                    words = [rng.choice(SYNTH_WORDS) for _ in range(rng.randint(2, 4))]
                speed = rng.randint(110, 190)
                pitch = rng.randint(20, 80)
                gap = rng.randint(0, 12)
                name = f"S{vi:02d}_{k:04d}"
                path = dest / f"{name}.wav"
                cmd = [
                    "espeak-ng",
                    "-v",
                    voice,
                    "-s",
                    str(speed),
                    "-p",
                    str(pitch),
                    "-g",
                    str(gap),
                    "-w",
                    str(raw),
                    " ".join(words),
                ]
                if subprocess.run(cmd, capture_output=True).returncode != 0:
                    continue
                subprocess.run(
                    ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)],
                    check=True,
                    capture_output=True,
                )
                rows.append(Utterance(str(path.relative_to(out)), "synth", f"syn-{voice}", split, words))
            log.info("synth voice %s: %d utterances so far", voice, len(rows))
    return rows


def _derive(src: Path, out: Path) -> tuple[list[Utterance], dict]:
    """Start a data folder made from the prepared folder ``src``: its manifest rows and summary, and ``out``
    with src's audio folders linked, not copied."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("wav", "synth"):
        if not (out / name).exists():
            (out / name).symlink_to((src / name).resolve())
    rows = [Utterance.from_json(line) for line in (src / "manifest.jsonl").read_text().splitlines()]
    return rows, json.loads((src / "summary.json").read_text())


def _write_derived(out: Path, rows: list[Utterance], summary: dict) -> None:
    with (out / "manifest.jsonl").open("w") as f:
        for u in rows:
            f.write(u.to_json() + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=1))


def dev_split(src: Path, out: Path, n_speakers: int) -> dict:
    """A copy of ``src``'s manifest for comparing training recipes without the validation speakers: they are
    dropped entirely, and ``n_speakers`` training speakers of the digit corpus (every k-th, each gender) are
    held out as ``valid`` instead. The audio is linked, not copied."""
    rows, summary = _derive(src, out)
    kept = [u for u in rows if u.split == "train" or u.corpus == "synth"]
    digit = sorted({u.speaker for u in kept if u.corpus == DIGIT_CORPUS})
    dev = validation_speakers(digit, every=max(2, len(digit) // max(1, n_speakers)))
    split = [
        Utterance(
            u.path,
            u.corpus,
            u.speaker,
            "valid" if u.corpus != "synth" and u.speaker in dev else u.split,
            u.words,
        )
        for u in kept
    ]
    summary["speakers_train"] = sorted(set(summary["speakers_train"]) - dev)
    summary["speakers_valid"] = sorted(dev)
    summary["dev_split_of"] = str(src)
    _write_derived(out, split, summary)
    log.info("dev split: %d held-out training speakers %s", len(dev), sorted(dev))
    return summary


def fast_copies(src: Path, out: Path, ranges: Sequence[tuple[float, float]], seed: int) -> dict:
    """A copy of ``src``'s manifest plus, for every connected-digit training utterance, one copy of it per
    range in ``ranges``, made ``low``..``high`` times as fast with WSOLA (``sox tempo -s``: pitch and formants
    kept). No training speaker talks as fast as the fastest validation speakers (3.5 words a second against at
    most 3.1, and single utterances of 4.4), and slowing those down before decoding helps when their rate is
    known: this teaches the model fast speech instead. Validation and reserved speakers are untouched; the
    copies keep their speaker's id, so babble for them still comes from other speakers."""
    rows, summary = _derive(src, out)
    rng = random.Random(seed)
    originals = [u for u in rows if u.corpus == DIGIT_CORPUS and u.split == "train"]
    # One range after the other, so that the first range draws the same factors as with one range alone.
    todo = [(u, round(rng.uniform(low, high), 3)) for low, high in ranges for u in originals]

    def stretch(job: tuple[Utterance, float]) -> Utterance:
        u, factor = job
        rel = Path("fast") / u.speaker / f"{Path(u.path).stem}_x{factor}.wav"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        if not (out / rel).exists():
            tmp = (out / rel).with_suffix(f".{threading.get_ident()}.part.wav")
            subprocess.run(["sox", str(src / u.path), str(tmp), "tempo", "-s", str(factor)], check=True)
            tmp.replace(out / rel)
        return Utterance(str(rel), u.corpus, u.speaker, "train", u.words)

    made: dict[str, Utterance] = {}  # two ranges meeting at a bound may draw one factor twice: one copy
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for i, u in enumerate(pool.map(stretch, todo), 1):
            made[u.path] = u
            if i % 500 == 0 or i == len(todo):
                log.info("fast copies: %d of %d", i, len(todo))
    summary["fast_copies_of"] = str(src)
    summary["fast_copies"] = {"count": len(made), "factors": [list(r) for r in ranges], "seed": seed}
    _write_derived(out, rows + list(made.values()), summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus-dir", type=Path, help="folder holding the two corpus mirrors")
    p.add_argument("--out", type=Path, required=True, help="output folder, outside every repository")
    p.add_argument("--synth-per-voice", type=int, default=220, help="espeak-ng utterances per voice")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--dev-split",
        type=Path,
        metavar="PREPARED",
        help="instead of extracting: write to --out a copy of this prepared folder's manifest in which "
        "training speakers are held out and the validation speakers left out (for comparing recipes)",
    )
    p.add_argument("--dev-speakers", type=int, default=10, help="how many, with --dev-split")
    p.add_argument(
        "--fast-copies",
        type=Path,
        metavar="PREPARED",
        help="instead of extracting: write to --out this prepared folder's manifest plus a faster copy "
        "(WSOLA, --fast-factor) of every connected-digit training utterance",
    )
    p.add_argument(
        "--fast-factor",
        type=float,
        nargs=2,
        action="append",
        metavar=("LOW", "HIGH"),
        help="how much faster a copy is; give it twice for two copies of each utterance (default 1.15 1.4)",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.dev_split:
        dev_split(args.dev_split, args.out, args.dev_speakers)
        return 0
    if args.fast_copies:
        ranges = [(low, high) for low, high in args.fast_factor or [(1.15, 1.4)]]
        fast_copies(args.fast_copies, args.out, ranges, seed=args.seed)
        return 0
    if args.corpus_dir is None:
        p.error("--corpus-dir is required (or --dev-split or --fast-copies)")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {}
    extracted: dict[str, list[tuple[str, str, list[str]]]] = {}
    for corpus, name in CORPORA.items():
        extracted[corpus] = extract_corpus(find_source(args.corpus_dir, name), corpus, out, summary)
    speakers = sorted({spk for rows in extracted.values() for _, spk, _ in rows})
    digit_speakers = sorted({spk for _, spk, _ in extracted[DIGIT_CORPUS]})
    valid = validation_speakers(digit_speakers)
    # A dialog speaker with the same id as a validation digit speaker is kept out of training too.
    utts: list[Utterance] = []
    for corpus, rows in extracted.items():
        for path, spk, words in rows:
            utts.append(Utterance(path, corpus, spk, "valid" if spk in valid else "train", words))
    utts += synthesize(out, args.synth_per_voice, args.seed)
    assert not any(u.corpus != "synth" and is_reserved(u.speaker) for u in utts)
    with (out / "manifest.jsonl").open("w") as f:
        for u in utts:
            f.write(u.to_json() + "\n")
    summary["speakers_train"] = sorted(set(speakers) - valid)
    summary["speakers_valid"] = sorted(valid)
    summary["counts"] = {
        f"{c}/{s}": sum(1 for u in utts if u.corpus == c and u.split == s)
        for c in (*CORPORA, "synth")
        for s in ("train", "valid")
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    log.info("wrote %d utterances; counts %s", len(utts), summary["counts"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
