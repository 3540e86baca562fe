"""The web state of an SQLite archive (``gavel serve``'s signing key, sessions and wrong logins, see
:mod:`.web_state`) in a small SQLite file of its own beside the archive: ``archive.db`` -> ``archive.db-web``.

Why a file of its own: SQLite has one write lock per database file, and ``gavel import`` holds the archive's for
as long as it stores a meeting (one transaction per meeting, so that a meeting is never seen half stored and a
killed import leaves none half stored). A sign-in or sign-out is a write; in the archive it waited for the
import's transaction to end (seconds for a long meeting, up to the 30 s busy timeout). Here it waits only for
the other web workers' sign-ins, which take a millisecond.

The file is made readable by its owner only (mode 0600, as are SQLite's ``-wal`` and ``-shm`` files beside it),
since it holds the key that signs session cookies. Like the archive it is in WAL mode: the session checks of
every request read in parallel and never wait for a sign-in.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gavel.storage.archive.database import POOL_TIMEOUT, Row, archive_failure
from gavel.storage.archive.pool import ConnectionPool
from gavel.storage.archive.sqlite_connections import SqliteConnections, disconnect
from gavel.storage.archive.web_state import WebState

WEB_STATE_SUFFIX = "-web"
READERS = 4
WEB_STATE_TABLES = ("web_secrets", "web_sessions", "web_login_failures")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS web_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS web_sessions (key_hash TEXT PRIMARY KEY, expires_at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS web_sessions_by_expiry ON web_sessions (expires_at)",
    "CREATE TABLE IF NOT EXISTS web_login_failures (id INTEGER PRIMARY KEY, client TEXT NOT NULL, "
    "failed_at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS web_login_failures_by_client ON web_login_failures (client, failed_at)",
    "CREATE INDEX IF NOT EXISTS web_login_failures_by_time ON web_login_failures (failed_at)",
)


def web_state_path(archive_path: Path | str) -> Path:
    """The web state file of the SQLite archive at ``archive_path``."""
    path = Path(archive_path)
    return path.with_name(path.name + WEB_STATE_SUFFIX)


class SqliteWebState(SqliteConnections, WebState):
    """The web state in the SQLite file ``path`` (``":memory:"``: private to this object), created on first use."""

    def __init__(self, path: Path | str, *, url: str) -> None:
        super().__init__(url)
        self.path = path
        memory = str(path) == ":memory:"
        try:
            if not memory:
                with contextlib.suppress(FileExistsError):  # owner-only from the start: it holds the signing key
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            writer = self._open(write=True)
        except (OSError, sqlite3.Error) as error:
            raise archive_failure(url, error) from error
        self._writer = ConnectionPool(
            lambda: self._open(write=True), disconnect, size=1, timeout=POOL_TIMEOUT, name=url
        )
        self._writer.add(writer)
        self._readers = (
            self._writer
            if memory
            else ConnectionPool(
                lambda: self._open(write=False), disconnect, size=READERS, timeout=POOL_TIMEOUT, name=url
            )
        )
        try:
            with self._transaction():
                for statement in SCHEMA:
                    self._run(statement)
        except sqlite3.Error as error:
            self.close()
            raise archive_failure(url, error) from error

    def _open(self, *, write: bool) -> sqlite3.Connection:
        return self._connect(
            ("journal_mode = WAL", "synchronous = NORMAL") if write else ("query_only = ON",), POOL_TIMEOUT
        )

    @contextmanager
    def _begin(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` (the file's write lock at once); a nested block joins the outer transaction."""
        conn = self._conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _close(self) -> None:
        self._writer.close()
        self._readers.close()

    def copy_rows(self, tables: dict[str, tuple[tuple[str, ...], list[Row]]]) -> None:
        """Add rows (``table -> (columns, rows)``) of the web state tables, in one transaction; a row whose key is
        here already is left as it is (so copying the same rows again changes nothing)."""
        with self._transaction():
            for table, (names, rows) in tables.items():
                if table not in WEB_STATE_TABLES:
                    raise ValueError(f"not a web state table: {table}")
                marks = ", ".join("?" * len(names))
                self._run_many(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) ON CONFLICT DO NOTHING",  # noqa: S608
                    rows,
                )
