"""What every SQLite database of the archive does alike: lending a connection per block (the one writer, or any of
the readers), running statements on the thread's connection, and storing times as microseconds since the epoch."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from gavel.storage.archive.database import Database, Row, archive_failure
from gavel.storage.archive.pool import ConnectionPool
from gavel.storage.archive.spool import from_micros, micros
from gavel.storage.archive.sqlite_pragma import pragma


def disconnect(conn: sqlite3.Connection) -> None:
    """Close a pooled connection (what a :class:`ConnectionPool` calls)."""
    conn.close()


class SqliteConnections(Database):
    """The plumbing of an SQLite database with one writer connection and a pool of readers (the writer itself for
    a database in memory, which is private to its connection); the subclass makes both pools."""

    path: Path | str
    _writer: ConnectionPool[sqlite3.Connection]
    _readers: ConnectionPool[sqlite3.Connection]

    def _connect(self, pragmas: Sequence[str], timeout: float) -> sqlite3.Connection:
        """A new connection to ``path`` with ``pragmas`` run on it (each retried while another connection holds the
        lock it needs); any SQLite error is an :class:`ArchiveError` naming this database."""
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=timeout)
            try:
                for statement in pragmas:
                    pragma(conn, statement)
            except BaseException:
                conn.close()
                raise
        except sqlite3.Error as error:
            raise archive_failure(self.url, error) from error
        return conn

    @contextmanager
    def _checkout(self, write: bool) -> Iterator[tuple[sqlite3.Connection, bool]]:
        """The one writer (for a write, or for everything in memory), else any of the readers."""
        pool = self._writer if write else self._readers
        with pool.lend() as conn:
            yield conn, pool is self._writer

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A deferred ``BEGIN``: in WAL mode its first read fixes what every later statement of it sees, until the
        ``COMMIT`` (a read takes no lock a writer waits for)."""
        conn = self._conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if conn.in_transaction:
            conn.execute("COMMIT")

    @property
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self._bound_connection()
        return conn

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _to_db_time(self, moment: datetime) -> Any:
        return micros(moment)

    def _from_db_time(self, value: Any) -> datetime:
        return from_micros(value)
