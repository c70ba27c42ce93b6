"""The house stays split (STYLE.md habit 9): three deployables over one shared core, tooling and tests outside.

Every import statement of every runtime module is read (ast, so imports inside functions count too) and held
against the rules below. A rule names who may not import what, and why; a break names the file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

KIOSK_ONLY = {"kivy", "cv2", "vosk", "sounddevice", "ai_edge_litert", "tflite_runtime"}
"""Libraries of the kiosk's hardware (the office and the core install none of them)."""
NUMERIC = {"numpy"}
"""The kiosk (vision, speech) and the office (forecasts) install it; the shared core does not."""
OFFICE_ONLY = {
    "psycopg",
    "psycopg_pool",
    "starlette",
    "jinja2",
    "uvicorn",
    "argon2",
    "asgi_csrf",
    "itsdangerous",
    "multipart",
    "python_multipart",
    "statsforecast",
}
"""Libraries of the office's machine (the kiosk installs none of them)."""
IO = (
    {"sqlite3", "socket", "ssl", "subprocess", "paho", "urllib", "http", "shutil"}
    | KIOSK_ONLY
    | OFFICE_ONLY
    | NUMERIC
)
"""What the pure domain may not touch: storage, network, processes, devices."""
TOOLING = {"tests", "tools"}

RULES: list[tuple[str, set[str], str]] = [
    ("layanan/domain", IO | {"kiosk", "central", "provisioning"}, "the domain is pure: no I/O library"),
    (
        "layanan",
        KIOSK_ONLY | OFFICE_ONLY | NUMERIC | {"kiosk", "central", "provisioning"},
        "the core serves all three",
    ),
    ("kiosk", OFFICE_ONLY | {"central", "provisioning"}, "the kiosk never imports the office side"),
    ("central", KIOSK_ONLY | {"kiosk", "provisioning"}, "the office installs no Kivy, OpenCV, Vosk or audio"),
    ("provisioning", {"central"}, "the technician's tool does not need the office installed"),
]
RUNTIME = ("kiosk", "layanan", "central", "provisioning", "firmware_config")


def runtime_files(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        # kiosk/models links to models/, whose training scripts are tooling (not in the wheel)
        if "training" in path.relative_to(ROOT).parts or "models" in path.relative_to(ROOT).parts[1:2]:
            continue
        yield path


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level module) of every absolute import in the file."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def breaks(package: str, forbidden: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in runtime_files(package)
        for line, module in imports(path)
        if module in forbidden
    ]


@pytest.mark.parametrize(("package", "forbidden", "why"), RULES, ids=[rule[0] for rule in RULES])
def test_each_part_imports_only_what_its_machine_installs(
    package: str, forbidden: set[str], why: str
) -> None:
    found = breaks(package, forbidden)
    assert not found, f"{why}:\n" + "\n".join(found)


@pytest.mark.parametrize("package", RUNTIME)
def test_runtime_never_imports_tests_or_tooling(package: str) -> None:
    found = breaks(package, TOOLING)
    assert not found, "runtime code reaches into tests/ or tools/ (neither is in a wheel):\n" + "\n".join(
        found
    )


def test_the_rules_see_a_break(tmp_path: Path) -> None:
    """The reader of imports is not blind: an import inside a function, of a forbidden module, is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import cv2.dnn\n    from psycopg import sql\n")
    assert [name for _, name in imports(module)] == ["cv2", "psycopg"]


def test_every_runtime_package_is_checked() -> None:
    """A new top-level runtime package must be given rules before it can slip past them."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "tools", "models"} == set(RUNTIME)
