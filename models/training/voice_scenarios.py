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

With ``--correct N`` the citizen also listens to each group as the kiosk reads it back, and when it is wrong
says "ulang" (which drops the last group) and says the group again, up to N more times. There is no "ulang" from
a real speaker in either corpus, so "ulang" is a held-out espeak-ng voice of the synthesized validation set (id+m3
or id+f2), through the same room as the digits. A second take of a group is the same recording: in babble with
other talkers drawn again, in a quiet room unchanged (a real second take differs, so there the figure is a lower
bound). The report then counts the takes and the "ulang"s.

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
from typing import TYPE_CHECKING

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.speech.base import DIGIT_WORDS  # noqa: E402
from layanan.domain.validation import check_nik  # noqa: E402
from tools.speech.eval import edit_distance  # noqa: E402

if TYPE_CHECKING:
    from kiosk.session import KioskSession
    from kiosk.simulate import Hear

TOUCH_TO_NIK = [{"tap": "start"}, {"choose": "lang:id"}, {"choose": "cat:ktp"}, {"choose": "svc:ktp_new"}]
TOUCH_AFTER_NIK = [
    {"tap": "ya"},
    {"keys": "3201011203150004"},
    {"tap": "ya"},
    {"tap": "lewati"},
    {"tap": "ya"},
    {"tap": "ya"},
]


