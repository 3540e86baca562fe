"""SQLite's memory statistics are off in a process that imports gavel's storage before ``sqlite3`` (storage/
sqlite_library.py): its allocations take no global mutex. Where that is too late nothing changes, and no error."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

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


def counts_by_default() -> None:
    if memory_used("") == 0:  # (an SQLite built with SQLITE_DEFAULT_MEMSTATUS=0: nothing to turn off)
        pytest.skip("this SQLite keeps no memory statistics")


def test_importing_the_archive_turns_sqlites_statistics_off() -> None:
    counts_by_default()
    assert memory_used("import gavel.storage.archive") == 0


def test_the_command_line_and_the_web_import_it_before_sqlite3() -> None:
    """The entry points (``gavel``'s CLI, the web app, the importer) reach ``gavel.storage`` before anything of
    theirs imports ``sqlite3`` (else the setting is silently too late)."""
    counts_by_default()
    for module in ("gavel.app.cli", "gavel.web.app", "gavel.app.importer"):
        assert memory_used(f"import {module}") == 0, module


def test_once_sqlite3_is_imported_nothing_changes() -> None:
    sqlite3.connect(":memory:").close()
    assert quiet_allocations() is False
    assert memory_used("import sqlite3, gavel.storage.archive") > 0
