"""Commands the tests need from the system. A missing one fails the test and says what to install: a skip would
hide the missing dependency (in CI every skip fails the run anyway, tests/conftest.py)."""

from __future__ import annotations

import shutil

import pytest


def installed(command: str, package: str) -> str:
    """The path of ``command``, or the test fails naming the Debian ``package`` that provides it."""
    path = shutil.which(command)
    if path is None:
        pytest.fail(f"{command} is not installed; the tests need it (apt-get install {package})")
    return path
