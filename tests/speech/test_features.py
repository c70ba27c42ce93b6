"""The numpy log-mel front end shared by training and the runtime."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.speech.features import FeatureParams, features, log_mel, mel_filterbank, num_frames


def tone(freq: float, seconds: float = 1.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(16000 * seconds)) / 16000
    return (amp * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)


def test_frame_count_follows_ten_millisecond_hops() -> None:
    x = tone(440, 1.0)
    feats = log_mel(x)
    assert feats.shape == (num_frames(len(x)), 40)
    assert feats.shape[0] == 98


def test_a_tone_lights_up_the_mel_band_that_covers_its_frequency() -> None:
    params = FeatureParams()
    bank = mel_filterbank(params)
    bin_1k = round(1000 * params.n_fft / params.sample_rate)
    expected_band = int(np.argmax(bank[bin_1k]))
    feats = log_mel(tone(1000))
    assert int(np.argmax(feats.mean(axis=0))) == expected_band


def test_higher_tone_lands_in_a_higher_band() -> None:
    low = int(np.argmax(log_mel(tone(300)).mean(axis=0)))
    high = int(np.argmax(log_mel(tone(3000)).mean(axis=0)))
    assert high > low


def test_silence_and_very_short_input_give_finite_features() -> None:
    assert np.isfinite(features(np.zeros(16000, np.int16))).all()
    short = features(np.ones(50, np.int16))
    assert short.shape == (1, 40) and np.isfinite(short).all()


def test_int16_and_float_input_give_the_same_features() -> None:
    x = tone(700)
    np.testing.assert_allclose(log_mel(x), log_mel(x.astype(np.float32) / 32768.0), rtol=1e-5, atol=1e-5)


def test_normalised_features_are_zero_mean_per_band_and_ignore_gain() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(16000) * 1000).astype(np.int16)
    f = features(x)
    np.testing.assert_allclose(f.mean(axis=0), 0.0, atol=1e-4)
    louder = features((x.astype(np.int32) * 4).astype(np.int16))
    np.testing.assert_allclose(f, louder, atol=1e-3)


def test_feature_params_round_trip_through_a_dict() -> None:
    p = FeatureParams(n_mels=32)
    assert FeatureParams.from_dict(p.to_dict()) == p


def test_level_channel_tells_a_quiet_talker_from_a_loud_one_in_the_same_utterance() -> None:
    loud, quiet = tone(500, 1.0, 0.5), tone(500, 1.0, 0.05)  # 20 dB apart
    p = FeatureParams(level_channel=True)
    f = features(np.concatenate([quiet, loud]), p)
    assert f.shape[1] == p.n_inputs == 41
    level = f[:, -1]
    assert np.median(level[10:90]) == pytest.approx(-2.0, abs=0.2)  # tens of dB under the speech level
    assert np.median(level[110:190]) == pytest.approx(0.0, abs=0.1)
    np.testing.assert_allclose(f[:, :40], features(np.concatenate([quiet, loud]))[:, :40], atol=1e-6)


def test_level_channel_ignores_gain_and_stays_finite_in_silence() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(16000) * np.repeat([100.0, 1000.0], 8000)).astype(np.int16)  # 20 dB step
    p = FeatureParams(level_channel=True)
    np.testing.assert_allclose(
        features(x, p), features((x.astype(np.int32) * 4).astype(np.int16), p), atol=1e-2
    )
    assert np.isfinite(features(np.zeros(16000, np.int16), p)).all()


def test_manifests_without_a_level_channel_keep_the_forty_band_input() -> None:
    old = {k: v for k, v in FeatureParams().to_dict().items() if k != "level_channel"}
    assert FeatureParams.from_dict(old).n_inputs == 40


@pytest.mark.parametrize("warp", [0.9, 0.95, 1.05, 1.1])
def test_warped_filterbank_keeps_every_band_alive_and_in_order(warp: float) -> None:
    bank = mel_filterbank(FeatureParams(), warp)
    assert np.isfinite(bank).all()
    assert (bank.sum(axis=0) > 0).all()  # no band collapses at the top edge
    centres = bank.argmax(axis=0)
    assert (np.diff(centres) >= 0).all()


def test_warp_moves_a_formant_to_a_lower_band_when_above_one() -> None:
    # warp > 1 reads the spectrum as if the talker's formants sat lower: a 1 kHz tone lands a band or more
    # lower; 1.0 is the runtime's filterbank exactly.
    plain = int(np.argmax(log_mel(tone(1000)).mean(axis=0)))
    assert int(np.argmax(log_mel(tone(1000), warp=1.1).mean(axis=0))) < plain
    assert int(np.argmax(log_mel(tone(1000), warp=0.9).mean(axis=0))) > plain
    np.testing.assert_array_equal(log_mel(tone(1000), warp=1.0), log_mel(tone(1000)))
