"""SQLite's memory statistics are off in a process that imports gavel's storage before ``sqlite3`` (storage/
sqlite_library.py): its allocations take no global mutex. Where that is too late nothing changes, and no error."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from gavel.storage.sqlite_library import quiet_allocations

_MEMORY_USED = """
import ctypes, sqlite3, _sqlite3
conn = sqlite3.connect(":memory:")
conn.execute("CREATE TABLE t (x TEXT)")
conn.executemany("INSERT INTO t VALUES (?)", [("a" * 100,)] * 1000)
library = ctypes.CDLL(_sqlite3.__file__)
library.sqlite3_memory_used.restype = ctypes.c_int64
print(library.sqlite3_memory_used())
"""


def memory_used(first: str) -> int:
    """What SQLite counts as allocated in a fresh process that runs ``first`` and then uses an SQLite database."""
    done = subprocess.run([sys.executable, "-c", first + _MEMORY_USED], check=True, capture_output=True, text=True)
    return int(done.stdout)


def test_importing_the_archive_turns_sqlites_statistics_off() -> None:
    assert memory_used("") > 0  # (the library's default: it counts)
    assert memory_used("import gavel.storage.archive") == 0


def test_once_sqlite3_is_imported_nothing_changes() -> None:
    sqlite3.connect(":memory:").close()
    assert quiet_allocations() is False
    assert memory_used("import sqlite3, gavel.storage.archive") > 0
