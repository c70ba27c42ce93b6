"""The code stays as STYLE.md asks: ruff-clean, ruff-formatted, and the pure core type-checks under mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
PATHS = ["kiosk", "layanan", "central", "provisioning", "tools", "tests", "models", "firmware_config"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_finds_nothing():
    proc = run("ruff", "check", *PATHS)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_code_is_ruff_formatted():
    proc = run("ruff", "format", "--check", *PATHS)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_the_domain_type_checks_strictly():
    proc = run("mypy")
    assert proc.returncode == 0, proc.stdout[-3000:]
