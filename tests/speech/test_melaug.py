"""Training augmentation in the mel-power domain (models/training/melaug.py) against the time-domain original."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.speech.features import FeatureParams, log_mel, normalize
from models.training import melaug
from models.training.train import Augmenter, batches, length_buckets, pad
from tools.speech import augment

PARAMS = FeatureParams()
SR = augment.SR


def as_float(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) / 32768.0


def padded(x: np.ndarray, lead_s: float, tail_s: float) -> np.ndarray:
    return np.concatenate([np.zeros(int(lead_s * SR), np.float32), x, np.zeros(int(tail_s * SR), np.float32)])


@pytest.fixture(scope="module")
def utterances(speak: Callable[[str, str], np.ndarray]) -> list[np.ndarray]:
    return [
        padded(as_float(speak(text, voice)), 0.5, 0.5)
        for text, voice in [
            ("satu dua tiga empat", "id"),
            ("lima enam tujuh", "id+m3"),
            ("delapan sembilan nol", "id+f2"),
            ("dua kosong satu", "id+m1"),
        ]
    ]


@pytest.fixture(scope="module")
def bank_and_train(utterances: list[np.ndarray]) -> tuple[melaug.MelBank, list]:
    train = [
        (a, [3, 4], spk, "digit_cdsr")
        for a, spk in zip(utterances, ["FAA", "FBB", "MCC", "MDD"], strict=True)
    ]
    train.append((utterances[0], [5], "syn", "synth"))
    return melaug.MelBank(train, PARAMS, seed=3, processes=1, noise_clips=4), train


def mel_mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    s, n = melaug.variant(speech, PARAMS), melaug.variant(augment.fit_length(noise, len(speech)), PARAMS)
    power, _ = melaug.mix(
        np.exp(s.mel.astype(np.float32)), s.energy, np.exp(n.mel.astype(np.float32)), n.energy, snr_db
    )
    return normalize(np.log(power + PARAMS.log_floor))


@pytest.mark.parametrize("kind", ["fan", "babble"])
def test_mixing_in_mel_power_matches_mixing_the_waveforms(kind: str, utterances: list[np.ndarray]) -> None:
    rng = np.random.default_rng(7)
    speech = utterances[0]
    noise = (
        augment.fan_noise(len(speech), rng)
        if kind == "fan"
        else augment.babble(utterances[1:], len(speech), rng)
    )
    exact = normalize(log_mel(augment.mix_at_snr(speech, noise, 10.0)))
    clean = normalize(log_mel(speech))
    error = float(np.mean(np.abs(mel_mix(speech, noise, 10.0) - exact)))
    noise_effect = float(np.mean(np.abs(clean - exact)))
    assert error < 0.15
    assert error < 0.25 * noise_effect
    # the SNR is honoured: the same mix at 0 dB is much further from the 10 dB waveform mix than the error
    assert float(np.mean(np.abs(mel_mix(speech, noise, 0.0) - exact))) > 3 * error


def test_frame_levels_agree_with_the_time_domain_helpers(utterances: list[np.ndarray]) -> None:
    x = utterances[1]
    energy = melaug.frame_energy(x, PARAMS)
    assert len(energy) == len(log_mel(x))
    measured_db = 10 * np.log10(augment.loudest_half_power(energy))
    assert measured_db == pytest.approx(20 * np.log10(augment.active_rms(x)), abs=1.0)
    start, end = augment.loud_span(energy)
    s, e = augment.speech_span(x)
    assert abs(start - s / PARAMS.hop_length) <= 4
    assert abs(end - e / PARAMS.hop_length) <= 4


def test_the_bank_holds_every_speed_dry_and_in_a_room(bank_and_train: tuple[melaug.MelBank, list]) -> None:
    bank, train = bank_and_train
    variants = bank.variants[0]
    assert len(variants) == 2 * len(melaug.SPEEDS)
    frames = [len(v.mel) for v in variants[::2]]
    assert frames == sorted(frames, reverse=True)  # faster speech is shorter
    dry = variants[2 * melaug.SPEEDS.index(1.0)]
    assert np.allclose(dry.mel.astype(np.float32), log_mel(train[0][0]), atol=0.02)
    assert not np.allclose(variants[2 * melaug.SPEEDS.index(1.0) + 1].mel, dry.mel, atol=0.5)


def test_an_example_is_normalised_log_mel_with_silence_added_around_it(
    bank_and_train: tuple[melaug.MelBank, list],
) -> None:
    bank, train = bank_and_train
    aug = melaug.MelAugmenter(bank, train, seed=1, noise_p=1.0, speed_p=0.0, trim_p=0.0, reverb_p=0.0)
    frames = len(bank.variants[0][2 * melaug.SPEEDS.index(1.0)].mel)
    for _ in range(20):
        f = aug.example(0)
        assert f.shape[1] == PARAMS.n_mels
        assert frames <= len(f) <= frames + 2 * 37
        assert np.isfinite(f).all()
        assert np.allclose(f.mean(axis=0), 0.0, atol=1e-3)


def test_trimmed_examples_keep_the_speech_and_lose_most_of_the_silence(
    bank_and_train: tuple[melaug.MelBank, list],
) -> None:
    bank, train = bank_and_train
    aug = melaug.MelAugmenter(bank, train, seed=2, noise_p=0.0, speed_p=0.0, trim_p=1.0, reverb_p=0.0)
    start, end = augment.loud_span(bank.variants[0][2 * melaug.SPEEDS.index(1.0)].energy)
    lengths = [len(aug.example(0)) for _ in range(30)]
    assert min(lengths) >= end - start
    assert max(lengths) <= end - start + 80 + 70 + 2 * 37
    # the untrimmed recording (0.5 s of silence each side plus up to 0.37 s more) is longer than most trims
    assert np.median(lengths) < len(bank.variants[0][2 * melaug.SPEEDS.index(1.0)].mel) + 37


def test_babble_never_uses_the_target_speaker_and_refuses_when_nobody_else_is_there(
    bank_and_train: tuple[melaug.MelBank, list],
) -> None:
    bank, train = bank_and_train
    aug = melaug.MelAugmenter(bank, train, seed=3, babble_share=1.0)
    assert {aug.noise_kind() for _ in range(50)} == {"babble"}
    power, energy = aug.babble("FAA", 200)
    assert power.shape == (200, PARAMS.n_mels) and energy.shape == (200,)
    alone = [(train[0][0], [3], "FAA", "digit_cdsr")]
    lonely = melaug.MelAugmenter(melaug.MelBank(alone, PARAMS, processes=1, noise_clips=1), alone, seed=4)
    with pytest.raises(ValueError, match="babble needs talkers other than FAA"):
        lonely.babble("FAA", 100)


def test_noise_only_examples_are_finite_features(bank_and_train: tuple[melaug.MelBank, list]) -> None:
    bank, train = bank_and_train
    aug = melaug.MelAugmenter(bank, train, seed=5)
    for _ in range(10):
        f = aug.noise_only(1)
        assert 100 <= len(f) < 300 and np.isfinite(f).all()


def test_batches_pad_like_the_time_domain_path_and_follow_the_pool(
    bank_and_train: tuple[melaug.MelBank, list],
) -> None:
    bank, train = bank_and_train
    aug = melaug.MelAugmenter(bank, train, seed=6)

    def exact(audio: np.ndarray, speaker: str, corpus: str) -> np.ndarray:
        return audio

    source = melaug.batches([0, 0, 0, 1], train, aug, exact, 2, seed=1, exact_p=0.5)
    x, xl, y, yl = next(source)
    reference = pad([np.zeros((int(n), PARAMS.n_mels), np.float32) for n in xl], [[3, 4], [3, 4]])
    assert x.shape == reference[0].shape and x.shape[1] % 4 == 0
    assert set(yl) <= {0, 2}  # both labels of a digit utterance, or none for a noise-only example
    # without a time-domain share no time-domain augmenter is needed; with one, it is
    x, *_ = next(melaug.batches([0, 1], train, aug, None, 2, seed=1, exact_p=0.0))
    assert np.isfinite(x).all()
    with pytest.raises(ValueError, match="exact_p"):
        next(melaug.batches([0, 1], train, aug, None, 2, seed=1, exact_p=0.2))


def test_a_clean_twin_is_the_same_rendering_without_its_noise(
    bank_and_train: tuple[melaug.MelBank, list],
) -> None:
    bank, train = bank_and_train
    noisy_aug = melaug.MelAugmenter(bank, train, seed=7, noise_p=1.0, speed_p=0.5, trim_p=0.5, tempo_p=0.5)
    quiet_aug = melaug.MelAugmenter(bank, train, seed=7, noise_p=0.0, speed_p=0.5, trim_p=0.5, tempo_p=0.5)
    for _ in range(10):
        noisy, clean = noisy_aug.twins(0)
        assert noisy.shape == clean.shape and np.isfinite(clean).all()
        # the noise is what tells them apart: the same draws without noise give two equal arrays
        assert np.abs(noisy - clean).mean() > 0.1
        same, twin = quiet_aug.twins(0)
        assert np.array_equal(same, twin)


def test_twin_batches_pad_the_clean_twins_and_say_which_examples_have_one(
    bank_and_train: tuple[melaug.MelBank, list],
) -> None:
    bank, train = bank_and_train
    aug = melaug.MelAugmenter(bank, train, seed=8, noise_p=1.0)

    def exact(audio: np.ndarray, speaker: str, corpus: str) -> np.ndarray:
        return audio

    source = melaug.batches([0, 1, 2, 3], train, aug, exact, 4, seed=2, exact_p=0.3, twins=True)
    kinds = set()
    for _ in range(20):
        x, xl, y, yl, x_clean, has_twin = next(source)
        assert x_clean.shape == x.shape and has_twin.shape == (4,)
        for k in range(4):
            if has_twin[k]:
                assert np.abs(x_clean[k, : xl[k]]).sum() > 0 and not x_clean[k, xl[k] :].any()
            else:  # noise alone or a time-domain example: nothing for the teacher
                assert not x_clean[k].any()
            kinds.add(bool(has_twin[k]))
    assert kinds == {True, False}


def test_length_buckets_give_every_item_once_a_pass_in_batches_of_neighbours() -> None:
    lengths = np.random.default_rng(8).integers(100, 1000, 37)
    order = np.argsort(lengths)
    source = length_buckets(order, 8, np.random.default_rng(9))
    one_pass = [next(source) for _ in range(5)]  # 37 items: four batches of 8 and one of 5
    assert sorted(np.concatenate(one_pass).tolist()) == list(range(37))
    ranks = {int(item): r for r, item in enumerate(order)}
    assert all(max(ranks[int(i)] for i in b) - min(ranks[int(i)] for i in b) < 8 for b in one_pass)


def test_the_time_domain_batches_carry_labels_and_noise_only_examples(
    bank_and_train: tuple[melaug.MelBank, list],
) -> None:
    _, train = bank_and_train
    source = batches(train, Augmenter(train, seed=1, noise_p=1.0), batch_size=5, seed=2)
    seen = set()
    for _ in range(30):
        x, xl, y, yl = next(source)
        assert x.shape[0] == 5 and x.shape[1] % 4 == 0 and x.shape[2] == PARAMS.n_mels
        assert (xl <= x.shape[1]).all() and np.isfinite(x).all()
        seen.update(int(n) for n in yl)
    assert seen == {0, 1, 2}  # noise alone (no label), the synthetic word, the two digits


def test_a_tempo_stretch_makes_the_talker_faster_at_the_same_pitch() -> None:
    frames = 200
    power = np.full((frames, PARAMS.n_mels), 1e-4, np.float32)
    power[100:140, 10] = 1.0  # a word lighting up band 10 from frame 100 to 139
    energy = power.sum(axis=1)
    fast, fast_energy = melaug.stretch(power, energy, 1.25)
    assert len(fast) == len(fast_energy) == 160
    lit = np.nonzero(fast[:, 10] > 0.5)[0]
    assert abs(lit[0] - 80) <= 1 and abs(len(lit) - 32) <= 2  # earlier and shorter by the factor
    assert np.argmax(fast.max(axis=0)) == 10  # still band 10: the pitch does not move
    slow, _ = melaug.stretch(power, energy, 0.8)
    assert len(slow) == 250


def test_tempo_stretched_examples_are_shorter(bank_and_train: tuple[melaug.MelBank, list]) -> None:
    bank, train = bank_and_train
    kwargs = {"noise_p": 0.0, "speed_p": 0.0, "trim_p": 0.0, "reverb_p": 0.0}
    plain = melaug.MelAugmenter(bank, train, seed=11, **kwargs)
    fast = melaug.MelAugmenter(bank, train, seed=11, tempo_p=1.0, tempo=(1.3, 1.3), **kwargs)
    frames = len(bank.variants[0][2 * melaug.SPEEDS.index(1.0)].mel)
    assert np.mean([len(fast.example(0)) for _ in range(10)]) < np.mean(
        [len(plain.example(0)) for _ in range(10)]
    )
    assert all(len(fast.example(0)) <= round((frames + 74) / 1.3) + 1 for _ in range(10))


def test_the_bank_is_kept_on_disk_and_loaded_again_for_the_same_data(
    bank_and_train: tuple[melaug.MelBank, list], tmp_path: Path
) -> None:
    built, train = bank_and_train
    first = melaug.MelBank(train, PARAMS, seed=3, processes=1, noise_clips=4, cache=tmp_path)
    (folder,) = tmp_path.iterdir()
    assert (folder / "done").is_file()
    again = melaug.MelBank(train, PARAMS, seed=3, processes=1, noise_clips=4, cache=tmp_path)
    for bank in (first, again):
        assert len(bank.variants) == len(built.variants)
        for ours, theirs in zip(bank.variants, built.variants, strict=True):
            for a, b in zip(ours, theirs, strict=True):
                assert (
                    np.array_equal(a.mel, b.mel) and np.array_equal(a.energy, b.energy) and a.peak == b.peak
                )
    assert isinstance(again.variants[0][0].mel, np.memmap)  # loaded, not analysed again
    # every kind of example works on the read-only, memory-mapped arrays
    aug = melaug.MelAugmenter(again, train, seed=6, noise_p=1.0, speed_p=1.0, trim_p=1.0, tempo_p=1.0)
    assert all(np.isfinite(aug.example(i % len(train))).all() for i in range(40))
    assert np.isfinite(aug.noise_only(1)).all()
    # other audio, another seed: another key, analysed afresh
    melaug.MelBank(train[:2], PARAMS, seed=3, processes=1, noise_clips=1, cache=tmp_path)
    melaug.MelBank(train, PARAMS, seed=4, processes=1, noise_clips=1, cache=tmp_path)
    assert len(list(tmp_path.iterdir())) == 3
