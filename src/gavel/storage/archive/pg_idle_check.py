"""Checking a pooled PostgreSQL connection before it is lent, only when it may have gone.

psycopg_pool's own check (``ConnectionPool.check_connection``) sends an empty query every time a connection is lent:
a round trip to the server, and work for both ends, for each ``with archive._connection()`` block (two or three a
web request). A connection given back less than :data:`IDLE_CHECK_SECONDS` ago whose socket has nothing to read is
lent as it is: a server that closed it (restarted, ``pg_terminate_backend``, ``idle_session_timeout``) has sent
an error message and then closed the socket, so it is readable, and it is checked (then replaced) as before. A
connection idle for longer is checked anyway (a peer gone without a word: a network cut, a NAT that forgot it).
"""

from __future__ import annotations

import select
import threading
import time
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg_pool import ConnectionPool

IDLE_CHECK_SECONDS = 10.0
"""A connection idle in the pool for longer is checked with a round trip before it is lent."""


def readable(conn: psycopg.Connection[Any]) -> bool:
    """Whether the connection's socket has something to read (or is closed, or in error): a connection idle in the
    pool is sent nothing by a server that still has it, except notices. True when that cannot be told (a closed
    connection has no socket; a platform without ``poll``): the connection is then checked with a round trip."""
    try:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (AttributeError, OSError, ValueError, psycopg.Error):
        return True


class IdleCheck:
    """The pool's ``check`` callback, sending the round trip only for a connection idle too long, readable, or never
    given back yet; :meth:`given_back` notes when a connection was given back (called by the archive as its block
    ends: as the pool's ``reset`` callback, it made psycopg_pool give every connection back on a worker thread, ~100 us
    later, so that the next block often found none free and the pool grew)."""

    def __init__(self, seconds: float = IDLE_CHECK_SECONDS, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.checked = 0  # round trips sent (for tests and curiosity)
        self._given_back: WeakKeyDictionary[psycopg.Connection[Any], float] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def given_back(self, conn: psycopg.Connection[Any]) -> None:
        with self._lock:
            self._given_back[conn] = self.clock()

    def check(self, conn: psycopg.Connection[Any]) -> None:
        with self._lock:
            given_back = self._given_back.get(conn)
        if given_back is not None and self.clock() - given_back <= self.seconds and not readable(conn):
            return
        with self._lock:
            self.checked += 1
        ConnectionPool.check_connection(conn)
