"""Password file lines made without mosquitto_passwd are accepted by a real mosquitto, and checked the same
way."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioning.broker_passwd import check_entry, password_entry, python_entry
from tests.provisioning.support import connects
from tests.support.installed import installed
from tools.net import start_mosquitto


@pytest.mark.slow
def test_python_made_entries_let_the_right_password_in_and_keep_the_wrong_one_out(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text(python_entry("desa-py-01", "correct horse battery staple") + "\n")
    broker = start_mosquitto(
        tmp_path / "broker", ["user root", f"password_file {passwd}", "allow_anonymous false"]
    )
    try:
        assert connects(broker.port, "desa-py-01", "correct horse battery staple")
        assert not connects(broker.port, "desa-py-01", "wrong horse")
    finally:
        broker.stop()


def test_mosquitto_passwd_and_python_entries_check_the_same_way() -> None:
    installed("mosquitto_passwd", "mosquitto")
    tool = password_entry("desa-x-01", "s3cret-s3cret-s3cret", use_tool=True)
    ours = python_entry("desa-x-01", "s3cret-s3cret-s3cret")
    assert tool.startswith("desa-x-01:$7$") and ours.startswith("desa-x-01:$7$")
    assert check_entry(tool, "s3cret-s3cret-s3cret") and check_entry(ours, "s3cret-s3cret-s3cret")
    assert not check_entry(tool, "other") and not check_entry(ours, "other")
