"""Running a PRAGMA on a fresh SQLite file that other processes may be opening at the same moment."""

from __future__ import annotations

import sqlite3
import time

PRAGMA_RETRY_SECONDS = 10.0


def pragma(conn: sqlite3.Connection, statement: str) -> None:
    """Run ``PRAGMA statement``, retrying while another connection holds the lock it needs.

    Switching a fresh file to WAL takes an exclusive lock and SQLite may report "database is locked" at once
    (without its busy handler) when several processes or threads open the same new file together.
    """
    deadline = time.monotonic() + PRAGMA_RETRY_SECONDS
    delay = 0.005
    while True:
        try:
            conn.execute(f"PRAGMA {statement}")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
