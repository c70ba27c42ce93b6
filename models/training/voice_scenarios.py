"""The kiosk flow by voice with real recordings of the validation speakers.

    python models/training/voice_scenarios.py --data /work/data/speech --out /tmp/voice-scenarios --count 40

For each scenario it picks one validation speaker of INDspeech_DIGIT_CDSR (prepared by prepare.py; reserved
acceptance speakers are never in that split) and searches that speaker's recordings for a few whose digits, read
one after the other, make a valid NIK. The scenario taps to the NIK field, dictates the NIK with those real
recordings (``speak`` events: end-pointer, listener, the LiteRT model, exactly as the live kiosk), confirms by touch
(the corpora have no "ya"), and completes a KTP request by touch. It reports how many requests reached the queue
with the NIK the speaker said, and the digit errors per dictated group.

With ``--babble SNR`` each recording is put between 1 s of talk before and 1.5 s after, four other validation
speakers talking at once SNR dB below it for the whole time (as ``kiosk bench speech`` does for the live path);
with ``--hold`` too, each group is dictated with the talk button held from a little before the first word to
about the end of the last (hold to talk, reaction times as in the live-path benchmark).

Scenario files and copies of the recordings go to ``--out`` (outside the repository: the corpus licence forbids
re-publishing its audio). Nothing of the corpus is committed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.domain.validation import check_nik  # noqa: E402
from kiosk.speech.base import DIGIT_WORDS  # noqa: E402
from kiosk.speech.eval import edit_distance  # noqa: E402

TOUCH_TO_NIK = [{"tap": "start"}, {"choose": "lang:id"}, {"choose": "cat:ktp"}, {"choose": "svc:ktp_new"}]
TOUCH_AFTER_NIK = [
    {"tap": "ya"},
    {"keys": "3201011203150004"},
    {"tap": "ya"},
    {"tap": "lewati"},
    {"tap": "ya"},
    {"tap": "ya"},
]


def digit_recordings(data: Path) -> dict[str, list[tuple[Path, str]]]:
    """Validation speaker -> [(wav, digits)] of the connected-digit corpus."""
    by_speaker: dict[str, list[tuple[Path, str]]] = defaultdict(list)
    for line in (data / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["split"] != "valid" or row["corpus"] != "digit_cdsr":
            continue
        words = row["words"]
        if words and all(w in DIGIT_WORDS for w in words):
            by_speaker[row["speaker"]].append((data / row["path"], "".join(DIGIT_WORDS[w] for w in words)))
    return by_speaker


def find_nik(recordings: list[tuple[Path, str]], rng: random.Random, tries: int = 200_000):
    """Some of this speaker's recordings whose digits in order form a valid NIK, or None."""
    usable = [r for r in recordings if len(r[1]) <= 12]
    for _ in range(tries):
        order = rng.sample(usable, min(len(usable), 16))
        picked: list[tuple[Path, str]] = []
        digits = ""
        for rec in order:
            if len(digits) >= 16:
                break
            picked.append(rec)
            digits += rec[1]
        if len(digits) == 16 and check_nik(digits) is None:
            return picked, digits
    return None


def write_noisy(
    wav: Path, dest: Path, talkers: list[np.ndarray], snr_db: float, hold: bool, rng: np.random.Generator
) -> dict[str, object]:
    """``wav`` between talk before and after, the talkers ``snr_db`` below it, written to ``dest``; the
    scenario event that speaks it (with the talk button's press and release when ``hold``)."""
    from kiosk.speech import vad_bench
    from kiosk.speech.audio import load_wav, write_wav_16k

    rec = load_wav(wav).samples.astype(np.float64)
    noise = vad_bench.babble(talkers, -1, vad_bench.placed_length(rec), rng)
    write_wav_16k(dest, vad_bench.placed(rec, noise, snr_db, rng))
    if not hold:
        return {"speak": dest.name}
    press, release = vad_bench.hold_times(rec, rng)
    return {"speak": dest.name, "hold": [round(press, 3), round(release, 3)]}