def ulang_recordings(data: Path) -> list[Path]:
    """The held-out synthesized voices saying "ulang" alone (no corpus has it from a real speaker)."""
    rows = (json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines())
    return [
        data / r["path"]
        for r in rows
        if r["corpus"] == "synth" and r["split"] == "valid" and r["words"] == ["ulang"]
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
    from kiosk.speech.audio import load_wav, write_wav_16k
    from tools.bench import vad as vad_bench

    rec = load_wav(wav).samples.astype(np.float64)
    noise = vad_bench.babble(talkers, -1, vad_bench.placed_length(rec), rng)
    write_wav_16k(dest, vad_bench.placed(rec, noise, snr_db, rng))
    if not hold:
        return {"speak": dest.name}
    press, release = vad_bench.hold_times(rec, rng)
    return {"speak": dest.name, "hold": [round(press, 3), round(release, 3)]}


def build(
    data: Path,
    out: Path,
    count: int,
    seed: int,
    babble_snr: float | None = None,
    hold: bool = False,
    retakes: int = 0,
) -> list[dict]:
    from kiosk.speech.audio import load_wav

    rng = random.Random(seed)
    noise_rng = np.random.default_rng(seed)
    extra_noise_rng = np.random.default_rng(seed + 1)
    speakers = digit_recordings(data)
    scenarios: list[dict] = []
    names = sorted(speakers)
    # every eighth recording of each speaker talks behind the others (loaded once)
    babble_talkers = {
        spk: [load_wav(w).samples.astype(np.float64) for w, _ in speakers[spk][::8]]
        for spk in (names if babble_snr is not None else [])
    }
    ulangs = ulang_recordings(data) if retakes else []
    # the extra takes and "ulang"s draw on their own: with or without --correct, the same NIKs and first takes
    ulang_rng = random.Random(seed + 1)
    if retakes and not ulangs:
        raise SystemExit(f"{data}: no synthesized validation 'ulang' to correct with; run prepare.py again")

    def spoken(
        wav: Path, dest: Path, talkers: list[np.ndarray], noise: np.random.Generator = noise_rng
    ) -> dict[str, object]:
        if babble_snr is None:
            shutil.copy(wav, dest)
            return {"speak": dest.name}
        return write_noisy(wav, dest, talkers, babble_snr, hold, noise)

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
        talkers = [a for other in names if other != speaker for a in babble_talkers.get(other, [])]
        speak = [spoken(wav, folder / f"{n}.wav", talkers) for n, (wav, _) in enumerate(picked)]
        # further takes of each group, and the "ulang"s said before them (used with --correct only)
        takes = [
            [speak[n]]
            + [
                spoken(wav, folder / f"{n}-take{t}.wav", talkers, extra_noise_rng)
                for t in range(1, retakes + 1)
            ]
            for n, (wav, _) in enumerate(picked)
        ]
        ulang = [
            spoken(ulang_rng.choice(ulangs), folder / f"ulang{u}.wav", talkers, extra_noise_rng)
            for u in range(2 * retakes * len(picked))
        ]
        scenario = {
            "name": f"NIK by voice, speaker {speaker}",
            "events": TOUCH_TO_NIK + speak + TOUCH_AFTER_NIK,
            "expect": {"screen": "ticket", "service_id": "ktp_new"},
        }
        (folder / "scenario.json").write_text(json.dumps(scenario, indent=1))
        scenarios.append(
            {
                "dir": folder,
                "speaker": speaker,
                "nik": nik,
                "groups": [d for _, d in picked],
                "takes": takes,
                "ulang": ulang,
            }
        )
    return scenarios


def dictate_with_corrections(session: KioskSession, sc: dict, hear: Hear) -> dict[str, int]:
    """Dictate ``sc``'s groups on the NIK screen as a citizen who listens to the read-back: after a wrong
    group, "ulang" until the entry is back where it was, then the next take of that group; after the last take
    the group stays as heard. Returns the counts."""
    from kiosk.simulate import play

    def say(event: dict) -> None:
        play(session, [event], sc["dir"], hear)

    ulangs = iter(sc["ulang"])
    counts = {"takes": 0, "ulang": 0, "ulang_misheard": 0}
    for group, takes in zip(sc["groups"], sc["takes"], strict=True):
        before = session.state.entry
        expected = before + group  # what the read-back should say, whatever an earlier group left
        for n, take in enumerate(takes, start=1):
            counts["takes"] += 1
            say(take)
            if session.state.entry == expected or n == len(takes):  # right, or no take left to try
                break
            while len(session.state.entry) > len(before):  # the wrong group is on screen: take it back
                event = next(ulangs, None)
                if event is None:
                    return counts
                state = session.state
                say(event)
                counts["ulang"] += 1
                dropped = state.entry[: -state.groups[-1]] if state.groups else state.entry
                counts["ulang_misheard"] += session.state.entry != dropped
    return counts


def run(scenarios: list[dict], correct: bool = False) -> dict:
    """Each scenario through the real flow and queue; with ``correct``, dictated as
    ``dictate_with_corrections`` does."""
    from kiosk import compose
    from kiosk.session import KioskSession
    from kiosk.simulate import RecordingQueue, load_scenario, play, result_of, run_scenario, speech_hearer
    from layanan.config import load_settings

    data_dir = Path(tempfile.mkdtemp(prefix="voice-scenarios-"))
    settings = load_settings(env={"KIOSK_DATA_DIR": str(data_dir)})
    flow = compose.flow(settings)
    hear = speech_hearer(settings)
    results = []
    for n, sc in enumerate(scenarios, start=1):
        heard: dict[str, str] = {}  # WAV name -> digits heard in it

        def recording_hear(path: Path, state, holds, _hear=hear, _heard=heard) -> str:  # type: ignore[no-untyped-def]
            text = _hear(path, state, holds)
            _heard[path.name] = "".join(DIGIT_WORDS.get(w, "") for w in text.split())
            return text

        session = KioskSession(flow, RecordingQueue(compose.open_queue(settings)))
        scenario = load_scenario(sc["dir"] / "scenario.json")
        counts: dict[str, int] = {}
        try:
            if correct:
                session.start()
                play(session, TOUCH_TO_NIK, sc["dir"], recording_hear)
                counts = dictate_with_corrections(session, sc, recording_hear)
                play(session, TOUCH_AFTER_NIK, sc["dir"], recording_hear)
                result = result_of(session)
            else:
                result = run_scenario(flow, session, scenario, sc["dir"], recording_hear)
            got = (result["request"] or {}).get("fields", {}).get("nik")
        except Exception as exc:  # a misheard group can leave the flow on another screen: count it, go on
            got, result = None, {"screen": f"error: {exc}"}
        # digit errors of each group's first take: the same figure with or without corrections
        first = [heard.get(f"{g}.wav", "") for g in range(len(sc["groups"]))]
        errors = sum(edit_distance(ref, hyp) for ref, hyp in zip(sc["groups"], first, strict=True))
        results.append(
            {
                "speaker": sc["speaker"],
                "nik_ok": got == sc["nik"],
                "screen": result["screen"],
                "digit_errors": errors,
                "digits": len(sc["nik"]),
                **counts,
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
        **(
            {
                "groups": sum(len(sc["groups"]) for sc in scenarios),
                "takes": sum(r.get("takes", 0) for r in results),
                "ulang_said": sum(r.get("ulang", 0) for r in results),
                "ulang_misheard": sum(r.get("ulang_misheard", 0) for r in results),
            }
            if correct
            else {}
        ),
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
    parser.add_argument(
        "--correct",
        type=int,
        default=0,
        metavar="N",
        help="after a wrong read-back the citizen says 'ulang' and the group again, up to N more times",
    )
    args = parser.parse_args()
    if args.hold and args.babble is None:
        parser.error(
            "--hold goes with --babble SNR (in a quiet room the clean recordings are used as they are)"
        )
    if ROOT in args.out.resolve().parents or args.out.resolve() == ROOT:
        parser.error("--out must be outside the repository (the corpus audio may not be re-published)")
    if args.correct < 0:
        parser.error(f"--correct is how many more takes a group may get (0 or more), not {args.correct}")
    scenarios = build(args.data, args.out, args.count, args.seed, args.babble, args.hold, args.correct)
    if not scenarios:
        print("no validation speaker has recordings that make a valid NIK; check --data", file=sys.stderr)
        return 1
    report = run(scenarios, correct=args.correct > 0)
    print(json.dumps({k: v for k, v in report.items() if k != "results"}, indent=1))
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
