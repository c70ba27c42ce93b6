"""The life of a request at the office: states, the SLA due date, who may see it, and the inbox queries.

States (DESIGN.md, the office side)::

    diterima -> diproses -> siap_diambil -> selesai
        |           |  \\-> selesai
        +-----------+----> ditolak (with a reason the kiosk reads out)

A request becomes a *case* when the indexer (``central.indexer``) has seen it: its office and SLA due date from
the catalog, its village from the device registry, and the NIK's blind index. Every query here is scoped to what
a user may see (area prefix and office), so a URL typed by hand shows nothing more than the inbox does.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from central.accounts import User
from central.db import Cursor, Database

STATES = ("diterima", "diproses", "siap_diambil", "selesai", "ditolak")
NEXT: dict[str, tuple[str, ...]] = {
    "diterima": ("diproses", "ditolak"),
    "diproses": ("siap_diambil", "selesai", "ditolak"),
    "siap_diambil": ("selesai",),
    "selesai": (),
    "ditolak": (),
}
REASONS = ("dokumen_kurang", "data_tidak_sesuai", "bukan_wewenang", "ganda", "lainnya")
"""Why a request was refused: codes whose words (per language) are in the language pack."""
PAGE = 50
OVERDUE_CAP = 1000
_CURSOR = re.compile(r"^(\d{4}-\d{2}-\d{2})~(\d+(?:\.\d+)?)~([0-9a-f-]{36})$")
_TICKET = re.compile(r"^(\d{7}|[A-Z]-\d{4})$")
"""A ticket as stored: 7 digits (``1230427``, typed as ``123 0427``) or an old code (``K-0427``)."""
_NIK = re.compile(r"^\d{16}$")


class QueryError(ValueError):
    """A filter or cursor from the URL is malformed: the page answers 400 with this message."""


@dataclass(frozen=True)
class Case:
    msg_id: str
    device_id: str
    ticket: str
    service_id: str
    office: str
    village_code: str
    received_at: float
    due_date: str
    state: str
    state_at: float
    reason: str
    lang: str = "id"

    def overdue(self, today: dt.date) -> bool:
        return self.state in ("diterima", "diproses") and self.due_date < today.isoformat()

    @property
    def cursor(self) -> str:
        return f"{self.due_date}~{self.received_at!r}~{self.msg_id}"


_CASE_COLS = (
    "c.msg_id, c.device_id, c.ticket, c.service_id, c.office, c.village_code, c.received_at, c.due_date,"
    " c.state, c.state_at, c.reason"
)


def _case(row: Sequence[Any]) -> Case:
    return Case(*row[:11]) if len(row) == 11 else Case(*row[:11], lang=row[11])


def scope(user: User) -> tuple[list[str], list[Any]]:
    """SQL conditions (on alias ``c``) limiting cases to what ``user`` may see."""
    where: list[str] = []
    params: list[Any] = []
    if user.area:
        # a range on the code keeps an index usable; '/' sorts right after '.' (byte order: COLLATE "C" on PG)
        where.append("(c.village_code = ? OR (c.village_code > ? AND c.village_code < ?))")
        params += [user.area, user.area + ".", user.area + "/"]
    if user.office:
        where.append("c.office = ?")
        params.append(user.office)
    return where, params


@dataclass(frozen=True)
class Filters:
    state: str = "diterima"
    service: str = ""
    village: str = ""
    older_than_days: int | None = None
    overdue: bool = False
    after: str = ""

    @classmethod
    def parse(cls, query: dict[str, str], services: Sequence[str]) -> Filters:
        """From the URL's query; QueryError names the bad parameter."""
        state = query.get("state", "diterima") or "diterima"
        if state not in STATES:
            raise QueryError(f"state={state!r}: use one of {', '.join(STATES)}")
        service = query.get("service", "")
        if service and service not in services:
            raise QueryError(f"service={service!r} is not a service of the catalog")
        village = query.get("village", "").strip()
        if village and not re.fullmatch(r"\d{2}(\.\d{2}){0,2}(\.\d{4})?", village):
            raise QueryError(
                f"village={village!r}: use a kode wilayah such as 91.03.05.2001 or a prefix of it"
            )
        age = query.get("age", "")
        older = None
        if age:
            if not age.isdigit() or int(age) > 3650:
                raise QueryError(f"age={age!r}: use a whole number of days from 0 to 3650")
            older = int(age)
        overdue = query.get("overdue", "")
        if overdue not in ("", "1"):
            raise QueryError(f"overdue={overdue!r}: use 1 or leave it out")
        after = query.get("after", "")
        if after and not _CURSOR.match(after):
            raise QueryError("after: not a page cursor of this inbox; start again from the first page")
        return cls(state, service, village, older, overdue == "1", after)

    def as_query(self, **change: Any) -> dict[str, str]:
        values = {
            "state": self.state,
            "service": self.service,
            "village": self.village,
            "age": "" if self.older_than_days is None else str(self.older_than_days),
            "overdue": "1" if self.overdue else "",
            "after": self.after,
        }
        values.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in values.items() if v}