def build(
    data: Path, out: Path, count: int, seed: int, babble_snr: float | None = None, hold: bool = False
) -> list[dict]:
    from kiosk.speech.audio import load_wav

    rng = random.Random(seed)
    noise_rng = np.random.default_rng(seed)
    speakers = digit_recordings(data)
    scenarios: list[dict] = []
    names = sorted(speakers)
    # every eighth recording of each speaker talks behind the others (loaded once)
    babble_talkers = {
        spk: [load_wav(w).samples.astype(np.float64) for w, _ in speakers[spk][::8]]
        for spk in (names if babble_snr is not None else [])
    }
    attempts = 0
    while len(scenarios) < count and attempts < count * 5:
        attempts += 1
        speaker = names[len(scenarios) % len(names)] if attempts <= count else rng.choice(names)
        found = find_nik(speakers[speaker], rng)
        if found is None:
            continue
        picked, nik = found
        folder = out / f"{len(scenarios):03d}-{speaker}"
        folder.mkdir(parents=True, exist_ok=True)
        speak = []
        talkers = [a for other in names if other != speaker for a in babble_talkers.get(other, [])]
        for n, (wav, _) in enumerate(picked):
            if babble_snr is None:
                shutil.copy(wav, folder / f"{n}.wav")
                speak.append({"speak": f"{n}.wav"})
            else:
                speak.append(write_noisy(wav, folder / f"{n}.wav", talkers, babble_snr, hold, noise_rng))
        scenario = {
            "name": f"NIK by voice, speaker {speaker}",
            "events": TOUCH_TO_NIK + speak + TOUCH_AFTER_NIK,
            "expect": {"screen": "ticket", "service_id": "ktp_new"},
        }
        (folder / "scenario.json").write_text(json.dumps(scenario, indent=1))
        scenarios.append({"dir": folder, "speaker": speaker, "nik": nik, "groups": [d for _, d in picked]})
    return scenarios


def run(scenarios: list[dict]) -> dict:
    from kiosk import compose
    from kiosk.config import load_settings
    from kiosk.session import KioskSession
    from kiosk.simulate import RecordingQueue, load_scenario, run_scenario, speech_hearer

    data_dir = Path(tempfile.mkdtemp(prefix="voice-scenarios-"))
    settings = load_settings(env={"KIOSK_DATA_DIR": str(data_dir)})
    flow = compose.flow(settings)
    hear = speech_hearer(settings)
    results = []
    for n, sc in enumerate(scenarios, start=1):
        heard: list[str] = []

        def recording_hear(path: Path, state, holds, _hear=hear, _heard=heard) -> str:  # type: ignore[no-untyped-def]
            text = _hear(path, state, holds)
            _heard.append("".join(DIGIT_WORDS.get(w, "") for w in text.split()))
            return text

        session = KioskSession(flow, RecordingQueue(compose.open_queue(settings)))
        scenario = load_scenario(sc["dir"] / "scenario.json")
        try:
            result = run_scenario(flow, session, scenario, sc["dir"], recording_hear)
            got = (result["request"] or {}).get("fields", {}).get("nik")
        except Exception as exc:  # a misheard group can leave the flow on another screen: count it, go on
            got, result = None, {"screen": f"error: {exc}"}
        errors = sum(edit_distance(ref, hyp) for ref, hyp in zip(sc["groups"], heard, strict=False))
        results.append(
            {
                "speaker": sc["speaker"],
                "nik_ok": got == sc["nik"],
                "screen": result["screen"],
                "digit_errors": errors,
                "digits": len(sc["nik"]),
            }
        )
        print(f"\r  {n}/{len(scenarios)} scenarios", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    total_digits = sum(r["digits"] for r in results)
    return {
        "scenarios": len(results),
        "speakers": sorted({r["speaker"] for r in results}),
        "requests_with_the_spoken_nik": sum(r["nik_ok"] for r in results),
        "digit_error_rate": round(sum(r["digit_errors"] for r in results) / max(1, total_digits), 4),
        "results": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, type=Path, help="the prepared corpus (prepare.py --out)")
    parser.add_argument("--out", required=True, type=Path, help="scenario folder, outside the repository")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--babble",
        type=float,
        metavar="SNR",
        help="four other speakers talking this many dB below each group",
    )
    parser.add_argument(
        "--hold", action="store_true", help="dictate with the talk button held (hold to talk)"
    )
    args = parser.parse_args()
    if args.hold and args.babble is None:
        parser.error(
            "--hold goes with --babble SNR (in a quiet room the clean recordings are used as they are)"
        )
    if ROOT in args.out.resolve().parents or args.out.resolve() == ROOT:
        parser.error("--out must be outside the repository (the corpus audio may not be re-published)")
    scenarios = build(args.data, args.out, args.count, args.seed, args.babble, args.hold)
    if not scenarios:
        print("no validation speaker has recordings that make a valid NIK; check --data", file=sys.stderr)
        return 1
    report = run(scenarios)
    print(json.dumps({k: v for k, v in report.items() if k != "results"}, indent=1))
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
