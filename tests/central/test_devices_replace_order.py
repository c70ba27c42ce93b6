"""``devices import --replace FILE`` (the flag before the file) lets ``--replace`` take the file as the old kiosk's
id; the command says so and how to write it, instead of only asking for a file that was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from central import compose
from central.cli import main as central
from layanan.config import load_settings


def test_replace_before_the_file_says_to_put_the_file_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    compose.store(load_settings(None, env={}, overrides={"kiosk": {"data_dir": str(tmp_path)}}), db).close()
    record = tmp_path / "desa-x-01.register.png"
    rc = central(["devices", "import", "--replace", str(record), "--db", db, "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"--replace took {record}" in err and "devices import FILE --replace [OLD]" in err
