"""The broker password never shows in a process list: mosquitto_passwd gets it on stdin, and a real mosquitto
accepts what it wrote (issue 33, item 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.provisioning.support import connects
from tests.support.installed import installed
from tools.net import Mosquitto

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys
spawned = []


def record(event, args):
    # every way Python starts a process: its full argument vector
    if event == "subprocess.Popen":
        argv = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
        spawned.append([str(a) for a in argv])
    elif event in ("os.exec", "os.posix_spawn", "os.spawn"):
        spawned.append([str(a) for a in args[1]])
    elif event == "os.system":
        spawned.append([str(args[0])])


sys.addaudithook(record)
from provisioning.broker_passwd import password_entry
from provisioning.cli import main

out, password = sys.argv[1], sys.argv[2]
entry = password_entry("desa-argv-01", password, use_tool=True)
rc = main(["broker-config", out + "/broker", "--port", "18883"])
json.dump({"entry": entry, "rc": rc, "spawned": spawned}, open(out + "/result.json", "w"))
"""


def test_the_broker_password_is_in_no_child_process_argv_and_mosquitto_accepts_the_file(
    tmp_path: Path,
) -> None:
    tool = installed("mosquitto_passwd", "mosquitto")
    password = "Rahasia-" + os.urandom(12).hex()
    # a mosquitto_passwd first on PATH that writes down its own argv, then runs the real one
    shim_dir, tool_log = tmp_path / "bin", tmp_path / "tool-argv.log"
    shim_dir.mkdir()
    shim = shim_dir / "mosquitto_passwd"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$0" "$@" >> {tool_log}\nexec {tool} "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shim_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), password], cwd=ROOT, env=env, check=True, timeout=120
    )
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["rc"] == 0
    central_password = (tmp_path / "broker" / "central.password").read_text().strip()

    tool_calls = [argv for argv in result["spawned"] if argv and argv[0].endswith("mosquitto_passwd")]
    assert len(tool_calls) == 2, result["spawned"]  # the device's entry and broker-config's central entry
    for argv in result["spawned"]:
        assert not [a for a in argv if password in a or central_password in a], argv
    seen_by_tool = tool_log.read_text()
    assert seen_by_tool.count("desa-argv-01") == 1 and "central" in seen_by_tool
    assert password not in seen_by_tool and central_password not in seen_by_tool

    passwd = tmp_path / "passwd"
    central_entry = next(
        line
        for line in (tmp_path / "broker" / "passwd").read_text().splitlines()
        if line.startswith("central:")
    )
    passwd.write_text(f"{result['entry']}\n{central_entry}\n")
    broker = Mosquitto(
        tmp_path / "mosquitto",
        [f"password_file {passwd}", "allow_anonymous false", "user root"],
        persistence=False,
    ).start()
    try:
        assert connects(broker.port, "desa-argv-01", password)
        assert connects(broker.port, "central", central_password)
        assert not connects(broker.port, "desa-argv-01", password + "x")
    finally:
        broker.stop()


def test_a_password_that_is_not_one_line_is_refused_before_mosquitto_passwd_runs() -> None:
    installed("mosquitto_passwd", "mosquitto")
    from provisioning.broker_passwd import password_entry

    for bad in ("", "two\nlines", "cr\rhere"):
        with pytest.raises(ValueError, match="one non-empty line"):
            password_entry("desa-argv-02", bad, use_tool=True)
