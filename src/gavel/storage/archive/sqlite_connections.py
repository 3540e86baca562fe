"""What every SQLite database of the archive does alike: lending a connection per block (the one writer, or any of
the readers), running statements on the thread's connection, and storing times as microseconds since the epoch."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from gavel.storage.archive.database import Database, Row
from gavel.storage.archive.pool import ConnectionPool
from gavel.storage.archive.spool import from_micros, micros


class SqliteConnections(Database):
    """The plumbing of an SQLite database with one writer connection and a pool of readers (the writer itself for
    a database in memory, which is private to its connection); the subclass makes both pools."""

    _writer: ConnectionPool[sqlite3.Connection]
    _readers: ConnectionPool[sqlite3.Connection]

    @contextmanager
    def _checkout(self, write: bool) -> Iterator[tuple[sqlite3.Connection, bool]]:
        """The one writer (for a write, or for everything in memory), else any of the readers."""
        pool = self._writer if write else self._readers
        with pool.lend() as conn:
            yield conn, pool is self._writer

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
