"""Fixtures of the console's tests: an office on SQLite and on PostgreSQL, and headless Debian chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.office import Office, office_settings
from tests.support.outbox_fixtures import broker, central_db_url  # noqa: F401

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def office(tmp_path: Path, central_db_url: str) -> Iterator[Office]:  # noqa: F811
    o = Office(office_settings(tmp_path / "office", central_db_url), central_db_url)
    try:
        yield o
    finally:
        o.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(15000)
    try:
        yield pg
    finally:
        context.close()
