"""Settings layers: file < KIOSK_* environment < flags; unknown keys and bad values are refused by name."""

from __future__ import annotations

import pytest

from layanan.config import ConfigError, load_settings, parse_set_flags, to_toml
from tests.support.cli import kiosk


def test_embedded_defaults_work_without_any_file():
    settings = load_settings(env={})
    assert settings.kiosk.lang == "id" and settings.kiosk.broker_url.startswith("mqtt://")


def test_layers_override_in_order(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[kiosk]\nlang = "en"\ndevice_id = "desa-file"\n[mqtt]\nkeepalive_s = 300\n')
    env = {"KIOSK_DEVICE_ID": "desa-env", "KIOSK_MQTT_KEEPALIVE_S": "200"}
    settings = load_settings(path, env=env, overrides={"kiosk": {"device_id": "desa-flag"}})
    assert settings.kiosk.lang == "en"
    assert settings.kiosk.device_id == "desa-flag"
    assert settings.mqtt.keepalive_s == 200


def test_written_config_reads_back_the_same(tmp_path):
    settings = load_settings(env={"KIOSK_LANG": "en", "KIOSK_LANGUAGES": "en,id"})
    path = tmp_path / "kiosk.toml"
    path.write_text(to_toml(settings))
    assert load_settings(path, env={}) == settings


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[kiosk]\ncolour = 1\n", {}, "unknown key 'kiosk.colour'"),
        ("[screen]\nx = 1\n", {}, "unknown section [screen]"),
        ("[kiosk]\nwidth = 10\n", {}, "kiosk.width = 10 is not valid: use a width from 320 to 4096"),
        ('[kiosk]\nwidth = "wide"\n', {}, "kiosk.width = 'wide' is not valid"),
        ("[kiosk]\nlang = \n", {}, "not valid TOML"),
        ("", {"KIOSK_BROKER_URL": "http://x"}, "environment: kiosk.broker_url = 'http://x' is not valid"),
        ("", {"KIOSK_FULLSCREEN": "maybe"}, "expected true or false"),
    ],
)
def test_bad_config_is_refused_naming_key_and_reason(tmp_path, toml, env, message):
    path = tmp_path / "kiosk.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(path, env=env)
    assert message in str(err.value)


def test_set_flags_must_name_section_and_key():
    assert parse_set_flags(["mqtt.keepalive_s=60"]) == {"mqtt": {"keepalive_s": "60"}}
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_set_flags(["keepalive=60"])


def test_every_command_refuses_a_corrupt_config_with_exit_2(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[kiosk]\ndevice_id = "Not Valid"\n')
    proc = kiosk("config", "--config", str(path), timeout=60)
    assert proc.returncode == 2 and "kiosk.device_id" in proc.stderr
