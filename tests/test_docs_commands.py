"""Every command of the operator's and the technician's pages runs, in order, as a person would run it.

The ```sh blocks of docs/operations.md and docs/provisioning.md run one after the other, each in its own
``bash`` with ``set -euo pipefail``, against a private Mosquitto started from the broker files the pages make, the
office receiver (``kiosk-central serve``) on SQLite, or on PostgreSQL from ``TEST_POSTGRES_URL`` in the second run,
and temporary folders in place of /etc/kiosk, /var/lib/kiosk, the USB stick and the broker's folder. Each page
says at its top which variables stand for which places; the test sets each of them to a temporary folder (and
fails if a page names one it does not know). ``sudo`` runs the command as it is (the test is root already).

Blocks tagged ```sh-root need the real machine (apt, systemctl, chown to a system user, reboot, the kiosk's
hardware) and are not run; the few whose effect the test can play itself are played: ``systemctl ... mosquitto``
(re)starts or reloads the private broker, ``systemctl ... kiosk-central`` the receiver, and the kiosk's ``sudo
reboot`` after installing its firmware starts its uploader (``kiosk uploader``), which the office must then see. At
the end the office must list the second kiosk the page registers with its own code and its telemetry: two kiosks
delivering to one office. The test reports how many blocks it skipped and requires a floor of blocks that ran, so
retagging commands cannot silence it. Other info strings (``text``, ``toml``, none) are not commands.

Two comments in a page steer the chain: ``<!-- docs-test: docs/provisioning.md -->`` in docs/operations.md is
where a new office provisions its kiosks (that page runs there), and ``<!-- docs-test: new SD card -->`` gives the
following blocks fresh kiosk folders, as a new card would. README's blocks (``make demo``, ``make test``) are the
developer's, not an operator's, and are not run here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.kiosk_env import TEST_POSTGRES_URL, drop_schema, kill, postgres_schema_url
from tools.net import Mosquitto, free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
OPERATIONS, PROVISIONING = "docs/operations.md", "docs/provisioning.md"
RUN, NOT_RUN = "sh", "sh-root"
MIN_RUN_BLOCKS = 30
"""Fewer blocks than this ran: someone retagged commands instead of fixing them."""
BLOCK_TIMEOUT_S = 120
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
MARKER = re.compile(r"<!-- docs-test: (.+?) -->")
VARIABLE = re.compile(r"^(?:export )?([A-Z_][A-Z0-9_]*)=\$\{\1:-[^}]*\}", re.M)
PRELUDE = """set -euo pipefail
sudo() {  # the test is root: run the command as it is, with its environment (sudo -u USER too)
    while [[ $# -gt 0 && $1 == -* ]]; do [[ $1 == -u ]] && shift; shift; done
    "$@"
}
"""


@dataclass(frozen=True)
class Block:
    doc: str
    line: int
    info: str
    text: str


@dataclass(frozen=True)
class Marker:
    doc: str
    line: int
    name: str


def page(doc: str) -> list[Block | Marker]:
    """A page's fenced blocks and docs-test markers, in the order they appear."""
    text = (ROOT / doc).read_text()
    items: list[tuple[int, Block | Marker]] = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        items.append((m.start(), Block(doc, line, m.group(1).strip(), m.group(2))))
    for m in MARKER.finditer(text):
        items.append((m.start(), Marker(doc, text.count("\n", 0, m.start()) + 1, m.group(1))))
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


STEPS = re.compile(r"docs/provisioning\.md steps? (\d+)(?:-(\d+))?$")
STEP_HEADING = re.compile(r"^## (\d+)\.", re.M)


def provisioning_steps(first: int, last: int) -> list[Block | Marker]:
    """The blocks of docs/provisioning.md under its headings '## N.' with first <= N <= last; step 0 also takes
    the blocks above the first step (the variables)."""
    text = (ROOT / PROVISIONING).read_text()
    starts = [(text.count("\n", 0, m.start()) + 1, int(m.group(1))) for m in STEP_HEADING.finditer(text)]

    def step_of(line: int) -> int:
        return max((n for start, n in starts if start <= line), default=0)

    return [item for item in page(PROVISIONING) if first <= step_of(item.line) <= last]


def chain() -> list[Block | Marker]:
    """docs/operations.md, with the steps of docs/provisioning.md run where its markers name them."""
    steps: list[Block | Marker] = []
    for item in page(OPERATIONS):
        m = STEPS.match(item.name) if isinstance(item, Marker) else None
        if m:
            steps += provisioning_steps(int(m.group(1)), int(m.group(2) or m.group(1)))
        else:
            steps.append(item)
    return steps


def env_for(root: Path) -> dict[str, str]:
    """The variables the pages name, each a temporary place; the rest of the environment without KIOSK_*."""
    places = {
        "USB": root / "usb",
        "BROKER_DIR": root / "office" / "mosquitto-kiosk",
        "OFFICE_ETC": root / "office" / "etc-kiosk",
        "OFFICE_DATA": root / "office" / "var-lib-kiosk-central",
        "BACKUP": root / "office" / "backup-stick",
        "DEVICE_ETC": root / "kiosk-1" / "etc-kiosk",
        "DEVICE_DATA": root / "kiosk-1" / "var-lib-kiosk",
        "FIRMWARE": root / "kiosk-1" / "firmware",
    }
    for path in places.values():
        path.mkdir(parents=True, exist_ok=True)
    # the tools read KIOSK_* variables as settings (KIOSK_DATA_DIR, KIOSK_<SECTION>_<KEY>): none may leak in
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({k: str(v) for k, v in places.items()})
    env.update(
        {
            "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(root / "home"),
            "BROKER_HOST": "127.0.0.1",
            "BROKER_PORT": str(free_port()),
            "CHECKOUT": str(ROOT),
            "KIOSK_CONFIG": str(places["OFFICE_ETC"] / "central.toml"),
            "KEYS_PASSPHRASE": "kunci kantor desa di lemari besi",
            "PYTHONUNBUFFERED": "1",
        }
    )
    (root / "home").mkdir(exist_ok=True)
    return env


@dataclass
class Machines:
    """What the skipped root commands would have started: the broker and the office receiver."""

    root: Path
    env: dict[str, str]
    broker: Mosquitto | None = None
    receiver: subprocess.Popen[bytes] | None = None
    kiosk: subprocess.Popen[bytes] | None = None
    """The current SD card's uploader, once its firmware is installed and it has rebooted."""
    played: list[str] = field(default_factory=list)

    @property
    def receiver_log(self) -> Path:
        return self.root / "receiver.log"

    def play(self, block: Block) -> None:
        for line in block.text.splitlines():
            for pattern, action in self.ACTIONS:
                if re.search(pattern, line):
                    action(self)
                    self.played.append(f"{block.doc}:{block.line} {line.strip()}")

    def start_broker(self) -> None:
        self.stop_broker()
        conf = Path(self.env["BROKER_DIR"]) / "mosquitto.conf"
        lines = [ln for ln in conf.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        port = self.env["BROKER_PORT"]
        listener = next(ln for ln in lines if ln.startswith(f"listener {port} "))
        # the test's folders are root's alone: the broker stays root to read the files there
        rest = [ln for ln in lines if ln != listener] + ["user root"]
        broker = Mosquitto(self.root / "mosquitto-run", rest, port=int(port))
        broker.listener = listener
        self.broker = broker.start()

    def reload_broker(self) -> None:
        if self.broker is None or self.broker.proc is None:
            self.start_broker()
            return
        self.broker.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # mosquitto re-reads passwd and acl between two network loops

    def stop_broker(self) -> None:
        if self.broker is not None:
            self.broker.stop()
        self.broker = None

    def start_receiver(self) -> None:
        self.stop_receiver()
        conf = Path(self.env["OFFICE_ETC"]) / "central.toml"
        seen = self.receiver_log.stat().st_size if self.receiver_log.exists() else 0
        with self.receiver_log.open("ab") as log:
            self.receiver = subprocess.Popen(
                [str(VENV_BIN / "kiosk-central"), "serve", "--config", str(conf), "-v"],
                env=self.env,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while b"receiver connected" not in self.receiver_log.read_bytes()[seen:]:
            if self.receiver.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kiosk-central serve did not connect; its log:\n{self.receiver_log.read_text()}")
            time.sleep(0.1)

    def stop_receiver(self) -> None:
        if self.receiver is not None:
            kill(self.receiver, signal.SIGTERM, timeout=15)
        self.receiver = None

    def boot_kiosk(self) -> None:
        """The rendered firmware installed and the kiosk rebooted: its uploader starts, connects with the
        kiosk's own credentials over TLS and reports at once; the office must then see the kiosk."""
        self.stop_kiosk()
        conf = Path(self.env["DEVICE_ETC"]) / "kiosk.toml"
        device = tomllib.loads(conf.read_text())["kiosk"]["device_id"]
        log_path = self.root / f"uploader-{device}.log"
        with log_path.open("ab") as log:
            self.kiosk = subprocess.Popen(
                [str(VENV_BIN / "kiosk"), "uploader", "--config", str(conf)],
                env=self.env,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.kiosk.poll() is None:
            listing = subprocess.run(
                [str(VENV_BIN / "kiosk-central"), "devices", "--json"],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            seen = {d["device_id"]: d["last_seen_s_ago"] for d in json.loads(listing.stdout or "[]")}
            if seen.get(device) is not None:
                return
            time.sleep(0.5)
        pytest.fail(
            f"after the reboot, the office never heard from {device}; its uploader's log:\n{log_path.read_text()}"
        )

    def stop_kiosk(self) -> None:
        if self.kiosk is not None:
            kill(self.kiosk, signal.SIGTERM, timeout=15)
        self.kiosk = None

    ACTIONS = (
        (r"systemctl (re)?start mosquitto\b", start_broker),
        (r"systemctl reload mosquitto\b", reload_broker),
        (r"systemctl (enable --now|start|restart) kiosk-central\b", start_receiver),
        (r"systemctl stop kiosk-central\b", stop_receiver),
        (r"sudo reboot\b", boot_kiosk),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def machines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Machines]:
    """The office on SQLite (central.toml as broker-config writes it), then on PostgreSQL: a schema of the test's
    own from TEST_POSTGRES_URL, given as KIOSK_CENTRAL_DB_URL (the setting central.db_url, over the file)."""
    running = Machines(tmp_path, env_for(tmp_path))
    schema = ""
    if request.param == "postgresql":
        url, schema = postgres_schema_url()
        running.env["KIOSK_CENTRAL_DB_URL"] = url
    try:
        yield running
        if schema:
            import psycopg

            with psycopg.connect(TEST_POSTGRES_URL) as conn:
                codes = dict(conn.execute(f"SELECT device_id, kiosk_code FROM {schema}.devices").fetchall())
            assert codes == REGISTERED, (
                f"the office's PostgreSQL schema {schema} holds {codes}, not the kiosks the pages register"
            )
        else:
            assert (Path(running.env["OFFICE_DATA"]) / "central.db").exists()
    finally:
        running.stop_kiosk()
        running.stop_receiver()
        running.stop_broker()
        if schema:
            drop_schema(schema)


REGISTERED = {"desa-91030520-01": "001", "desa-91030520-02": "001", "desa-91030521-01": "002"}
"""The kiosks the pages register, with their codes: the first, its replacement (which took over its code, the
first is disabled) and the second kiosk, in another village."""
SECOND_KIOSK = "desa-91030521-01"


def new_sd_card(env: dict[str, str], root: Path, n: int) -> None:
    for name, leaf in (
        ("DEVICE_ETC", "etc-kiosk"),
        ("DEVICE_DATA", "var-lib-kiosk"),
        ("FIRMWARE", "firmware"),
    ):
        path = root / f"kiosk-{n}" / leaf
        path.mkdir(parents=True)
        env[name] = str(path)


def run_block(block: Block, env: dict[str, str], cwd: Path, machines: Machines) -> None:
    done = subprocess.run(
        ["bash", "-c", PRELUDE + block.text],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
    )
    if done.returncode != 0:
        receiver = machines.receiver_log.read_text()[-3000:] if machines.receiver_log.exists() else ""
        pytest.fail(
            f"{block.doc} line {block.line}: the block exited {done.returncode}\n--- block\n{block.text}"
            f"--- output\n{done.stdout}{done.stderr}"
            + (f"--- receiver log (tail)\n{receiver}" if receiver else "")
        )


def test_every_page_names_only_variables_the_test_sets() -> None:
    known = set(env_for_names())
    for doc in (OPERATIONS, PROVISIONING):
        named = set(VARIABLE.findall((ROOT / doc).read_text()))
        assert named, f"{doc} sets no path variables at its top (NAME=${{NAME:-/default}})"
        assert named <= known, f"{doc} uses {sorted(named - known)}: set them in tests/test_docs_commands.py"


def test_a_failing_command_names_its_page_line_and_output(tmp_path: Path) -> None:
    machines = Machines(tmp_path, env_for(tmp_path))
    block = Block(
        "docs/example.md", 42, RUN, 'echo "ready"\nkiosk-central devices show no-such-kiosk\necho never\n'
    )
    with pytest.raises(pytest.fail.Exception) as failed:
        run_block(block, machines.env, tmp_path, machines)
    message = str(failed.value)
    assert (
        "docs/example.md line 42" in message
        and "ready" in message
        and "never" not in message.split("--- output")[1]
    )
    assert "no-such-kiosk" in message or "no database" in message  # the tool's own words


def test_blocks_and_markers_are_read_in_page_order(tmp_path: Path) -> None:
    doc = tmp_path / "page.md"
    doc.write_text(
        "# t\n\n```sh\na\n```\n\n<!-- docs-test: new SD card -->\n\n```sh-root\nb\n```\n\n```text\nc\n```\n"
    )
    items = page(str(doc))  # an absolute path: ROOT / it is it
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Block", 3),
        ("Marker", 7),
        ("Block", 9),
        ("Block", 13),
    ]
    assert [i.info for i in items if isinstance(i, Block)] == ["sh", "sh-root", "text"]


def env_for_names() -> list[str]:
    return ["USB", "BROKER_DIR", "OFFICE_ETC", "OFFICE_DATA", "BACKUP", "DEVICE_ETC", "DEVICE_DATA", "FIRMWARE",
            "BROKER_HOST", "BROKER_PORT", "CHECKOUT", "KIOSK_CONFIG"]  # fmt: skip


REAL_PLACES = (Path("/etc/kiosk"), Path("/var/lib/kiosk"), Path("/var/lib/kiosk-central"), Path("/media/usb"),
               Path("/etc/mosquitto/kiosk"), Path("/tmp/firmware"), Path("/media/backup"))  # fmt: skip
"""The defaults the variables stand for: a command that forgot its variable would write here."""


def test_every_shell_block_of_the_operator_and_technician_pages_runs(
    machines: Machines, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p for p in REAL_PLACES if p.exists()}
    try:
        run_chain(machines, tmp_path, capsys)
    finally:
        made = sorted(str(p) for p in REAL_PLACES if p.exists() and p not in before)
    assert not made, f"commands wrote to {made} instead of the folder their variable names"


def run_chain(machines: Machines, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env, work = machines.env, tmp_path / "cwd"
    work.mkdir()
    ran: list[Block] = []
    skipped: list[Block] = []
    cards = 1
    for step in chain():
        if isinstance(step, Marker):
            assert step.name == "new SD card", (
                f"{step.doc} line {step.line}: unknown docs-test marker {step.name!r}"
            )
            cards += 1
            # the old card is out (or, for a second kiosk, the test runs one uploader at a time: the
            # earlier kiosk's stops, and the office still lists it from its last report)
            machines.stop_kiosk()
            new_sd_card(env, tmp_path, cards)
            continue
        if step.info == RUN:
            run_block(step, env, work, machines)
            ran.append(step)
        elif step.info == NOT_RUN:
            machines.play(step)
            skipped.append(step)
    with capsys.disabled():
        print(
            f"\ndocs commands: {len(ran)} sh blocks ran; {len(skipped)} sh-root blocks skipped "
            f"({', '.join(f'{b.doc}:{b.line}' for b in skipped)}); played: {len(machines.played)}"
        )
    for doc in (OPERATIONS, PROVISIONING):
        assert any(b.doc == doc for b in ran), f"no sh block of {doc} ran"
        visited = sorted(b.line for b in ran + skipped if b.doc == doc)
        every = sorted(b.line for b in page(doc) if isinstance(b, Block) and b.info in (RUN, NOT_RUN))
        assert visited == every, (
            f"{doc}: blocks at lines {sorted(set(every) ^ set(visited))} ran twice or never"
        )
    assert_second_kiosk_delivers(env)
    assert len(ran) >= MIN_RUN_BLOCKS, (
        f"only {len(ran)} sh blocks ran ({len(skipped)} sh-root skipped): commands a person runs belong in sh "
        "blocks; sh-root is for the real machine's root and hardware only"
    )


def assert_second_kiosk_delivers(env: dict[str, str]) -> None:
    """At the end of the chain the office still lists the second kiosk with its own code, and has its telemetry
    (heard after its reboot): two kiosks delivering to one office."""
    listing = subprocess.run(
        [str(VENV_BIN / "kiosk-central"), "devices", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    rows = {r["device_id"]: r for r in json.loads(listing.stdout)}
    assert {d: r["kiosk_code"] for d, r in rows.items()} == REGISTERED, rows
    second = rows[SECOND_KIOSK]
    assert not second["disabled"] and second["last_seen_s_ago"] is not None, second
    assert second["versions"].get("sw"), f"the office has no telemetry of {SECOND_KIOSK}: {second}"
