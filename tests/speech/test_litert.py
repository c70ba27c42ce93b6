"""The committed LiteRT model through LiteRTRecognizer: loading, recognition, vocabulary masks, bad input."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.audio import AudioFormatError, check_pcm, read_wav_16k
from kiosk.speech.base import Transcript
from kiosk.speech.litert import LiteRTRecognizer, ModelError, ModelManifest, ctc_greedy, frame_levels

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "digits-id.tflite"
MANIFEST = ROOT / "models" / "manifest.json"

DIGITS = ["nol", "kosong", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
needs_espeak = pytest.mark.usefixtures("espeak_ng")


@pytest.fixture(scope="module")
def recognizer() -> LiteRTRecognizer:
    return LiteRTRecognizer(MODEL, MANIFEST)


def speak(text: str, tmp_path: Path, voice: str = "id+m3", speed: int = 140) -> np.ndarray:
    """Indonesian speech from espeak-ng (a voice variant held out of training), as 16 kHz mono int16."""
    out = tmp_path / f"{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True, timeout=30)
    return read_wav_16k(out)


def test_committed_model_matches_its_manifest_and_size_budget() -> None:
    manifest = json.loads(MANIFEST.read_text())
    assert manifest["file"] == MODEL.name
    assert manifest["size"] == MODEL.stat().st_size
    assert MODEL.stat().st_size < 500 * 1024
    assert manifest["engine"] == "litert" and manifest["lang"] == "id" and manifest["sample_rate"] == 16000
    assert {"nol", "kosong", "sembilan", "ya", "tidak", "ulang", "kembali", "batal", "bantuan"} <= set(
        manifest["tokens"]
    )


def test_silence_gives_empty_text(recognizer: LiteRTRecognizer) -> None:
    result = recognizer.recognize(np.zeros(32000, np.int16))
    assert result == Transcript(text="", engine="litert:digits-id", confidence=None)


def test_utterances_are_decoded_between_the_manifests_lead_in_and_tail() -> None:
    manifest = dataclasses.replace(ModelManifest.load(MANIFEST), pad_lead_s=0.3, pad_tail_s=0.2)
    rec = LiteRTRecognizer(MODEL, manifest)
    speech = np.concatenate([np.zeros(8000), np.sin(np.arange(16000) / 5.0) * 8000]).astype(np.int16)
    out = rec.padded(speech)
    lead, tail = 4800, 3200
    assert len(out) == lead + len(speech) + tail
    assert np.array_equal(out[lead : lead + len(speech)], speech)
    assert not out[:lead].any() and not out[lead + len(speech) :].any()  # the quiet part: silence here
    rng = np.random.default_rng(2)
    noisy = (rng.standard_normal(len(speech)) * 600).astype(np.int16) + speech // 2
    room = rec.padded(noisy)[:lead].astype(np.float64)
    assert 400 < np.sqrt(np.mean(room**2)) < 800  # steady noise goes on at its own level: no burst
    assert np.array_equal(rec.padded(speech), out)  # the same every call
    unpadded = LiteRTRecognizer(MODEL, dataclasses.replace(manifest, pad_lead_s=0.0, pad_tail_s=0.0))
    assert unpadded.padded(speech) is speech


def test_low_noise_gives_no_digits(recognizer: LiteRTRecognizer) -> None:
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal(48000) * 600).astype(np.int16)
    assert recognizer.recognize(noise).digits == ""


@needs_espeak
def test_synthesized_indonesian_digits_are_mostly_recognized(
    recognizer: LiteRTRecognizer, tmp_path: Path
) -> None:
    sequences = ["satu dua tiga", "empat lima enam", "tujuh delapan sembilan", "kosong delapan satu"]
    expected = ["123", "456", "789", "081"]
    got = [
        recognizer.recognize(speak(s, tmp_path, voice)).digits
        for s in sequences
        for voice in ("id+m3", "id+f2")
    ]
    want = [e for e in expected for _ in range(2)]
    right = sum(a == b for a, b in zip(got, want, strict=True))
    assert right >= 6, f"heard {got}, wanted {want}"


@needs_espeak
def test_vocabulary_restricts_what_can_be_heard(recognizer: LiteRTRecognizer, tmp_path: Path) -> None:
    digits = speak("satu dua tiga empat", tmp_path)
    restricted = recognizer.recognize(digits, vocabulary=["ya", "tidak"])
    assert set(restricted.text.split()) <= {"ya", "tidak"}
    assert recognizer.recognize(digits).digits != ""
    yes = speak("ya", tmp_path)
    assert recognizer.recognize(yes, vocabulary=["ya", "tidak"]).text == "ya"


@needs_espeak
def test_clipped_speech_is_still_decoded(recognizer: LiteRTRecognizer, tmp_path: Path) -> None:
    x = speak("dua tiga", tmp_path).astype(np.int32) * 20
    clipped = np.clip(x, -32768, 32767).astype(np.int16)
    assert np.mean(np.abs(clipped.astype(np.int32)) >= 32767) > 0.01
    assert isinstance(recognizer.recognize(clipped), Transcript)


def test_greedy_ctc_merges_repeats_and_drops_blanks() -> None:
    frames = [0, 3, 3, 0, 3, 5, 5, 0]
    lp = np.full((len(frames), 6), -10.0, np.float32)
    lp[np.arange(len(frames)), frames] = 0.0
    assert [k for k, *_ in ctc_greedy(lp)] == [3, 3, 5]


def test_weak_words_are_dropped_below_the_manifests_minimum_posterior(recognizer: LiteRTRecognizer) -> None:
    tokens = recognizer.manifest.tokens
    lp = np.full((6, len(tokens)), np.log(1e-4), np.float32)
    lp[:, 0] = 0.0  # blank everywhere, but for a clear "satu" and a faint "dua" (a talker behind)
    lp[1, 0], lp[1, tokens.index("satu")] = np.log(0.1), np.log(0.9)
    lp[4, 0], lp[4, tokens.index("dua")] = np.log(0.85), np.log(0.15)
    loose = dataclasses.replace(recognizer.manifest, blank_penalty=3.0, min_token_prob=0.0)
    strict = dataclasses.replace(loose, min_token_prob=0.3)
    assert recognizer.decode(lp, manifest=loose).text == "satu dua"
    assert recognizer.decode(lp, manifest=strict).text == "satu"
    assert recognizer.decode(lp, manifest=dataclasses.replace(loose, blank_penalty=0.0)).text == "satu"
    assert ModelManifest.from_dict(strict.to_dict()) == strict


def test_words_far_quieter_than_the_citizen_are_dropped_by_the_level_gate(
    recognizer: LiteRTRecognizer,
) -> None:
    tokens = recognizer.manifest.tokens
    lp = np.full((40, len(tokens)), np.log(1e-4), np.float32)
    lp[:, 0] = 0.0
    lp[5, 0], lp[5, tokens.index("satu")] = np.log(0.1), np.log(0.9)  # the citizen, loud
    lp[30, 0], lp[30, tokens.index("dua")] = np.log(0.1), np.log(0.9)  # a talker behind, 15 dB down
    levels = np.full(40, 30.0)
    levels[2:9] = 70.0
    levels[27:34] = 55.0
    off = dataclasses.replace(recognizer.manifest, blank_penalty=0.0, min_token_prob=0.0, level_gate_db=0.0)
    gated = dataclasses.replace(off, level_gate_db=10.0)
    assert recognizer.decode(lp, manifest=off, levels=levels).text == "satu dua"
    assert recognizer.decode(lp, manifest=gated, levels=levels).text == "satu"
    loose = dataclasses.replace(off, level_gate_db=20.0)
    assert recognizer.decode(lp, manifest=loose, levels=levels).text == "satu dua"
    assert recognizer.decode(lp, manifest=gated).text == "satu dua"  # no levels: the gate cannot judge
    assert ModelManifest.from_dict(gated.to_dict()) == gated


def test_frame_levels_are_one_value_per_output_frame_in_db() -> None:
    x = np.concatenate([np.zeros(640), np.full(640, 1000.0), np.full(100, 1000.0)])
    lv = frame_levels(x, 640, 3)
    assert lv.shape == (3,)
    assert lv[0] == pytest.approx(0.0) and lv[1] == pytest.approx(60.0, abs=0.01)
    assert lv[2] == pytest.approx(10 * np.log10(100 * 1e6 / 640 + 1), abs=0.01)  # the short tail, zero-padded


@needs_espeak
def test_a_quiet_voice_after_the_citizen_is_not_written_down(tmp_path: Path) -> None:
    loud = speak("tujuh delapan", tmp_path).astype(np.float64)
    quiet = speak("dua", tmp_path).astype(np.float64) * 10 ** (-20 / 20)
    gap = np.zeros(8000)
    x = np.concatenate([gap, loud, gap, quiet, gap]).astype(np.int16)
    base = ModelManifest.load(MANIFEST)
    plain = LiteRTRecognizer(MODEL, dataclasses.replace(base, level_gate_db=0.0)).recognize(x).digits
    gated = LiteRTRecognizer(MODEL, dataclasses.replace(base, level_gate_db=10.0)).recognize(x).digits
    assert plain == "782", "the model hears the quiet word; without that this test shows nothing"
    assert gated == "78"


def test_missing_model_file_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nothere\.tflite: speech model file not found; install"):
        LiteRTRecognizer(tmp_path / "nothere.tflite", MANIFEST)


def test_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    copy = tmp_path / "digits-id.tflite"
    shutil.copy(MODEL, copy)
    with pytest.raises(ModelError, match="manifest not found"):
        LiteRTRecognizer(copy)


def test_corrupt_model_is_caught_by_the_checksum(tmp_path: Path) -> None:
    bad = tmp_path / "digits-id.tflite"
    bad.write_bytes(MODEL.read_bytes()[: MODEL.stat().st_size // 2])
    with pytest.raises(ModelError, match="sha256 does not match"):
        LiteRTRecognizer(bad, MANIFEST)


def test_corrupt_model_without_checksum_is_refused_by_the_interpreter(tmp_path: Path) -> None:
    bad = tmp_path / "digits-id.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 40)
    manifest = {**json.loads(MANIFEST.read_text()), "sha256": ""}
    with pytest.raises(ModelError, match="not a valid LiteRT model"):
        LiteRTRecognizer(bad, manifest)


def test_manifest_with_the_wrong_token_count_is_refused() -> None:
    manifest = json.loads(MANIFEST.read_text())
    manifest["tokens"] = manifest["tokens"][:-1]
    with pytest.raises(ModelError, match="do not belong together"):
        LiteRTRecognizer(MODEL, ModelManifest.from_dict(manifest))


def test_wrong_sample_format_is_refused_with_a_fix(recognizer: LiteRTRecognizer) -> None:
    with pytest.raises(AudioFormatError, match="mono"):
        recognizer.recognize(np.zeros((16000, 2), np.int16))
    with pytest.raises(AudioFormatError, match="int16"):
        recognizer.recognize(np.zeros(16000, np.float32))
    with pytest.raises(AudioFormatError, match="44100 Hz but the recognizer needs 16000 Hz"):
        check_pcm(np.zeros(16000, np.int16), sample_rate=44100)


def write_wav(path: Path, data: np.ndarray, rate: int, channels: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.astype("<i2").tobytes())


def test_wav_loader_resamples_and_mixes_down(tmp_path: Path) -> None:
    t = np.arange(44100) / 44100
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1).reshape(-1)
    write_wav(tmp_path / "s.wav", stereo, 44100, 2)
    x = read_wav_16k(tmp_path / "s.wav")
    assert x.dtype == np.int16 and x.ndim == 1 and len(x) == 16000
    spectrum = np.abs(np.fft.rfft(x.astype(np.float32)))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1


def test_wav_loader_names_a_missing_or_bad_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="no such file"):
        read_wav_16k(tmp_path / "gone.wav")
    (tmp_path / "text.wav").write_text("hello")
    with pytest.raises(AudioFormatError, match="not a PCM WAV file"):
        read_wav_16k(tmp_path / "text.wav")


@needs_espeak
def test_a_stream_shows_the_digits_heard_so_far_and_ends_with_the_whole_utterance_decoded(
    recognizer: LiteRTRecognizer, tmp_path: Path
) -> None:
    """Partials for the screen: the audio so far decoded every half second; the final result is the end-pointed
    utterance decoded as recognize() decodes it."""
    speech = speak("satu dua tiga empat lima enam", tmp_path)
    quiet = np.zeros(8000, dtype=np.int16)
    utterance = np.concatenate([quiet, speech, quiet])
    stream = recognizer.open_stream(DIGITS)
    partials = [
        p for start in range(0, len(utterance), 320) if (p := stream.accept(utterance[start : start + 320]))
    ]
    assert len(partials) >= 2 and len(set(partials)) == len(partials)  # only when it changed
    assert partials[-1] == "satu dua tiga empat lima enam"
    # it decoded as it went: the first partial came before the end of the speech
    assert len(partials[0].split()) < 6
    assert stream.finish(utterance) == recognizer.recognize(utterance, DIGITS)
    assert stream.finish() == recognizer.recognize(utterance, DIGITS)  # what it was fed is the same audio
    # the end-pointed utterance wins over what was fed (they can differ by the end-pointer's trimming)
    first_half = utterance[: len(utterance) // 2]
    assert stream.finish(first_half) == recognizer.recognize(first_half, DIGITS) != stream.finish()


def test_a_stream_decodes_nothing_before_half_a_second_of_audio(recognizer: LiteRTRecognizer) -> None:
    stream = recognizer.open_stream()
    loud = (np.sin(np.arange(320) / 3.0) * 8000).astype(np.int16)
    assert [stream.accept(loud) for _ in range(24)] == [None] * 24  # 0.48 s


@needs_espeak
def test_a_partial_leaves_out_the_word_still_being_spoken(
    recognizer: LiteRTRecognizer, tmp_path: Path
) -> None:
    """Decoding with until_frame drops the words that end at or after it: on the audio so far, the last word may
    be cut in the middle ("ti-" of "tiga" read as "tidak")."""
    speech = speak("satu dua tiga", tmp_path)
    log_probs, levels = recognizer.analyse(speech)
    assert recognizer.decode(log_probs, levels).text == "satu dua tiga"
    ends = [t1 for _, _, _, t1 in ctc_greedy(log_probs - np.eye(log_probs.shape[1])[0] * 2.5)]
    assert recognizer.decode(log_probs, levels, until_frame=ends[-1]).text == "satu dua"
    assert recognizer.decode(log_probs, levels, until_frame=ends[0]).text == ""
