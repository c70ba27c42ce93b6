"""Language packs: which engine serves which language; missing or corrupt models switch voice off, not the
kiosk."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.speech.engines import (
    EngineUnavailable,
    LanguagePack,
    language_packs,
    load_recognizer,
    pack_for,
    recognizer_for,
)
from layanan.config import ConfigError, Settings, load_settings


def settings(**speech: object) -> Settings:
    return load_settings(env={}, overrides={"speech": speech} if speech else None)


def test_indonesian_uses_litert_with_the_model_and_manifest_in_models_dir(tmp_path: Path) -> None:
    pack = pack_for("id", settings(models_dir=str(tmp_path)))
    assert pack == LanguagePack("id", "litert", tmp_path / "digits-id.tflite", tmp_path / "manifest.json")


def test_korean_uses_vosk_with_the_packaged_model(ko_model_dir: Path) -> None:
    assert pack_for("ko", settings()) == LanguagePack("ko", "vosk", ko_model_dir)


def test_a_configured_vosk_model_adds_a_language(tmp_path: Path) -> None:
    packs = language_packs(settings(vosk_models=f"en={tmp_path}/en-model"))
    assert packs["en"] == LanguagePack("en", "vosk", tmp_path / "en-model")


def test_a_bad_vosk_models_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="LANG=DIR"):
        settings(vosk_models="just-a-path")


def test_a_language_without_an_engine_means_touch_only_with_a_logged_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert recognizer_for("xx", settings()) is None
    assert "no speech engine for language 'xx'" in caplog.text


def test_a_missing_litert_model_is_named_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="digits-id.tflite is missing"):
        load_recognizer(pack_for("id", settings(models_dir=str(tmp_path))))


def test_a_corrupt_litert_model_switches_voice_off_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "digits-id.tflite").write_bytes(b"not a flatbuffer" * 10)
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(EngineUnavailable, match="language 'id'"):
        load_recognizer(pack_for("id", settings(models_dir=str(tmp_path))))
    assert recognizer_for("id", settings(models_dir=str(tmp_path))) is None


def test_a_missing_vosk_model_directory_switches_voice_off_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="does not exist"):
        load_recognizer(pack_for("en", settings(vosk_models=f"en={tmp_path}/none")))


def test_speech_disabled_gives_no_recognizer(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert recognizer_for("ko", settings(enabled="false")) is None
    assert "disabled" in caplog.text


def test_language_packs_round_trip_through_dicts(tmp_path: Path) -> None:
    pack = LanguagePack("id", "litert", tmp_path / "m.tflite", tmp_path / "manifest.json")
    assert LanguagePack.from_dict(pack.to_dict()) == pack
    with pytest.raises(ValueError, match="engine"):
        LanguagePack("id", "whisper")


def test_digits_are_read_with_the_languages_own_digit_words() -> None:
    from kiosk.speech.engines import digits_in

    assert digits_in("satu dua kosong ya", "id") == "120"
    assert digits_in("공 일 이 [unk] 하나", "ko") == "0121"
    assert digits_in("one oh nine", "en") == "109"
    assert digits_in("satu dua", "xx") == "12"  # no list of its own: the Indonesian one
