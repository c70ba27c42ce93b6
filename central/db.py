"""The office console's database access: one small ``Database`` over SQLite or PostgreSQL with a connection pool.

The receiver keeps its own connections (``central.store``); the web workers share a pool: ``psycopg_pool`` for
PostgreSQL, one SQLite connection per worker thread. SQL is written once with ``?`` placeholders and turned into
``%s`` for psycopg. ``?schema=NAME`` on a PostgreSQL URL sets the search path, as it does for the store.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

SQLITE, POSTGRES = "sqlite", "postgresql"


class DatabaseDown(RuntimeError):
    """The database cannot be reached (the console shows a clear page; the receiver keeps its own retry)."""


def is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) or type(exc).__module__.split(".")[0] in ("psycopg", "psycopg_pool")


class Database:
    """``query``/``execute`` in their own transaction, or ``tx()`` for several statements in one."""

    def __init__(self, url: str, default_dir: Path | None = None, pool_size: int = 8) -> None:
        parsed = urlparse(url) if url else None
        self._local = threading.local()
        self._pool: Any = None
        if parsed is None or parsed.scheme == "sqlite":
            self.dialect = SQLITE
            self.path = (
                (default_dir or Path.cwd()) / "central.db"
                if parsed is None
                else Path(parsed.path if parsed.netloc == "" else parsed.netloc + parsed.path)
            )
        elif parsed.scheme in ("postgresql", "postgres"):
            from psycopg_pool import ConnectionPool

            self.dialect = POSTGRES
            query = dict(parse_qsl(parsed.query))
            schema = query.pop("schema", "")
            if schema and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
                raise ValueError(f"schema {schema!r}: use lower-case letters, digits and '_'")
            conninfo = urlunparse(parsed._replace(query=urlencode(query)))

            def configure(conn: Any) -> None:
                conn.autocommit = True
                if schema:
                    conn.execute(f"SET search_path TO {schema}")

            self._pool = ConnectionPool(
                conninfo,
                min_size=1,
                max_size=pool_size,
                configure=configure,
                open=False,
                timeout=5.0,
                reconnect_timeout=5.0,
                name="office-web",
            )
            self._pool.open(wait=False)
        else:
            raise ValueError(f"database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")

    # --- connections ---------------------------------------------------------------------------------------------

    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if not self.path.parent.exists():
                raise DatabaseDown(f"{self.path.parent} does not exist")
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    def sql(self, text: str) -> str:
        return text if self.dialect == SQLITE else text.replace("?", "%s")

    @contextmanager
    def tx(self) -> Iterator[Cursor]:
        """One transaction; the cursor converts ``?`` placeholders."""
        try:
            if self.dialect == SQLITE:
                conn = self._sqlite()
                cur = conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield Cursor(cur, self.dialect)
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                finally:
                    cur.close()
            else:
                with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                    yield Cursor(cur, self.dialect)
        except Exception as exc:
            if is_database_error(exc) and not isinstance(exc, DatabaseDown) and _is_down(exc):
                raise DatabaseDown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
            raise

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.tx() as cur:
            return cur.execute(text, params).fetchall()

    def one(self, text: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.query(text, params)
        return rows[0] if rows else None

    def execute(self, text: str, params: Sequence[Any] = ()) -> int:
        with self.tx() as cur:
            return cur.execute(text, params).rowcount

    def explain(self, text: str, params: Sequence[Any] = ()) -> str:
        """The query plan (for the benchmark): PostgreSQL's EXPLAIN ANALYZE, SQLite's EXPLAIN QUERY PLAN."""
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if self.dialect == POSTGRES else "EXPLAIN QUERY PLAN "
        rows = self.query(prefix + text, params)
        return "\n".join(str(r[-1]) for r in rows)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _is_down(exc: BaseException) -> bool:
    """Connection-level failures (server down, pool timeout, file unreachable), not a bad statement."""
    name = type(exc).__name__
    if name in ("OperationalError", "PoolTimeout", "InterfaceError"):
        text = str(exc).lower()
        return not ("syntax" in text or "no such column" in text or "no such table" in text)
    return False


class Cursor:
    """A DB-API cursor that takes ``?`` placeholders on both databases."""

    def __init__(self, cur: Any, dialect: str) -> None:
        self._cur, self.dialect = cur, dialect

    def execute(self, text: str, params: Sequence[Any] = ()) -> Cursor:
        self._cur.execute(text if self.dialect == SQLITE else text.replace("?", "%s"), tuple(params))
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cur.fetchall())

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cur.fetchone()
        return None if row is None else tuple(row)

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)
