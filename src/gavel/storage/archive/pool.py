"""A bounded pool of connections, lent to one block at a time (the SQLite archive's readers and its writer).

Connections are opened on demand, at most ``size`` of them, and kept for the next block; a block that
finds all of them lent waits up to ``timeout`` seconds. Closing the pool closes the idle connections at
once and each lent one when it comes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from gavel.storage.archive.model import ArchiveError

C = TypeVar("C")


class ConnectionPool(Generic[C]):
    """At most ``size`` connections made by ``connect`` and ended by ``disconnect``."""

    def __init__(
        self, connect: Callable[[], C], disconnect: Callable[[C], None], *, size: int, timeout: float, name: str
    ) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one connection, not {size}")
        self.size = size
        self.timeout = timeout
        self.name = name
        self._connect = connect
        self._disconnect = disconnect
        self._idle: list[C] = []
        self._open = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def open_count(self) -> int:
        """The connections open now (lent or idle)."""
        with self._changed:
            return self._open

    def add(self, connection: C) -> None:
        """Keep an already open connection as an idle one (it counts towards ``size``)."""
        with self._changed:
            if self._open >= self.size:
                raise ValueError(f"{self.name}: pool of {self.size} is full")
            self._open += 1
            self._idle.append(connection)
            self._changed.notify()

    @contextmanager
    def lend(self) -> Iterator[C]:
        """A connection for the block, given back when it ends."""
        connection = self._take()
        try:
            yield connection
        finally:
            self._give_back(connection)

    def close(self) -> None:
        """Close the idle connections; the lent ones are closed when given back. Later blocks fail."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._changed.notify_all()
        for connection in idle:
            self._disconnect(connection)

    def _take(self) -> C:
        deadline = time.monotonic() + self.timeout
        with self._changed:
            while True:
                if self._closed:
                    raise ArchiveError(f"{self.name}: the archive is closed")
                if self._idle:
                    return self._idle.pop()
                if self._open < self.size:
                    self._open += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ArchiveError(
                        f"{self.name}: all {self.size} connections stayed busy for {self.timeout:g} s; try again"
                    )
                self._changed.wait(left)
        try:
            return self._connect()
        except BaseException:
            with self._changed:
                self._open -= 1
                self._changed.notify()
            raise

    def _give_back(self, connection: C) -> None:
        with self._changed:
            if not self._closed:
                self._idle.append(connection)
                self._changed.notify()
                return
            self._open -= 1
        self._disconnect(connection)