def inbox(db: Database, user: User, f: Filters, today: dt.date, now: float | None = None) -> list[Case]:
    """One page of the inbox, sorted by SLA due date, then arrival; keyset pagination by ``f.after``."""
    where, params = scope(user)
    where.append("c.state = ?")
    params.append(f.state)
    if f.service:
        where.append("c.service_id = ?")
        params.append(f.service)
    if f.village:
        where.append("(c.village_code = ? OR (c.village_code > ? AND c.village_code < ?))")
        params += [f.village, f.village + ".", f.village + "/"]
    if f.older_than_days is not None:
        where.append("c.received_at < ?")
        params.append((time.time() if now is None else now) - f.older_than_days * 86400)
    if f.overdue:
        where.append("c.due_date < ?")
        params.append(today.isoformat())
    if f.after:
        m = _CURSOR.match(f.after)
        assert m is not None
        where.append("(c.due_date, c.received_at, c.msg_id) > (?, ?, ?)")
        params += [m.group(1), float(m.group(2)), m.group(3)]
    sql = (
        f"SELECT {_CASE_COLS} FROM cases c WHERE {' AND '.join(where)}"
        " ORDER BY c.due_date, c.received_at, c.msg_id LIMIT ?"
    )
    return [_case(r) for r in db.query(sql, (*params, PAGE + 1))]


def inbox_sql(user: User, f: Filters, today: dt.date) -> tuple[str, list[Any]]:
    """The inbox query as text (for the benchmark's EXPLAIN)."""
    captured: dict[str, Any] = {}

    class _Capture:
        def query(self, sql: str, params: Sequence[Any]) -> list[Any]:
            captured["sql"], captured["params"] = sql, list(params)
            return []

    inbox(_Capture(), user, f, today)  # type: ignore[arg-type]
    return captured["sql"], captured["params"]


def get(db: Database, user: User, msg_id: str) -> Case | None:
    """One case, or None when it does not exist or ``user`` may not see it (the page says 404 either way)."""
    where, params = scope(user)
    where.append("c.msg_id = ?")
    row = db.one(
        f"SELECT {_CASE_COLS}, r.lang FROM cases c JOIN requests r ON r.msg_id = c.msg_id WHERE {' AND '.join(where)}",
        (*params, msg_id),
    )
    return None if row is None else _case(row)


def search(db: Database, user: User, text: str, nik_index: Any) -> list[Case]:
    """By ticket code (``123 0427``, or an old ``K-0427`` of every kiosk of the area) or by NIK through its blind
    index."""
    text = text.strip().upper().replace(" ", "")
    if re.fullmatch(r"[A-Z]\d{4}", text):  # an old code typed without its hyphen
        text = f"{text[0]}-{text[1:]}"
    where, params = scope(user)
    if _TICKET.match(text):
        where.append("c.ticket = ?")
        params.append(text)
    elif _NIK.match(text):
        if nik_index is None:
            raise QueryError("searching by NIK needs the office's NIK index secret, which is not readable")
        where.append("c.nik_index = ?")
        params.append(nik_index(text))
    else:
        raise QueryError("search: type a ticket code such as 123 0427 (or an old K-0427) or a 16-digit NIK")
    sql = (
        f"SELECT {_CASE_COLS} FROM cases c WHERE {' AND '.join(where)} ORDER BY c.received_at DESC LIMIT 100"
    )
    return [_case(r) for r in db.query(sql, params)]


def history(db: Database, msg_id: str) -> list[tuple[float, str, str, str]]:
    """(at, actor, state, reason), oldest first."""
    return [
        (float(r[0]), r[1], r[2], r[3])
        for r in db.query(
            "SELECT at, actor, state, reason FROM case_history WHERE msg_id = ? ORDER BY id", (msg_id,)
        )
    ]


def check_change(case: Case, new_state: str, reason: str) -> str:
    """'' when ``case`` may move to ``new_state``; else the problem (a key of the language pack)."""
    if new_state not in STATES:
        return "err.state_unknown"
    if new_state not in NEXT[case.state]:
        return "err.state_not_allowed"
    if new_state == "ditolak" and reason not in REASONS:
        return "err.reason_needed"
    return ""


def set_state(cur: Cursor, case: Case, new_state: str, reason: str, actor: str, now: float) -> None:
    """Move one case (the caller checked it with ``check_change`` and holds the transaction)."""
    reason = reason if new_state == "ditolak" else ""
    cur.execute(
        "UPDATE cases SET state = ?, state_at = ?, reason = ? WHERE msg_id = ?",
        (new_state, now, reason, case.msg_id),
    )
    cur.execute(
        "INSERT INTO case_history (msg_id, at, actor, state, reason) VALUES (?, ?, ?, ?, ?)",
        (case.msg_id, now, actor, new_state, reason),
    )
    # the receiver's own status column, read by 'kiosk-central export'
    cur.execute(
        "UPDATE requests SET status = ?, status_at = ? WHERE msg_id = ?", (new_state, now, case.msg_id)
    )


def counts_overdue(db: Database, user: User, today: dt.date, cap: int = OVERDUE_CAP) -> dict[str, int]:
    """Overdue requests per open state (for the tabs), counted up to ``cap`` (the page says "999+"): an exact
    count of a large backlog would cost more than the page itself."""
    out = {}
    for state in ("diterima", "diproses"):
        where, params = scope(user)
        where += ["c.state = ?", "c.due_date < ?"]
        row = db.one(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE {' AND '.join(where)} LIMIT ?) AS late",
            (*params, state, today.isoformat(), cap),
        )
        if row and row[0]:
            out[state] = int(row[0])
    return out
