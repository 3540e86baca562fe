"""The connection every part of the archive works through: what a backend supplies to run SQL.

Statements use ``?`` placeholders (the PostgreSQL backend turns them into ``%s``) and SQL that both
dialects accept. An archive may be shared between threads: a block of work runs inside ``with
self._connection():``, which lends the calling thread one of the backend's connections for the block
(a reader from a pool, or the writer for a transaction), so readers run side by side and never wait
for a writer. Blocks nest: an inner block reuses the thread's connection (a write inside a read block
switches to the writer for its transaction).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from gavel.storage.archive.model import ArchiveError

Row = tuple[Any, ...]


DEFAULT_POOL_SIZE = 8
"""Connections a process opens at most for reading (SQLite: readers besides the one writer; PostgreSQL: in all)."""
POOL_TIMEOUT = 30.0
"""Seconds a block waits for a free connection before it fails with an :class:`ArchiveError`."""


class _Bound(threading.local):
    """The connection this thread is working through, and whether it is the writer."""

    connection: Any = None
    writing: bool = False


class Database(ABC):
    """An open archive database: the backend's plumbing, lending connections to threads, closing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._bound = _Bound()

    @abstractmethod
    def _checkout(self, write: bool) -> AbstractContextManager[tuple[Any, bool]]:
        """A connection for one block of this thread, given back on exit, and whether it may write: the writer
        when ``write``, else a reader (or the writer, for a backend whose every connection writes).

        Raises :class:`ArchiveError` when none is free within :data:`POOL_TIMEOUT` or the archive is closed."""

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[None]:
        """Run the block on one connection: the thread's current one if it has one (and it writes, when
        ``write``), else one checked out for the block."""
        bound = self._bound
        if bound.connection is not None and (bound.writing or not write):
            yield
            return
        outer = bound.connection, bound.writing
        with self._checkout(write) as (connection, writing):
            bound.connection, bound.writing = connection, writing
            try:
                yield
            finally:
                bound.connection, bound.writing = outer

    def _bound_connection(self) -> Any:
        """The connection of the thread's current block (SQL outside one is a bug in this package)."""
        connection = self._bound.connection
        if connection is None:
            raise RuntimeError("archive SQL run outside `with self._connection()`")
        return connection

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a statement with ``?`` placeholders; its rows."""

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""

    @abstractmethod
    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""

    @abstractmethod
    def _begin(self) -> AbstractContextManager[None]:
        """On the writer: a transaction, committed when the block ends, rolled back when it raises."""

    @abstractmethod
    def _snapshot(self) -> AbstractContextManager[None]:
        """On the thread's connection: the block's statements in one read-only transaction, so that they see one
        state of the archive (a meeting stored again by another connection meanwhile is seen whole, before or
        after); inside a transaction already, that one's."""

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """A block of reads on one connection and in one snapshot (:meth:`_snapshot`)."""
        with self._connection(), self._snapshot():
            yield

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction on the writer: committed when the block ends, rolled back when it raises."""
        with self._connection(write=True), self._begin():
            yield

    @abstractmethod
    def _to_db_time(self, moment: datetime) -> Any: ...

    @abstractmethod
    def _from_db_time(self, value: Any) -> datetime: ...

    @abstractmethod
    def _close(self) -> None: ...

    def close(self) -> None:
        """Close every connection: the idle ones now, those lent to a block when it ends. Blocks started after
        this fail with an :class:`ArchiveError`."""
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive time is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def archive_failure(url: str, error: Exception) -> ArchiveError:
    """A connection failure as an ArchiveError naming the archive (never its password)."""
    return ArchiveError(f"cannot open archive {redact(url)}: {error}")


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, at, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}{at}{host}"
