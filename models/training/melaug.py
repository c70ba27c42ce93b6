"""Augmentation in the mel-power domain: the training examples of ``train.py --mel-aug`` at a fraction of the cost.

Building an augmented batch in the time domain (speed change, reverb, babble, FFT, mel) took 0.195 s a batch on
the 2-core training machine, longer than the 0.16 s training step, so the batch workers and TensorFlow shared
the two cores and a step took 0.28 s. Here every training utterance is analysed once, before the workers fork:
its log-mel at five speeds, dry and in a synthetic room, with each frame's time-domain energy. An example is
then a few array operations: noise of uncorrelated sources adds in power, so

    log_mel(speech + g * noise) ~= log(mel_power(speech) + g**2 * mel_power(noise))

(on validation audio at 10 dB the mean absolute difference of the normalised features is 0.04, against 0.72
between noisy and clean; ``tests/speech/test_melaug.py`` checks it). Silence cut to what an end-pointer leaves,
leading and trailing silence, faster talkers at the same pitch (a tempo stretch of the frames: the fastest
validation speakers talk faster than any of the 54 training speakers), babble of four training talkers, fan
and traffic noise from a bank, a second weaker noise, the recording's level against the microphone's noise
floor: all in frames. What cannot be done
in power (clipping an overdriven microphone, vocal tract length warping) stays with the time-domain
``Augmenter``, which builds the share ``exact_p`` of the examples.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.speech.features import FeatureParams, analysis_windows, features, log_mel, normalize
from tools.speech import augment

log = logging.getLogger("melaug")

SPEEDS = (0.88, 0.94, 1.0, 1.06, 1.12)
"""Speed perturbation in steps (tempo and pitch together); the time-domain path draws it uniformly."""
FLOOR_RMS = 1e-4
"""The recording floor the time-domain path adds (white noise), before the level is set."""


@dataclass
class Variant:
    """One rendering of an utterance: log-mel (float16, no normalisation) and each frame's mean power in the
    time domain (the same 25 ms windows every 10 ms), from which SNR and speech span are computed."""

    mel: np.ndarray
    energy: np.ndarray
    peak: float


def frame_energy(x: np.ndarray, params: FeatureParams) -> np.ndarray:
    """Mean square of each analysis window of :func:`log_mel` (same framing), float32."""
    return np.mean(np.square(analysis_windows(x, params), dtype=np.float64), axis=1).astype(np.float32)


def variant(x: np.ndarray, params: FeatureParams) -> Variant:
    return Variant(log_mel(x, params).astype(np.float16), frame_energy(x, params), float(np.max(np.abs(x))))


def _analyse(job: tuple[np.ndarray, int, FeatureParams]) -> list[Variant]:
    """Dry and reverberant variants at every speed (room drawn from the job's own seed)."""
    audio, seed, params = job
    rng = np.random.default_rng(seed)
    out = []
    for speed in SPEEDS:
        x = audio if speed == 1.0 else augment.change_speed(audio, speed)
        out.append(variant(x, params))
        out.append(variant(augment.reverberate(x, augment.room_impulse(rng)), params))
    return out


class MelBank:
    """Every training utterance analysed once: ``variants[i][2 * speed_index + wet]``; noise banks likewise."""

    def __init__(
        self,
        train: list,
        params: FeatureParams,
        seed: int = 0,
        processes: int = 2,
        noise_clips: int = 64,
        cache: Path | None = None,
    ) -> None:
        """``cache``: a folder where the analysis is kept between runs (about 2 GB on disk for the full training
        set), under a key made of the audio, the feature parameters, the speeds and the seed; a run with the
        same data then loads it (memory-mapped) instead of spending five minutes on it."""
        self.params = params
        folder = cache / bank_key(train, params, seed) if cache is not None else None
        if folder is not None and (folder / "done").is_file():
            self.variants = load_variants(folder)
            log.info("mel bank: %d utterances loaded from %s", len(self.variants), folder)
        else:
            self.variants = self._analyse_all(train, params, seed, processes)
            if folder is not None:
                save_variants(self.variants, folder)
                log.info("mel bank kept in %s for the next run", folder)
        rng = np.random.default_rng(seed + 1)
        n = 1 << 17
        self.fans = [variant(augment.fan_noise(n, rng), params) for _ in range(noise_clips)]
        self.traffic = [variant(augment.traffic_noise(n, rng), params) for _ in range(noise_clips)]
        floor = rng.standard_normal(n).astype(np.float32) * FLOOR_RMS
        # mean mel power of the floor noise; its level is fixed, the recording's level is what varies
        self.floor_power = np.exp(log_mel(floor, params).astype(np.float64)).mean(axis=0).astype(np.float32)
        mib = sum(v.mel.nbytes + v.energy.nbytes for vs in self.variants for v in vs) / 2**20
        log.info("mel bank ready: %d utterances x %d variants, %.0f MiB", len(train), 2 * len(SPEEDS), mib)

    @staticmethod
    def _analyse_all(train: list, params: FeatureParams, seed: int, processes: int) -> list[list[Variant]]:
        t0 = time.time()
        jobs = [(a, seed * 100003 + i, params) for i, (a, *_) in enumerate(train)]
        variants: list[list[Variant]] = []
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for k, v in enumerate(pool.imap(_analyse, jobs, chunksize=32), 1):
                variants.append(v)
                if k % 1000 == 0 or k == len(jobs):
                    log.info(
                        "mel bank: %d of %d utterances analysed (%.0f s)", k, len(jobs), time.time() - t0
                    )
        return variants


def bank_key(train: list, params: FeatureParams, seed: int) -> str:
    """What the analysis depends on: every utterance's samples, the features, the speeds, the seed (rooms)."""
    h = hashlib.sha256(repr((dataclasses.asdict(params), SPEEDS, seed, len(train))).encode())
    for audio, *_ in train:
        h.update(np.ascontiguousarray(audio, dtype=np.float32).tobytes())
    return h.hexdigest()[:20]


def save_variants(variants: list[list[Variant]], folder: Path) -> None:
    """Three flat arrays and an index; ``done`` is written last, so a run killed midway leaves no half bank."""
    folder.mkdir(parents=True, exist_ok=True)
    flat = [v for vs in variants for v in vs]
    ends = np.cumsum([len(v.mel) for v in flat])
    np.save(folder / "mel.npy", np.concatenate([v.mel for v in flat]))
    np.save(folder / "energy.npy", np.concatenate([v.energy for v in flat]))
    np.save(folder / "index.npy", np.stack([ends, np.array([v.peak for v in flat])], axis=1))
    (folder / "done").write_text(f"{len(variants)} utterances x {len(variants[0]) if variants else 0}\n")


def load_variants(folder: Path) -> list[list[Variant]]:
    mel = np.load(folder / "mel.npy", mmap_mode="r")
    energy = np.load(folder / "energy.npy", mmap_mode="r")
    index = np.load(folder / "index.npy")
    per = 2 * len(SPEEDS)
    flat, start = [], 0
    for end, peak in index:
        flat.append(Variant(mel[start : int(end)], energy[start : int(end)], float(peak)))
        start = int(end)
    return [flat[i : i + per] for i in range(0, len(flat), per)]


def mix(
    power: np.ndarray, energy: np.ndarray, noise_power: np.ndarray, noise_energy: np.ndarray, snr_db: float
) -> tuple[np.ndarray, np.ndarray]:
    """``augment.mix_at_snr`` in frames: the noise scaled so that the loudest half of the speech frames over the
    noise's mean power is ``snr_db``, added in power (mel power, frame energy)."""
    gain = augment.loudest_half_power(energy) / (float(np.mean(noise_energy)) + 1e-12) / 10 ** (snr_db / 10)
    return power + gain * noise_power, energy + gain * noise_energy


def stretch(power: np.ndarray, energy: np.ndarray, tempo: float) -> tuple[np.ndarray, np.ndarray]:
    """The frames of a talker ``tempo`` times as fast at the same pitch: log-mel and energy resampled along
    time (linear interpolation between neighbouring frames), ``round(len / tempo)`` frames."""
    n = len(power)
    m = max(1, int(round(n / tempo)))
    pos = np.linspace(0.0, n - 1, m)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (pos - i0).astype(np.float32)
    log_power = np.log(power + 1e-12)
    out = np.exp(log_power[i0] * (1 - frac[:, None]) + log_power[i1] * frac[:, None])
    return out.astype(np.float32), (energy[i0] * (1 - frac) + energy[i1] * frac).astype(np.float32)


def _crop(v: Variant, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` frames of a noise or talker variant as (power, energy), looped when it is shorter, random start."""
    mel, energy = v.mel, v.energy
    if len(mel) < n:
        reps = n // len(mel) + 1
        mel, energy = np.tile(mel, (reps, 1)), np.tile(energy, reps)
    s = int(rng.integers(0, len(mel) - n + 1))
    return np.exp(mel[s : s + n].astype(np.float32)), energy[s : s + n]


class MelAugmenter:
    """The time-domain ``Augmenter``'s recipe, in frames (see the module docstring for what differs)."""

    def __init__(
        self,
        bank: MelBank,
        train: list,
        seed: int,
        noise_p: float = 0.6,
        snr: tuple[float, float] = (0.0, 20.0),
        speed_p: float = 0.6,
        babble_share: float = 0.5,
        trim_p: float = 0.0,
        reverb_p: float = 0.35,
        tempo_p: float = 0.0,
        tempo: tuple[float, float] = (0.95, 1.35),
    ) -> None:
        self.bank, self.rng = bank, np.random.default_rng(seed)
        self.tempo_p, self.tempo = tempo_p, tempo
        self.noise_p, self.snr, self.speed_p = noise_p, snr, speed_p
        self.babble_share, self.trim_p, self.reverb_p = babble_share, trim_p, reverb_p
        self.corpus = [c for *_, c in train]
        self.speaker = [s for _, _, s, _ in train]
        self.talkers = [i for i, c in enumerate(self.corpus) if c != "synth"]
        self.talker_speakers = {self.speaker[i] for i in self.talkers}
        self.dry = 2 * SPEEDS.index(1.0)

    def babble(self, speaker: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Four other training talkers, each at its own active level times 0.6-1.0, as (power, energy)."""
        if not self.talker_speakers - {speaker}:
            raise ValueError(
                f"babble needs talkers other than {speaker}: the training set has no other real speaker"
            )
        power = np.zeros((n, self.bank.params.n_mels), np.float32)
        energy = np.zeros(n, np.float32)
        picked = 0
        while picked < 4:
            i = self.talkers[int(self.rng.integers(len(self.talkers)))]
            if self.speaker[i] == speaker:
                continue
            p, e = _crop(self.bank.variants[i][self.dry], n, self.rng)
            w = float(self.rng.uniform(0.6, 1.0)) ** 2 / augment.loudest_half_power(e)
            power += w * p
            energy += w * e
            picked += 1
        return power, energy

    def noise(self, speaker: str, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """``n`` frames of "babble", "fan" or "traffic" as (power, energy)."""
        if kind == "babble":
            return self.babble(speaker, n)
        bank = self.bank.fans if kind == "fan" else self.bank.traffic
        return _crop(bank[int(self.rng.integers(len(bank)))], n, self.rng)

    def noise_kind(self) -> str:
        """Babble for ``babble_share`` of the noisy examples, fan and traffic halving the rest."""
        r = self.rng.random()
        return "babble" if r < self.babble_share else "fan" if r < (1 + self.babble_share) / 2 else "traffic"

    def speech(self, i: int) -> tuple[np.ndarray, np.ndarray, float]:
        """The utterance at a drawn speed, maybe in a room, its silence maybe cut, with silence added around it:
        (power, energy, peak)."""
        rng = self.rng
        s = SPEEDS.index(1.0)
        if rng.random() < self.speed_p:
            s = int(rng.choice([k for k in range(len(SPEEDS)) if SPEEDS[k] != 1.0]))
        v = self.bank.variants[i][2 * s + int(rng.random() < self.reverb_p)]
        mel, energy = v.mel, v.energy
        pre, post = int(rng.integers(0, 38)), int(rng.integers(0, 38))  # 0-6000 samples, as the time path
        if self.corpus[i] != "synth" and rng.random() < self.trim_p:
            start, end = augment.loud_span(energy)
            lead, tail = int(rng.uniform(5, 80)), int(rng.uniform(5, 70))
            a, b = max(0, start - lead), min(len(mel), end + tail)
            mel, energy = mel[a:b], energy[a:b]
            if rng.random() < 0.7:
                pre = post = 0
        power = np.exp(mel.astype(np.float32))
        n_mels = power.shape[1]
        power = np.concatenate(
            [np.zeros((pre, n_mels), np.float32), power, np.zeros((post, n_mels), np.float32)]
        )
        energy = np.concatenate([np.zeros(pre, np.float32), energy, np.zeros(post, np.float32)])
        return power, energy, v.peak

    def example(self, i: int) -> np.ndarray:
        """Normalised log-mel features of one augmented rendering of training utterance ``i``."""
        return self.rendering(i)[0]

    def twins(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """One augmented rendering of utterance ``i`` and the same rendering without its noise (same speed,
        room, silence, tempo and level): what a teacher network hears clean while the student hears it noisy
        (``train.py --teacher``). Without noise drawn, the two are equal."""
        noisy, clean = self.rendering(i, twin=True)
        assert clean is not None
        return noisy, clean

    def rendering(self, i: int, twin: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        rng = self.rng
        power, energy, peak = self.speech(i)
        if self.corpus[i] != "synth" and rng.random() < self.tempo_p:
            power, energy = stretch(power, energy, float(rng.uniform(*self.tempo)))
        n = len(power)
        crest = peak / np.sqrt(max(float(energy.max()), 1e-12))
        dry = (power, energy)
        noise_p = self.noise_p if self.corpus[i] != "synth" else 0.95
        if rng.random() < noise_p:
            npow, nen = self.noise(self.speaker[i], n, self.noise_kind())
            power, energy = mix(power, energy, npow, nen, float(rng.uniform(*self.snr)))
            if rng.random() < 0.3:  # a second, weaker fan on top
                fpow, fen = _crop(self.bank.fans[int(rng.integers(len(self.bank.fans)))], n, rng)
                power, energy = mix(power, energy, fpow, fen, float(rng.uniform(10, 30)))
        # One level for both: the clean twin is the noisy one's speech at the same gain.
        gain = self.level_gain(energy, crest)
        return self.at_gain(power, energy, gain), self.at_gain(*dry, gain) if twin else None

    def noise_only(self, i: int) -> np.ndarray:
        """Babble, fan or traffic alone for 1-3 s, quiet to moderate: the model must stay silent."""
        n = int(self.rng.integers(100, 300))
        r = self.rng.random()
        power, energy = self.noise(
            self.speaker[i], n, "babble" if r < 0.4 else "fan" if r < 0.7 else "traffic"
        )
        return self.finish(power, energy, 3.0, level=float(self.rng.uniform(0.02, 0.5)))

    def finish(
        self, power: np.ndarray, energy: np.ndarray, crest: float, level: float | None = None
    ) -> np.ndarray:
        """Set the peak level (0.05-0.9 of full scale, as the time path), add the microphone's floor, log, normalise."""
        return self.at_gain(power, energy, self.level_gain(energy, crest, level))

    def level_gain(self, energy: np.ndarray, crest: float, level: float | None = None) -> float:
        """The amplitude gain that puts the peak at ``level`` of full scale (drawn 0.05-0.9 when None)."""
        peak = crest * np.sqrt(max(float(energy.max()), 1e-12))
        target = float(self.rng.uniform(0.05, 0.9)) if level is None else level
        return target / max(peak, 1e-9)

    def at_gain(self, power: np.ndarray, energy: np.ndarray, gain: float) -> np.ndarray:
        """Normalised log-mel of the frames times ``gain`` (amplitude), with the microphone's floor added."""
        g = gain**2
        mel = np.log(g * power + self.bank.floor_power * g + self.bank.params.log_floor)
        return normalize(mel)


def batches(
    pool: list[int],
    train: list,
    aug: MelAugmenter,
    exact,
    batch_size: int,
    seed: int,
    exact_p: float,
    twins: bool = False,
) -> Iterator[tuple]:
    """Endless length-bucketed batches like ``train.batches``: ``pool`` holds indices into ``train`` (repeats
    over-sample), ``exact`` is the time-domain ``Augmenter`` for the share ``exact_p`` (None when that is 0);
    SpecAugment on every example; yields what ``train.pad`` returns. With ``twins``, two more arrays: each
    example's clean twin (:meth:`MelAugmenter.twins`, no SpecAugment, padded like the features) and a 0/1 per
    example saying whether it has one (noise-only and time-domain examples have none: zeros)."""
    if exact is None and exact_p > 0:
        raise ValueError("exact_p > 0 needs the time-domain augmenter (exact)")
    from models.training.train import PARAMS, length_buckets, pad, spec_augment

    rng = np.random.default_rng(seed)
    order = np.array(pool)[np.argsort([len(train[i][0]) for i in pool], kind="stable")]
    for chunk in length_buckets(order, batch_size, rng):
        feats, labs, clean = [], [], []
        for i in chunk:
            twin = None
            if rng.random() < 0.04:
                f, lab = aug.noise_only(int(i)), []
            elif rng.random() < exact_p:
                audio, lab, spk, corpus = train[i]
                f = features(exact(audio, spk, corpus), PARAMS)
            elif twins:
                (f, twin), lab = aug.twins(int(i)), train[i][1]
            else:
                f, lab = aug.example(int(i)), train[i][1]
            feats.append(spec_augment(f, rng, PARAMS.n_mels))
            labs.append(lab)
            clean.append(twin)
        batch = pad(feats, labs)
        if not twins:
            yield batch
            continue
        x_clean = np.zeros_like(batch[0])
        for k, c in enumerate(clean):
            if c is not None:
                x_clean[k, : len(c)] = c
        yield (*batch, x_clean, np.array([c is not None for c in clean], np.float32))
