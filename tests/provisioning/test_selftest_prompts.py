"""A fresh kiosk has no spoken prompts until 'kiosk prompts' renders them: selftest fails until then and names the
command, which is run here as the technician would (issue 34, finding 3)."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from provisioning.cli import main as provision
from tests.provisioning.support import init_args


def selftest_prompts(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    capsys.readouterr()
    rc = provision(["selftest", "--config", str(config), "--json", "--only", "prompts"])
    return rc, json.loads(capsys.readouterr().out)["checks"][0]


def test_selftest_fails_until_the_prompts_are_rendered_with_the_command_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    rc = provision(
        init_args(
            config, tmp_path / "d", **{"--device-id": "desa-p-01", "--kiosk-code": "103", "--languages": "id"}
        )
    )
    assert rc == 0

    rc, check = selftest_prompts(config, capsys)
    assert rc == 1 and check["status"] == "FAIL"
    assert " prompts missing (" in check["detail"] and "of id)" in check["detail"]
    missing = int(check["detail"].split()[0])
    assert missing > 200  # every prompt of the catalog and the language pack
    command = shlex.split(check["fix"].split(": ", 1)[1])
    assert command[0] == "sudo" and command[-3:-1] == ["prompts", "--config"] and command[-1] == str(config)

    done = subprocess.run(command[1:], capture_output=True, text=True, timeout=600)  # as root here already
    assert done.returncode == 0, done.stderr
    rc, check = selftest_prompts(config, capsys)
    assert rc == 0 and check["status"] == "PASS" and f"all {missing} prompts of id" in check["detail"]

    (tmp_path / "d" / "prompts" / "id" / "screen.attract.wav").unlink()  # one clip lost
    rc, check = selftest_prompts(config, capsys)
    assert rc == 1 and check["detail"].startswith("1 prompt missing (1 of id)")
