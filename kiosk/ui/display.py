"""Make sure Kivy has a display: the real one on the device, or a private Xvfb for screenshots and tests."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)


def prepare_kivy_env(home: Path | None = None) -> None:
    """Keep Kivy from reading our command line, writing ~/.kivy, or flooding the console."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("KIVY_HOME", str(home))


def ensure_display(width: int = 1280, height: int = 800) -> subprocess.Popen[bytes] | None:
    """Start ``Xvfb`` on a free display number when there is no DISPLAY; return its process (stopped at exit)."""
    if os.environ.get("DISPLAY"):
        return None
    exe = shutil.which("Xvfb")
    if exe is None:
        raise RuntimeError(
            "no display and no Xvfb: install it with 'sudo apt-get install xvfb' (make setup does)"
        )
    for number in range(90, 140):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen(
            [exe, f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                os.environ["DISPLAY"] = f":{number}"
                atexit.register(proc.terminate)
                log.info("started Xvfb on :%d", number)
                return proc
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.terminate()
    raise RuntimeError("could not start Xvfb on any display from :90 to :139")
