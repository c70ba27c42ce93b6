"""The office schema's versioned migrations, the same on SQLite and PostgreSQL.

The receiver's tables (requests, devices, telemetry, dead letters, attachments) are created by ``central.store``;
everything the office console adds (accounts, the append-only audit log, the life of each request with its SLA
and blind index, status updates and their acks, telemetry history) is a numbered migration here. ``upgrade``
applies those not yet in ``schema_version``, each in the same transaction as its row there, under a lock so two
processes starting together apply each one once. A statement may differ per dialect (``{pg: ..., sqlite: ...}``);
the version numbers never do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from central.db import POSTGRES, SQLITE, Cursor

log = logging.getLogger(__name__)

Statement = str | Mapping[str, str]

_TYPES = {
    SQLITE: {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB", "code": "TEXT"},
    POSTGRES: {"serial": "BIGSERIAL PRIMARY KEY", "blob": "BYTEA", "code": 'TEXT COLLATE "C"'},
}

MIGRATIONS: tuple[tuple[int, str, tuple[Statement, ...]], ...] = (
    (
        1,
        "accounts and the append-only audit log",
        (
            """CREATE TABLE users (
                id {serial}, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, area {code} NOT NULL DEFAULT '',
                office TEXT NOT NULL DEFAULT '', password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0, next_try_at DOUBLE PRECISION NOT NULL DEFAULT 0,
                locked INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 1,
                created_at DOUBLE PRECISION NOT NULL)""",
            """CREATE TABLE audit_log (
                id {serial}, at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                ticket TEXT NOT NULL DEFAULT '', msg_id TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',
                remote TEXT NOT NULL DEFAULT '')""",
            "CREATE INDEX audit_log_at ON audit_log (at, id)",
            "CREATE INDEX audit_log_msg ON audit_log (msg_id, id)",
            {
                SQLITE: "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                POSTGRES: "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
            },
            {
                SQLITE: "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                POSTGRES: "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
            },
        ),
    ),
    (
        2,
        "the life of each request: state, SLA due date, area, office, NIK blind index; state history",
        (
            """CREATE TABLE cases (
                msg_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, ticket TEXT NOT NULL, service_id TEXT NOT NULL,
                office TEXT NOT NULL, village_code {code} NOT NULL DEFAULT '', received_at DOUBLE PRECISION NOT NULL,
                due_date TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'diterima', state_at DOUBLE PRECISION NOT NULL,
                reason TEXT NOT NULL DEFAULT '', nik_index TEXT, opened INTEGER NOT NULL DEFAULT 0)""",
            "CREATE INDEX cases_state_due ON cases (state, due_date, received_at, msg_id)",
            "CREATE INDEX cases_office_state_due ON cases (office, state, due_date, received_at, msg_id)",
            "CREATE INDEX cases_village ON cases (village_code, state, due_date, received_at, msg_id)",
            "CREATE INDEX cases_nik ON cases (nik_index)",
            "CREATE INDEX cases_ticket ON cases (ticket)",
            # the indexer looks for new requests by arrival time (the receiver's table, an index only)
            "CREATE INDEX IF NOT EXISTS requests_received ON requests (received_at)",
            """CREATE TABLE case_history (
                id {serial}, msg_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL,
                state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '')""",
            "CREATE INDEX case_history_msg ON case_history (msg_id, id)",
        ),
    ),
    (
        3,
        "status updates sent to the kiosks and their acknowledgements",
        (
            """CREATE TABLE status_updates (
                id {serial}, msg_id TEXT NOT NULL, device_id TEXT NOT NULL, ticket TEXT NOT NULL,
                state TEXT NOT NULL, text TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                sends INTEGER NOT NULL DEFAULT 0, sent_at DOUBLE PRECISION, next_at DOUBLE PRECISION NOT NULL,
                acked_at DOUBLE PRECISION)""",
            "CREATE INDEX status_updates_msg ON status_updates (msg_id, id)",
            "CREATE INDEX status_updates_due ON status_updates (acked_at, next_at)",
        ),
    ),
    (
        4,
        "telemetry history (kept by a trigger on the receiver's telemetry table, at most one row per 10 min)",
        (
            """CREATE TABLE telemetry_log (
                device_id TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (device_id, received_at))""",
            {
                SQLITE: """CREATE TRIGGER telemetry_log_insert AFTER INSERT ON telemetry
                    WHEN NOT EXISTS (SELECT 1 FROM telemetry_log WHERE device_id = NEW.device_id
                                     AND received_at > NEW.received_at - 600)
                    BEGIN INSERT OR IGNORE INTO telemetry_log VALUES (NEW.device_id, NEW.received_at, NEW.data);
                    END""",
                POSTGRES: """CREATE FUNCTION telemetry_log_keep() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF NOT EXISTS (SELECT 1 FROM telemetry_log WHERE device_id = NEW.device_id
                                     AND received_at > NEW.received_at - 600) THEN
                        INSERT INTO telemetry_log VALUES (NEW.device_id, NEW.received_at, NEW.data)
                        ON CONFLICT DO NOTHING;
                      END IF;
                      RETURN NEW;
                    END $$""",
            },
            {
                SQLITE: """CREATE TRIGGER telemetry_log_update AFTER UPDATE ON telemetry
                    WHEN NOT EXISTS (SELECT 1 FROM telemetry_log WHERE device_id = NEW.device_id
                                     AND received_at > NEW.received_at - 600)
                    BEGIN INSERT OR IGNORE INTO telemetry_log VALUES (NEW.device_id, NEW.received_at, NEW.data);
                    END""",
                POSTGRES: "CREATE TRIGGER telemetry_log_keep AFTER INSERT OR UPDATE ON telemetry "
                "FOR EACH ROW EXECUTE FUNCTION telemetry_log_keep()",
            },
        ),
    ),
    (
        5,
        "what the office did with a dead letter (the receiver's table stays as it wrote it)",
        (
            """CREATE TABLE dead_letter_actions (
                dead_id BIGINT PRIMARY KEY, action TEXT NOT NULL, actor TEXT NOT NULL,
                at DOUBLE PRECISION NOT NULL)""",
        ),
    ),
)

MIGRATIONS += (
    (
        6,
        "transparency and forecasts: kiosk hours online, the published aggregates, stock, staff, forecast runs",
        (
            # hours (since the epoch, UTC) in which a kiosk was heard from: the public page's availability and
            # the forecast's missing weeks (telemetry_log keeps a month; this keeps every hour, one row each)
            """CREATE TABLE kiosk_hours (
                device_id TEXT NOT NULL, hour BIGINT NOT NULL, PRIMARY KEY (device_id, hour))""",
            # what /publik shows, already suppressed: NULL with a note ('lt5': under 5, 'x': hidden so that a
            # total cannot reveal a small cell) where a count is not published
            """CREATE TABLE public_cells (
                area {code} NOT NULL, level TEXT NOT NULL, parent {code} NOT NULL, service TEXT NOT NULL,
                received INTEGER, received_note TEXT NOT NULL DEFAULT '',
                completed INTEGER, completed_note TEXT NOT NULL DEFAULT '',
                backlog INTEGER, backlog_note TEXT NOT NULL DEFAULT '',
                median_days DOUBLE PRECISION, within_sla DOUBLE PRECISION, oldest_days DOUBLE PRECISION,
                availability DOUBLE PRECISION, kiosks INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (area, service))""",
            "CREATE INDEX public_cells_parent ON public_cells (parent, service, area)",
            """CREATE TABLE public_weeks (
                area {code} NOT NULL, week TEXT NOT NULL,
                received INTEGER, received_note TEXT NOT NULL DEFAULT '',
                completed INTEGER, completed_note TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (area, week))""",
            """CREATE TABLE public_meta (
                id INTEGER PRIMARY KEY, refreshed_at DOUBLE PRECISION NOT NULL, period_start TEXT NOT NULL,
                period_end TEXT NOT NULL, requests INTEGER NOT NULL, seconds DOUBLE PRECISION NOT NULL)""",
            # supervisors' records: stock on hand per kecamatan and supply, staff days available per week
            """CREATE TABLE stock (
                kecamatan {code} NOT NULL, supply TEXT NOT NULL, on_hand INTEGER NOT NULL,
                at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (kecamatan, supply))""",
            """CREATE TABLE staff (
                kecamatan {code} PRIMARY KEY, days_per_week DOUBLE PRECISION NOT NULL,
                at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL)""",
            # forecasts saved by 'kiosk-central forecast --save' for the console's plan page (kecamatan level)
            """CREATE TABLE forecast_runs (
                id {serial}, made_at DOUBLE PRECISION NOT NULL, first_week TEXT NOT NULL,
                horizon INTEGER NOT NULL, source TEXT NOT NULL, series INTEGER NOT NULL)""",
            """CREATE TABLE forecast_weeks (
                run_id BIGINT NOT NULL, area {code} NOT NULL, item TEXT NOT NULL, step INTEGER NOT NULL,
                model TEXT NOT NULL, mean DOUBLE PRECISION NOT NULL, lo80 DOUBLE PRECISION NOT NULL,
                hi80 DOUBLE PRECISION NOT NULL, PRIMARY KEY (run_id, area, item, step))""",
            """CREATE TABLE forecast_totals (
                run_id BIGINT NOT NULL, area {code} NOT NULL, item TEXT NOT NULL, weeks INTEGER NOT NULL,
                level DOUBLE PRECISION NOT NULL, mean DOUBLE PRECISION NOT NULL, upper DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (run_id, area, item, weeks, level))""",
        ),
    ),
)

MIGRATIONS += (
    (
        7,
        "tickets unique within the office: find a ticket without its kiosk, and a kiosk by its code",
        (
            # devices.kiosk_code itself is added by the receiver's own schema check (central.store), which
            # reads it; here the look-ups get their indexes
            "CREATE INDEX IF NOT EXISTS requests_ticket ON requests (ticket, received_at)",
            "CREATE INDEX IF NOT EXISTS devices_kiosk_code ON devices (kiosk_code)",
        ),
    ),
)

LATEST = MIGRATIONS[-1][0]


def _render(statement: Statement, dialect: str) -> str:
    text = statement[dialect] if isinstance(statement, Mapping) else statement
    return text.format(**_TYPES[dialect])


def upgrade(cur: Cursor) -> list[int]:
    """Apply the migrations not yet applied, in one transaction the caller holds; the versions applied."""
    if cur.dialect == POSTGRES:
        cur.execute("SELECT pg_advisory_xact_lock(4243)")
    cur.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
    )
    done = {int(r[0]) for r in cur.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, statements in MIGRATIONS:
        if version in done:
            continue
        for statement in statements:
            cur.execute(_render(statement, cur.dialect))
        cur.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
            (version, name, time.time()),
        )
        applied.append(version)
        # on an empty database the caller says it once (central.compose.store); on an older one, each step
        log.log(
            logging.INFO if done else logging.DEBUG, "office schema: applied migration %d (%s)", version, name
        )
    return applied


def upgrade_connection(conn: Any, dialect: str) -> list[int]:
    """``upgrade`` on a store's own connection (sqlite3 in autocommit mode, or psycopg with autocommit)."""
    if dialect == SQLITE:
        raw = conn.cursor()
        raw.execute("BEGIN IMMEDIATE")
        try:
            applied = upgrade(Cursor(raw, SQLITE))
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        finally:
            raw.close()
        return applied
    with conn.transaction(), conn.cursor() as raw:
        return upgrade(Cursor(raw, POSTGRES))


def upgrade_store(store: Any) -> list[int]:
    """The one call where the office opens its store (``central.compose.store``)."""
    import sqlite3

    return upgrade_connection(store.conn, SQLITE if isinstance(store.conn, sqlite3.Connection) else POSTGRES)
